"""The send bodies of the three channels, checked field by field in the order and wording of the real Joi
schemas (first error only): email (then its cc/bcc count), SMS, and GovSG (with its phone normalisation)."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.faces.common import parse_json
from simulator.faces.v1 import errors
from simulator.faces.v1.config import LANGUAGES, GovsgTemplate

EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                   r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
NAMED = re.compile(r"^\s*(.*?)\s*<([^<>]+)>\s*$")
CLASSIFICATIONS = ("URGENT", "FOR_ACTION", "FOR_INFO")
KNOWN = ("recipient", "subject", "body", "from", "reply_to", "attachments", "classification", "tag", "cc", "bcc",
         "disable_tracking")
MAX_CC_BCC = 49
BOOLEAN = {"true": True, "false": False}  # query and form booleans, as Joi converts them
SMS_FIELDS = ("body", "recipient", "label")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")
_NOISE = re.compile(r"[\s\-().]")
MAX_SAFE_INTEGER = 2 ** 53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER
GOVSG_FIELDS = ("recipient", "template_id", "language_code", "params")
SG_MOBILE = re.compile(r"^(?:\+?65)?([89][0-9]{7})$")
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
# What the real XSS filter drops whole: script and style blocks, and comments. Other tags keep their text.
_DROPPED = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each of 11 fields through object.__setattr__ (2.7 µs
class EmailRequest:     # against 0.6 a send); it is a parse result that nothing changes
    recipient: str
    subject: str
    body: str
    from_: str | None
    from_address: str | None
    reply_to: str | None
    classification: str | None
    tag: str | None
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    disable_tracking: bool


_CHECKED: dict[str, bool] = {}  # recent answers of is_email: senders and recipients repeat (a load test's always)


def is_email(value: str) -> bool:
    """The real schema's email check; the regex is ~1.5 µs an address, a send checks one to 51."""
    if len(value) > 254:
        return False
    known = _CHECKED.get(value)
    if known is None:
        known = EMAIL.match(value) is not None
        if len(_CHECKED) >= 4096:  # ~1.3 MiB of ASCII addresses kept; 4.4 MiB at worst (254 emoji each)
            _CHECKED.clear()
        _CHECKED[value] = known
    return known


def address_of(value: str) -> str | None:
    """The address in `Name <addr>` or a bare `addr`, lower-cased; None if it is not an email."""
    match = NAMED.match(value)
    address = (match.group(2) if match else value).strip().lower()
    return address if is_email(address) else None


def _string(fields: dict[str, Any], name: str, required: bool) -> str | None:
    if name not in fields or fields[name] is None and not required:
        if required:
            raise errors.validation(f'"{name}" is required')
        return None
    value = fields[name]
    if not isinstance(value, str):
        raise errors.validation(f'"{name}" must be a string')
    if value == "":
        raise errors.validation(f'"{name}" is not allowed to be empty')
    return value


def _email(fields: dict[str, Any], name: str, required: bool) -> str | None:
    value = _string(fields, name, required)
    if value is None:
        return None
    value = value.strip().lower()
    if not is_email(value):
        raise errors.validation(f'"{name}" must be a valid email')
    return value


def _address_list(value: list[Any], label: Callable[[int], str]) -> tuple[str, ...]:
    """Joi's array().unique().items(trimmed lower-case email); `label(i)` names item i in the error."""
    seen: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise errors.validation(f"{label(i)} must be a string")
        if not is_email(item.strip()):
            raise errors.validation(f"{label(i)} must be a valid email")
        address = item.strip().lower()
        if address in seen:
            raise errors.validation(f"{label(i)} contains a duplicate value")
        seen.append(address)
    return tuple(seen)


def _addresses(fields: dict[str, Any], name: str) -> tuple[str, ...]:
    """An array of emails, or a string holding a JSON array of them, whatever the content type (the real
    schema is Joi.alternatives(array, string().custom(JSON.parse)))."""
    value = fields.get(name)
    if value is None:
        return ()
    if isinstance(value, list):
        return _address_list(value, lambda i: f'"{name}[{i}]"')
    if not isinstance(value, str):
        raise errors.validation(f'"{name}" must be one of [array, string]')
    if value == "":
        raise errors.validation(f'"{name}" is not allowed to be empty')
    custom = f'"{name}" failed custom validation because {name}'
    try:
        parsed = parse_json(value)
    except ValueError as exc:
        raise errors.validation(f"{custom} must be a valid array or stringified array.") from exc
    if not isinstance(parsed, list):
        raise errors.validation(f"{custom} must be a valid stringified array")
    try:
        return _address_list(parsed, lambda i: f'"[{i}]"')
    except errors.V1Error as exc:
        raise errors.validation(f"{custom} {exc.message}") from exc


def empty_after_sanitising(text: str) -> bool:
    """True when nothing a reader would see is left once script/style blocks and tags are removed
    (an <img> counts as content)."""
    if "<" not in text:  # no tag, block or comment to remove (a subject, usually): the regexes find nothing
        return not text.strip()
    kept = _DROPPED.sub("", text)
    return not _TAG.sub("", kept).strip() and "<img" not in kept.lower()


def parse_email(fields: dict[str, Any], body_max_bytes: int) -> EmailRequest:
    recipient = _email(fields, "recipient", True)
    subject = _string(fields, "subject", True)
    body = fields.get("body")
    if not isinstance(body, str) or body == "" or len(body.encode("utf-8")) > body_max_bytes:
        raise errors.validation(errors.BODY_LIMIT)
    from_ = _string(fields, "from", False)
    from_address = None
    if from_ is not None:
        from_address = address_of(from_)
        if from_address is None:
            raise errors.validation('"from" must be a valid email')
    reply_to = _email(fields, "reply_to", False)
    if "attachments" in fields:
        raise errors.V1Error(400, "attachment_format", errors.ATTACHMENT_FORMAT)
    classification = _string(fields, "classification", False)
    if classification is not None:
        classification = classification.upper()
        if classification not in CLASSIFICATIONS:
            raise errors.validation(f'"classification" must be one of [{", ".join(CLASSIFICATIONS)}]')
    tag = _string(fields, "tag", False)
    if tag is not None and len(tag) > 255:
        raise errors.validation('"tag" length must be less than or equal to 255 characters long')
    cc = _addresses(fields, "cc")
    bcc = _addresses(fields, "bcc")
    tracking = fields.get("disable_tracking", False)
    if isinstance(tracking, str):
        tracking = BOOLEAN.get(tracking.strip().lower(), tracking)
    if not isinstance(tracking, bool):
        raise errors.validation('"disable_tracking" must be a boolean')
    for name in fields:
        if name not in KNOWN:
            raise errors.validation(f'"{name}" is not allowed')
    if len(cc) + len(bcc) > MAX_CC_BCC:
        raise errors.V1Error(400, "too_many_recipients", errors.TOO_MANY_RECIPIENTS)
    assert recipient is not None and subject is not None
    return EmailRequest(recipient=recipient, subject=subject, body=body, from_=from_, from_address=from_address,
                        reply_to=reply_to, classification=classification, tag=tag, cc=cc, bcc=bcc,
                        disable_tracking=tracking)


# -- SMS ------------------------------------------------------------------------------------------


def _required_string(fields: dict[str, object], name: str) -> str:
    if name not in fields:
        raise errors.validation(f'"{name}" is required')
    value = fields[name]
    if not isinstance(value, str):
        raise errors.validation(f'"{name}" must be a string')
    value = value.strip() if name == "recipient" else value
    if value == "":
        raise errors.validation(f'"{name}" is not allowed to be empty')
    return value


def parse_sms(fields: dict[str, object]) -> tuple[str, str, str]:
    """(body, recipient, label)."""
    body, recipient, label = (_required_string(fields, name) for name in SMS_FIELDS)
    for name in fields:
        if name not in SMS_FIELDS:
            raise errors.validation(f'"{name}" is not allowed')
    return body, recipient, label


def sms_phone_ok(recipient: str) -> bool:
    return PHONE.match(_NOISE.sub("", recipient)) is not None


# -- GovSG ----------------------------------------------------------------------------------------


def normalise_phone(recipient: str) -> str | None:
    """E.164 with '+'; a bare number is read as Singaporean, as the real service's default country."""
    text = _NOISE.sub("", recipient)
    sg = SG_MOBILE.match(text)
    if sg:
        return "+65" + sg.group(1)
    return text if E164.match(text) else None


def _template_id(fields: dict[str, Any]) -> int | float:
    if "template_id" not in fields:
        raise errors.validation('"template_id" is required')
    value = fields["template_id"]
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value.strip()) if value.strip() else value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise errors.validation('"template_id" must be a number')
    if abs(value) > MAX_SAFE_INTEGER:  # Joi refuses numbers JavaScript cannot hold exactly
        raise errors.validation('"template_id" must be a safe number')
    return int(value) if float(value).is_integer() else value


def parse_govsg(fields: dict[str, Any]) -> tuple[str, int | float, str, dict[str, str]]:
    """(recipient, template_id, language_code, params)."""
    recipient = fields.get("recipient")
    if "recipient" not in fields:
        raise errors.validation('"recipient" is required')
    if not isinstance(recipient, str):
        raise errors.validation('"recipient" must be a string')
    if recipient == "":
        raise errors.validation('"recipient" is not allowed to be empty')
    template_id = _template_id(fields)
    language = fields.get("language_code", "en_GB")
    if language not in LANGUAGES:
        raise errors.validation(f'"language_code" must be one of [{", ".join(LANGUAGES)}]')
    params = fields.get("params", {})
    if not isinstance(params, dict):
        raise errors.validation('"params" must be of type object')
    for key, value in params.items():
        if not isinstance(value, str):
            raise errors.validation(f'"params.{key}" must be a string')
    for name in fields:
        if name not in GOVSG_FIELDS:
            raise errors.validation(f'"{name}" is not allowed')
    return recipient, template_id, language, params


def check_params(template: GovsgTemplate, params: dict[str, str]) -> None:
    """The template's own params are all given, and no others when it takes none."""
    if not template.params and not params:
        return
    if not params:
        raise errors.validation(f"No params provided; params needed for template {template.id}")
    if not template.params:
        raise errors.validation(f"Template {template.id} does not accept any params")
    missing = [p for p in template.params if not params.get(p)]
    if missing:
        raise errors.validation(f"Missing values for params {', '.join(missing)}")
