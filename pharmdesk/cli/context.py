"""What every command gets (the parsed options, where to write, the clock), the exit
codes, and progress on the terminal."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pharmdesk.clock import Clock
from pharmdesk.paths import DatabaseFiles, resolve_db_files
from pharmdesk.store.vault import KdfParams

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_BUG = 3
PASSWORD_ENV = "PHARMDESK_PASSWORD"
USER_ENV = "PHARMDESK_USER"
RECOVERY_KEY_ENV = "PHARMDESK_RECOVERY_KEY"
NO_GUI_MESSAGE = (
    "The desktop window is not part of this build yet; use the commands: "
    "pharmdesk init | demo | call | backup | restore | audit verify | self-test "
    "(pharmdesk --help explains each)."
)
UNEXPECTED = (
    "Something went wrong inside PharmDesk and the command stopped; nothing more was "
    "changed. Try again; if it happens again, run 'pharmdesk self-test' and contact your "
    "IT person."
)


@dataclass
class Context:
    """What every command gets: the parsed options, where to write, and what it asks of
    the PC (is there a terminal to prompt on; where the demo database lives)."""

    args: argparse.Namespace
    out: IO[str]
    err: IO[str]
    stdin: IO[str]
    clock: Clock
    kdf: KdfParams
    has_terminal: Callable[[], bool]
    demo_db_path: Callable[[], Path]

    @property
    def files(self) -> DatabaseFiles:
        return resolve_db_files(self.args.db)

    def emit(self, value: Any) -> None:
        self.out.write(json.dumps(value, ensure_ascii=False) + "\n")
        self.out.flush()

    def say(self, message: str) -> None:
        self.err.write(f"pharmdesk: {message}\n")
        self.err.flush()


class TerminalProgress:
    """One updating line on a terminal; a line per stage and per tenth otherwise."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.stage = ""
        self.tenth = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if self.live:
            end = "\n" if done >= total else ""
            self.stream.write(f"\r{stage}: {done:,} / {total:,} ({percent}%)   {end}")
        elif stage != self.stage or percent // 10 != self.tenth:
            self.stream.write(f"{stage}: {done:,} / {total:,} ({percent}%)\n")
        self.stage, self.tenth = stage, percent // 10
        self.stream.flush()
