"""JSON typed on the command line or read from stdin, with a message a person can act on."""

from __future__ import annotations

import json
from typing import Any

from pharmdesk.cli.context import Context
from pharmdesk.errors import validation


def read_text(ctx: Context, source: str) -> str:
    if source == "-":
        return ctx.stdin.read()
    return source


def parse_json(text: str, what: str) -> Any:
    """``what`` names the input in the message: "The params are", "Batch line 3 is"."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise validation(
            f"{what} not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}). "
            "Check quotes and brackets.",
            "params",
        ) from None
    except RecursionError:
        raise validation(f"{what} nested too deeply to read.", "params") from None
