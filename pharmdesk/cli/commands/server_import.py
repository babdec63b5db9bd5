"""``pharmdesk server import-file --from FILE --db postgresql://OWNER@HOST/DB``."""

from __future__ import annotations

from pathlib import Path

from pharmdesk.cli.context import EXIT_OK, Context, TerminalProgress
from pharmdesk.cli.secrets import ask_password, ask_username
from pharmdesk.controllers.server_import import import_file as move_file
from pharmdesk.errors import validation
from pharmdesk.paths import DatabaseFiles, is_server_url

NEXT_STEPS = (
    "{count} staff account(s) need a login on the server before they can sign in at the "
    "desks: {names}. The single-PC file was not changed; keep it (and its backups) until "
    "the branch has worked on the server for a while, and stop using it at its PC now."
)


def import_file(ctx: Context) -> int:
    url = ctx.args.db
    if not is_server_url(url):
        raise validation(
            "Give the empty server database: --db postgresql://OWNER@HOST/DATABASE.", "db"
        )
    if not ctx.args.source:
        raise validation("Give the single-PC database file to move: --from FILE.", "from")
    source = DatabaseFiles(Path(ctx.args.source).expanduser().absolute())
    username = ask_username(ctx)
    password = ask_password(ctx, username)
    result = move_file(
        source,
        url,
        username=username,
        password=password,
        clock=ctx.clock,
        kdf=ctx.kdf,
        progress=TerminalProgress(ctx.err),
    )
    ctx.emit(result.to_json())
    names = ", ".join(result.staff_needing_login)
    ctx.say(NEXT_STEPS.format(count=len(result.staff_needing_login), names=names))
    return EXIT_OK
