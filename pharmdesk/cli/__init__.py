"""The command line: the GUI by default, and JSON for scripts and IT staff.

Every command prints one JSON value on stdout (``call --batch``: one per line) and says
what went wrong in one line on stderr. A person's mistake (wrong password, missing or
damaged file, bad JSON) is a PharmDesk error object and exit code 1, never a traceback;
a usage error is exit code 2 (argparse's); a bug is a generic message and exit code 3,
with no patient data. Operations run through the same controllers, checks and audit as
the GUI.
"""

from __future__ import annotations

import contextlib

# The password prompt and the window's import go through these modules; scripts and
# tests replace ``cli.getpass.getpass`` and ``cli.importlib.import_module``.
import getpass
import importlib
import multiprocessing
import sys

import sqlcipher3.dbapi2 as sqlcipher

from pharmdesk.cli.commands import COMMANDS
from pharmdesk.cli.commands.window import open_gui
from pharmdesk.cli.context import (
    EXIT_BUG,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    UNEXPECTED,
    Context,
    TerminalProgress,
)
from pharmdesk.cli.json_input import parse_json as _parse_json
from pharmdesk.cli.parser import build_parser
from pharmdesk.cli.secrets import has_terminal as _has_terminal
from pharmdesk.clock import Clock
from pharmdesk.console import prepare_streams
from pharmdesk.controllers.backups import chain_check, run_backup, run_restore
from pharmdesk.errors import DATABASE_ERROR, VALIDATION_ERROR, PharmDeskError
from pharmdesk.paths import demo_db_path
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams

__all__ = [
    "EXIT_BUG",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "Context",
    "TerminalProgress",
    "_parse_json",
    "chain_check",
    "getpass",
    "importlib",
    "main",
    "run_backup",
    "run_restore",
]


def quiet_sqlcipher() -> None:
    """SQLCipher logs decryption failures ("ERROR CORE ...") straight to stderr; on a
    damaged file the person would see those lines around the one message meant for them.
    The level is process-wide and set through any connection."""
    with contextlib.closing(sqlcipher.connect(":memory:")) as conn:
        conn.execute("PRAGMA cipher_log_level = NONE")


def main(
    argv: list[str] | None = None, *, clock: Clock | None = None, kdf: KdfParams = DEFAULT_KDF
) -> int:
    """Run one command; returns the process exit code.

    The terminal check and the demo path are looked up here, when the command runs, and
    handed to the command in its ``Context`` (tests and scripts replace them on this
    module)."""
    prepare_streams()
    multiprocessing.freeze_support()  # the frozen app's demo workers start here
    quiet_sqlcipher()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error (already reported)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    ctx = Context(
        args, sys.stdout, sys.stderr, sys.stdin, clock or Clock(), kdf, _has_terminal, demo_db_path
    )
    try:
        if args.command is None:
            return open_gui(ctx)
        return COMMANDS[args.command](ctx)
    except PharmDeskError as exc:
        ctx.emit(exc.to_json())
        if exc.code == VALIDATION_ERROR:
            # A validation message may quote what was typed (a mistyped phone or email),
            # and stderr ends up in automation logs: only the code and field there; the
            # JSON answer on stdout has the message.
            where = f" ({exc.field})" if exc.field else ""
            ctx.say(f"refused: {exc.code}{where}; the message is in the JSON answer above.")
        else:
            ctx.say(exc.message)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        ctx.say("stopped.")
        return 130
    except Exception as exc:  # a bug: say so without data or a trace
        ctx.emit(PharmDeskError(DATABASE_ERROR, UNEXPECTED).to_json())
        ctx.say(f"{UNEXPECTED} (internal error: {type(exc).__name__})")
        return EXIT_BUG
