"""``pharmdesk server import-file --from FILE --db postgresql://OWNER@HOST/DB``."""

from __future__ import annotations

from pathlib import Path

from pharmdesk.cli.context import EXIT_OK, Context, TerminalProgress
from pharmdesk.cli.secrets import ask_password, ask_username
from pharmdesk.controllers.server_import import import_file as move_file
from pharmdesk.errors import validation
from pharmdesk.paths import DatabaseFiles, is_server_url

LOGINS_MADE = (
    "{count} staff login(s) made on the server: {names}. Each person's one-time password "
    "is in the answer above (logins: username, dbRole, oneTimePassword), shown this once "
    "and kept nowhere else: hand each person theirs; they choose their own at their first "
    "sign-in at any desk, this one included. A lost one: an admin sets a new one with "
    "resetStaffPassword."
)
DISABLED = "{count} disabled account(s) got no login: {names}."
NEXT_STEPS = (
    "The single-PC file was not changed; keep it (and its backups) until the branch has "
    "worked on the server for a while, and stop using it at its PC now."
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
    # The one-time passwords go to standard output, once, in the answer; the messages on
    # standard error (which may be kept in a log) name the people only.
    ctx.emit(result.to_json())
    names = ", ".join(login.username for login in result.logins)
    ctx.say(LOGINS_MADE.format(count=len(result.logins), names=names or "none"))
    if result.disabled:
        ctx.say(DISABLED.format(count=len(result.disabled), names=", ".join(result.disabled)))
    ctx.say(NEXT_STEPS)
    return EXIT_OK
