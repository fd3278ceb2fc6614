"""The webhook parts of the command line: serve's --webhook-* flags and the `sink` command."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any

from aiohttp import web

from simulator.admin import auth
from simulator.admin.sink import create_sink_app
from simulator.cli.args import admin_token, env, port, positive_int
from simulator.clock import SystemClock
from simulator.scenarios.model import SimConfig
from simulator.webhooks.formats import formats


def add_serve_flags(serve: argparse.ArgumentParser) -> None:
    env = os.environ.get
    serve.add_argument("--webhook-url", action="append", default=None, metavar="URL",
                       help="send status webhooks here; repeatable (POSTMAN_SIM_WEBHOOK_URL: one or more URLs "
                            "separated by spaces, used when no flag is given)")
    serve.add_argument("--webhook-format", choices=sorted(formats()), default=env("POSTMAN_SIM_WEBHOOK_FORMAT"),
                       help="payload format for --webhook-url (default chuanglan) (POSTMAN_SIM_WEBHOOK_FORMAT)")
    serve.add_argument("--webhook-secret", default=env("POSTMAN_SIM_WEBHOOK_SECRET"), metavar="S",
                       help="meta: app secret for X-Hub-Signature-256; other formats: a whsec_ Standard Webhooks "
                            "secret (POSTMAN_SIM_WEBHOOK_SECRET)")


def apply_serve_flags(config: SimConfig, args: argparse.Namespace) -> SimConfig:
    """The config with one subscription per --webhook-url added to its `webhooks:` section."""
    urls = args.webhook_url or os.environ.get("POSTMAN_SIM_WEBHOOK_URL", "").split()
    if not urls:
        return config
    specs: list[dict[str, Any]] = []
    for url in urls:
        spec: dict[str, Any] = {"url": url}
        if args.webhook_format:
            spec["format"] = args.webhook_format
        if args.webhook_secret:
            spec["secret"] = args.webhook_secret
        specs.append(spec)
    section = {**config.section("webhooks"), "from_cli": specs}
    return dataclasses.replace(config, sections={**config.sections, "webhooks": section})


def add_sink_command(commands: Any) -> None:
    sink = commands.add_parser("sink", help="run a webhook sink that records and shows what it receives")
    sink.add_argument("--host", default=env("SINK_HOST", "127.0.0.1"), help="address to bind (POSTMAN_SIM_SINK_HOST)")
    sink.add_argument("--port", type=port("SINK_PORT"), default=env("SINK_PORT", "18080"),
                      help="port (POSTMAN_SIM_SINK_PORT)")
    sink.add_argument("--secret", default=env("SINK_SECRET", "") or None,
                      help="check X-Hub-Signature-256 / webhook-signature with this (POSTMAN_SIM_SINK_SECRET)")
    sink.add_argument("--verify-token", default=env("SINK_VERIFY_TOKEN", "") or None,
                      help="answer Meta's hub.challenge only for this token (POSTMAN_SIM_SINK_VERIFY_TOKEN)")
    sink.add_argument("--keep", type=positive_int("SINK_KEEP"), default=env("SINK_KEEP", "1000"),
                      help="how many requests to keep (POSTMAN_SIM_SINK_KEEP)")
    sink.add_argument("--admin-token", type=admin_token, default=env("ADMIN_TOKEN", ""), metavar="TOKEN",
                      help="reading (GET) and clearing (DELETE) need Authorization: Bearer TOKEN; receiving "
                           "stays open (POSTMAN_SIM_ADMIN_TOKEN)")


def run_sink(args: argparse.Namespace) -> int:
    app = create_sink_app(SystemClock(), secret=args.secret, verify_token=args.verify_token, limit=args.keep)
    auth.install(app, args.admin_token, auth.sink_reads)
    base = f"http://{args.host}:{args.port}"
    bearer = " -H 'Authorization: Bearer <token>'" if args.admin_token else ""
    banner = (f"postman-sim webhook sink on {base}\n  POST anything to {base}/ (add ?status=503 to fail)\n"
              f"  see it:  curl -s{bearer} {base}/\n  clear:   curl -s{bearer} -X DELETE {base}/")
    try:
        web.run_app(app, host=args.host, port=args.port, print=lambda _: print(banner, flush=True))
    except OSError as exc:
        print(f"postman-sim: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
