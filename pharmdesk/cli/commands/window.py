"""``pharmdesk`` with no command (or ``--demo``): the desktop window."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from pharmdesk.cli.context import EXIT_USAGE, NO_GUI_MESSAGE, Context
from pharmdesk.paths import resolve_db_path

GUI_ON_SERVER = (
    "The window does not open on a branch server yet: this version works with a server "
    "through 'pharmdesk call' only. Start the window without --db (or PHARMDESK_DB) to "
    "use this PC's own database."
)


def open_gui(ctx: Context) -> int:
    """The desktop window, imported only when wanted (the CLI needs no Qt)."""
    demo = bool(ctx.args.demo)
    if demo:
        path = Path(ctx.args.db).expanduser() if ctx.args.db else ctx.demo_db_path()
    elif ctx.files.server is not None:
        ctx.err.write(GUI_ON_SERVER + "\n")
        return EXIT_USAGE
    else:
        path = resolve_db_path(ctx.args.db)
    try:
        module = importlib.import_module("pharmdesk.ui.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("pharmdesk.ui", "pharmdesk.ui.app"):
            raise
        ctx.err.write(NO_GUI_MESSAGE + "\n")
        return EXIT_USAGE
    run_gui: Callable[[Path, bool], int] | None = getattr(module, "run_gui", None)
    if run_gui is None:
        ctx.err.write(NO_GUI_MESSAGE + "\n")
        return EXIT_USAGE
    return int(run_gui(path, demo))
