"""A gzip request body that stops early is an error, as a deflate one already is in aiohttp.

aiohttp decodes a request body as it arrives and, once all of it has, refuses a deflate stream that did not
reach its end (`DeflateBuffer.feed_eof`). It does not check gzip: a gzip stream cut short (half of it, or all but
its 8-byte CRC trailer) is handed on as the part that did decode, and a route acted on that prefix: a v1 SMS sent
with 24 of its 1,800 characters, a scenarios reload of half a file. (It cannot use the decompressor's `eof` for
gzip: it swaps in a fresh decompressor whenever a member ends, for concatenated members.) This notes, after
each chunk, whether the member being decoded has ended, and at the body's end reports one that has not as aiohttp
reports a body that fails to decode while it arrives: RequestPayloadError on the body's stream, so the route
answers its own 400 in its API's shape. Request bodies only. `install()` is idempotent; `create_app` calls it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import compression_utils, http_parser, web, web_protocol
from aiohttp.http_exceptions import ContentEncodingError

_MARK = "_postman_sim_checks_gzip_end"
_ENDED = "_postman_sim_member_ended"


def install() -> None:
    buffer: Any = http_parser.DeflateBuffer
    if getattr(buffer, _MARK, False):
        return
    decompressor: Any = getattr(compression_utils, "ZLibDecompressor", None)
    if decompressor is not None and hasattr(decompressor, "decompress_sync"):
        decompress = decompressor.decompress_sync

        def decompress_sync(self: Any, data: Any, *args: Any, **kwargs: Any) -> bytes:
            started = getattr(self, "_decompressor", None)
            result: bytes = decompress(self, data, *args, **kwargs)
            now = getattr(self, "_decompressor", None)
            # Ended: the member this chunk was part of reached its end (aiohttp then replaced the decompressor).
            # An empty call (aiohttp drains what max_length held back) that changes nothing keeps the answer.
            if data or now is not started or getattr(now, "eof", False):
                setattr(self, _ENDED, now is not started or bool(getattr(now, "eof", False)))
            return result

        decompressor.decompress_sync = decompress_sync
    feed_eof = buffer.feed_eof

    def checked_feed_eof(self: Any) -> None:
        # Request bodies only: a response aiohttp's client reads (a webhook receiver's answer) stays as aiohttp
        # reads it, which the lean webhook client matches (webhooks/http1.py).
        serving = isinstance(getattr(self.out, "_protocol", None), web_protocol.RequestHandler)
        if serving and self.size > 0 and self.encoding == "gzip":
            ended = getattr(self.decompressor, _ENDED, None)
            if not (self.decompressor.eof if ended is None else ended):
                cause = ContentEncodingError("gzip")
                self.out.set_exception(web.RequestPayloadError(str(cause)), cause)
                return
        feed_eof(self)

    buffer.feed_eof = checked_feed_eof
    setattr(buffer, _MARK, True)
