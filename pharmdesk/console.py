"""Standard streams that work for the windowed and the console program alike.

On Windows, ``pharmdesk.exe`` is a windowed program (no console window opens from the
Start menu): Python gives it no ``sys.stdout``/``sys.stderr`` at all, and a command run
through it would fail on its first print. Those streams then go to the null device, so
the command runs and its exit code tells the outcome (``pharmdesk-cli.exe`` prints).
Output redirected to a file or a pipe is written in the locale's code page on Windows
(cp1252 in Western Europe), where "Adébáyọ̀" cannot be written; the JSON that PharmDesk
prints is UTF-8 everywhere instead, as it is on Linux and macOS.
"""

from __future__ import annotations

import io
import os
import sys
from typing import Any

STREAMS = ("stdin", "stdout", "stderr")


def prepare_streams(module: Any = sys, os_name: str = os.name) -> None:
    """Make ``module``'s (``sys``'s) standard streams usable; see the module's text."""
    for name in STREAMS:
        stream = getattr(module, name)
        if stream is None:
            mode = "r" if name == "stdin" else "w"
            setattr(module, name, open(os.devnull, mode, encoding="utf-8"))  # noqa: SIM115
        elif os_name == "nt" and isinstance(stream, io.TextIOWrapper) and not _is_tty(stream):
            stream.reconfigure(encoding="utf-8", errors="replace" if name == "stderr" else "strict")


def _is_tty(stream: io.TextIOWrapper) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):
        return False
