"""``pharmdesk backup`` and ``pharmdesk restore`` (the machinery is controllers/backups,
which the window uses too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pharmdesk.cli.commands.server_import import LOGINS_MADE
from pharmdesk.cli.context import EXIT_OK, EXIT_REFUSED, Context, TerminalProgress
from pharmdesk.cli.secrets import (
    ask_password,
    ask_recovery_key,
    ask_username,
    sign_in_from_args,
)
from pharmdesk.controllers import backups
from pharmdesk.controllers.backup_jobs import FILE_BACKUP_NEEDS_FILE, SERVER_BACKUP_NEEDS_SERVER
from pharmdesk.errors import NOT_FOUND, PharmDeskError, validation
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup


def cmd_backup(ctx: Context) -> int:
    if ctx.args.scheduled:
        if ctx.args.file:
            raise validation(
                "--scheduled writes into the backup folder set in Settings; leave out FILE.", "file"
            )
        desk = sign_in_from_args(ctx)
        try:
            outcome = backups.run_scheduled_for(desk, force=ctx.args.now)
        finally:
            desk.close()
        ctx.emit(outcome.to_json())
        ctx.say(outcome.message)
        return EXIT_REFUSED if outcome.status in ("failed", "off") else EXIT_OK
    if not ctx.args.file:
        raise validation("Give the backup FILE to write, or --scheduled.", "file")
    target = Path(ctx.args.file).expanduser().absolute()
    if target.exists():
        raise validation(
            f"{target} already exists; a backup never overwrites a file. Choose a new name.", "file"
        )
    desk = sign_in_from_args(ctx)
    try:
        ctx.emit(backups.run_backup(desk, target, TerminalProgress(ctx.err)))
    finally:
        desk.close()
    ctx.say(f"backup written and verified: {target}")
    return EXIT_OK


def cmd_restore(ctx: Context) -> int:
    files = ctx.files
    source = Path(ctx.args.file).expanduser().absolute()
    if ctx.args.check and ctx.args.replace:
        raise validation("--check never touches a database; leave out --replace.", "replace")
    if not source.is_file():
        raise PharmDeskError(
            NOT_FOUND, f"No backup file at {source}. Check the path and the drive.", "file"
        )
    manifest = backup.read_manifest(source)
    if manifest is not None and manifest.store == "server":
        return _restore_server_backup(ctx, files, source)
    if not ctx.args.check and files.server is not None:
        raise validation(FILE_BACKUP_NEEDS_FILE, "db")
    if not ctx.args.check and backup.target_in_use(files) and not ctx.args.replace:
        raise validation(
            f"A database already exists at {files.db}; nothing was changed. Restore into "
            "another --db, or add --replace to move the current one aside first.",
            "db",
        )
    username = ask_username(ctx)
    password = ask_password(ctx, username)
    if ctx.args.check:
        report = backups.check_backup(
            source, username, password, kdf=ctx.kdf, progress=TerminalProgress(ctx.err)
        )
        _say_checked(ctx, report)
        return EXIT_OK
    answer = backups.run_restore(
        files,
        source,
        username,
        password,
        replace=ctx.args.replace,
        clock=ctx.clock,
        kdf=ctx.kdf,
        progress=TerminalProgress(ctx.err),
    )
    ctx.emit(answer)
    ctx.say(f"restored into {files.db}")
    return EXIT_OK


def _say_checked(ctx: Context, report: dict[str, Any]) -> None:
    ctx.emit(report)
    ctx.say(
        f"the backup verifies: {report['customers']} customers, last audit entry "
        f"{report['lastAuditEntryAt']}, schema {report['schemaRevision']}; nothing was "
        "restored."
    )


def _restore_server_backup(ctx: Context, files: DatabaseFiles, source: Path) -> int:
    """A branch server's backup: checked in a scratch database on the --db server, or
    restored into the new, empty database --db names."""
    if files.server is None:
        raise validation(
            f"{SERVER_BACKUP_NEEDS_SERVER} Give --db that URL (with --check, any database "
            "of the server: a scratch copy is made beside it and dropped).",
            "db",
        )
    if ctx.args.replace:
        raise validation(
            "A server backup is restored only into a new, empty database; leave out "
            "--replace and name a new database in --db.",
            "replace",
        )
    recovery = bool(ctx.args.with_recovery_key or ctx.args.recovery_key_file)
    if recovery:
        username, secret = "", ask_recovery_key(ctx)
    else:
        username = ask_username(ctx)
        secret = ask_password(ctx, username)
    progress = TerminalProgress(ctx.err)
    if ctx.args.check:
        report = backups.check_server_backup(
            source, files.server, username, secret, recovery=recovery, progress=progress
        )
        _say_checked(ctx, report)
        return EXIT_OK
    answer = backups.run_server_restore(
        files, source, username, secret, clock=ctx.clock, recovery=recovery, progress=progress
    )
    # One-time passwords go to standard output only, in the answer; stderr names people.
    ctx.emit(answer)
    ctx.say(f"restored into {answer['restoredTo']}")
    if answer["logins"]:
        names = ", ".join(login["username"] for login in answer["logins"])
        ctx.say(LOGINS_MADE.format(count=len(answer["logins"]), names=names))
    return EXIT_OK
