"""``pharmdesk`` with no command (or ``--demo``): the desktop window."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path

from pharmdesk.cli.context import EXIT_USAGE, NO_GUI_MESSAGE, Context
from pharmdesk.paths import DatabaseFiles


def open_gui(ctx: Context) -> int:
    """The desktop window, imported only when wanted (the CLI needs no Qt).

    The window opens what ``--db`` or ``PHARMDESK_DB`` names (a file or a branch server);
    without either, the app opens the branch server this PC joined at its first run, or
    this PC's own database (``run_gui`` decides: the choice is a window setting).
    """
    demo = bool(ctx.args.demo)
    files: DatabaseFiles | None
    if demo:
        path = Path(ctx.args.db).expanduser() if ctx.args.db else ctx.demo_db_path()
        files = DatabaseFiles(path)
    elif ctx.args.db or os.environ.get("PHARMDESK_DB"):
        files = ctx.files
    else:
        files = None
    try:
        module = importlib.import_module("pharmdesk.ui.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("pharmdesk.ui", "pharmdesk.ui.app"):
            raise
        ctx.err.write(NO_GUI_MESSAGE + "\n")
        return EXIT_USAGE
    run_gui: Callable[[DatabaseFiles | None, bool], int] | None = getattr(module, "run_gui", None)
    if run_gui is None:
        ctx.err.write(NO_GUI_MESSAGE + "\n")
        return EXIT_USAGE
    return int(run_gui(files, demo))
