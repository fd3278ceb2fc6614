"""Argument helpers shared by every postman-sim command: POSTMAN_SIM_* defaults and one-line errors."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any, NoReturn

from simulator.admin.auth import check_token


def env(name: str, default: str) -> str:
    """A flag's default: POSTMAN_SIM_<name> when set."""
    return os.environ.get(f"POSTMAN_SIM_{name}", default)


_SECRET_DESTS = ("token", "secret")


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """--help shows each option's default, the POSTMAN_SIM_* value when one is set; secrets are never shown."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "%(default)" in text or "default " in text or action.default is argparse.SUPPRESS \
                or not action.option_strings or action.nargs == 0:
            return text
        if action.default in (None, "", []):
            return f"{text} (default: none)"
        if any(word in action.dest for word in _SECRET_DESTS):
            return f"{text} (default: set, not shown)"
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one clear line (plus where to look), not the whole usage block; its
    subcommands' parsers are of this class too, so every --help shows defaults the same way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def port(env_name: str = "PORT") -> Callable[[str], int]:
    def check(text: str) -> int:
        if not text.isdigit() or not 0 <= int(text) <= 65535:
            raise argparse.ArgumentTypeError(f"invalid port {text!r}: a whole number 0-65535 "
                                             f"(flag or POSTMAN_SIM_{env_name})")
        return int(text)

    return check


def positive_int(env_name: str, minimum: int = 1) -> Callable[[str], int]:
    def check(text: str) -> int:
        if not text.isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: a whole number >= {minimum} "
                                             f"(flag or POSTMAN_SIM_{env_name})")
        return int(text)

    return check


def admin_token(text: str) -> str | None:
    """--admin-token: empty means none (the control surface stays open)."""
    try:
        return check_token(text) if text else None
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid admin token: {exc} (flag or POSTMAN_SIM_ADMIN_TOKEN)") from None
