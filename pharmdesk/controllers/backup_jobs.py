"""Backups as registered jobs and operations: who may run each, declared once here.

Everything a person starts about backups goes through the session's one dispatcher
(``DeskSession.prepare_job`` / ``run_job`` for jobs, ``call`` for operations): the
window and the command line pass the same checks (sign-in, role, params; a refusal
audited as ``denied``), and the window never holds the key or opens the store. A job
runs on its own connection (``JobRun.open_database``), so the GUI can run it in a
worker thread while the desk keeps working. The work itself is ``controllers.backups``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import text

from pharmdesk.controllers.backups import (
    ScheduledOutcome,
    backup_status,
    check_backup,
    check_server_backup,
    run_restore,
    run_scheduled,
    run_server_restore,
    write_backup,
)
from pharmdesk.controllers.backups.history import HISTORY_LIMIT, BackupRecord
from pharmdesk.controllers.registry import (
    ADMINS,
    EVERYONE,
    PHARMACISTS,
    JobRun,
    Op,
    Progress,
    job,
    operation,
)
from pharmdesk.controllers.validation import Param, boolean, string
from pharmdesk.errors import validation
from pharmdesk.paths import DatabaseFiles, is_server_url, server_files
from pharmdesk.store import backup

SERVER_BACKUP_NEEDS_SERVER = (
    "This is a branch server's backup: it is checked and restored on a PostgreSQL server, "
    "into a new, empty database (postgresql://OWNER@HOST:PORT/NEWDB). Nothing was changed."
)
FILE_BACKUP_NEEDS_FILE = (
    "This is a single-PC backup: it restores into a database file. To move a file's data "
    "onto the branch server, use 'pharmdesk server import-file'. Nothing was changed."
)
SERVER_SCHEDULE = (
    "This desk works on the branch server: its scheduled backups run on the server PC "
    "('pharmdesk backup --scheduled', started by cron or Task Scheduler as the server "
    "guide shows), not in this window. 'Back up now' works from here."
)


@operation("getBackupStatus", params={})
def get_backup_status(op: Op, _p: dict[str, Any]) -> dict[str, Any]:
    """The status bar's line and the backup dialog's (no patient data, so everyone).
    On a branch server only admins read the audit log: the backup entries' facts come
    through the server's ``pharmdesk_backup_history`` (``store/pg_backup_sql``)."""
    if op.tx.get_bind().dialect.name != "postgresql":
        return backup_status(op.tx, op.now)
    rows = op.tx.execute(
        text("SELECT at, outcome, file, scheduled, error FROM pharmdesk_backup_history(:n)"),
        {"n": HISTORY_LIMIT},
    )
    history = [
        BackupRecord(
            at=row.at.replace(tzinfo=dt.UTC),
            file=row.file,
            outcome=row.outcome,
            scheduled=bool(row.scheduled),
            error=row.error,
        )
        for row in rows
    ]
    return backup_status(op.tx, op.now, history)


PATH = string(1, 4096)


@job("backup", params={"file": Param(PATH, required=True)}, roles=PHARMACISTS)
def backup_job(run: JobRun, p: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Back up to a chosen file (``pharmdesk backup FILE``, Admin ▸ Back up now…)."""
    target = Path(p["file"]).expanduser()
    db = run.open_database()
    try:
        return write_backup(
            db, run.files, run.key, target, user=run.user, clock=run.clock, progress=progress
        )
    finally:
        db.close()


def _scheduled(run: JobRun, progress: Progress, *, force: bool) -> ScheduledOutcome:
    db = run.open_database()
    try:
        return run_scheduled(
            db, run.files, run.key, user=run.user, clock=run.clock, progress=progress, force=force
        )
    finally:
        db.close()


@job("scheduledBackup", params={"force": Param(boolean(), default=False)}, roles=PHARMACISTS)
def scheduled_backup_job(run: JobRun, p: dict[str, Any], progress: Progress) -> ScheduledOutcome:
    """``pharmdesk backup --scheduled [--now]`` (a pharmacist's or admin's task)."""
    return _scheduled(run, progress, force=bool(p["force"]))


@job("dueBackup", params={}, roles=EVERYONE)
def due_backup_job(run: JobRun, _p: dict[str, Any], progress: Progress) -> ScheduledOutcome:
    """The window's background backup, for whoever is signed in: only when one is due,
    only into the folder and with the rotation an admin set. Nobody chooses a file or a
    time here, so backups happen on a front-desk-only day too. A desk on the branch
    server leaves them to the server PC's scheduled task (the folder is a drive there);
    the reminders still come from the same audit entries."""
    if run.files.server is not None:
        return ScheduledOutcome("off", SERVER_SCHEDULE)
    return _scheduled(run, progress, force=False)


RESTORE_SOURCE = {
    "file": Param(PATH, required=True),
    "username": Param(string(1, 64), required=True),
    "password": Param(string(1, 1024, strip=False), required=True),
}


def _is_server_backup(source: Path) -> bool:
    manifest = backup.read_manifest(source)
    return manifest is not None and manifest.store == "server"


@job("checkBackup", params=RESTORE_SOURCE, roles=ADMINS)
def check_backup_job(run: JobRun, p: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Admin ▸ Restore… ▸ Check backup: the restore drill, with an account of the backup
    (a branch server's backup: in a scratch database on this desk's server)."""
    source = Path(p["file"]).expanduser()
    if _is_server_backup(source):
        if run.files.server is None:
            raise validation(SERVER_BACKUP_NEEDS_SERVER, "file")
        return check_server_backup(
            source, run.files.server, p["username"], p["password"], progress=progress
        )
    return check_backup(source, p["username"], p["password"], kdf=run.kdf, progress=progress)


@job(
    "restoreBackup",
    params={
        **RESTORE_SOURCE,
        "db": Param(PATH, required=True),
        "replace": Param(boolean(), default=False),
    },
    roles=ADMINS,
)
def restore_backup_job(run: JobRun, p: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Admin ▸ Restore…: into a new file, or (``replace``) in place of the current one,
    which the window has signed out of first; a branch server's backup into a new,
    empty server database (``db`` a ``postgresql://`` URL). The backup's own admin
    account unlocks it."""
    source = Path(p["file"]).expanduser()
    if _is_server_backup(source):
        if not is_server_url(p["db"]) or p["replace"]:
            raise validation(SERVER_BACKUP_NEEDS_SERVER, "db")
        return run_server_restore(
            server_files(p["db"]),
            source,
            p["username"],
            p["password"],
            clock=run.clock,
            progress=progress,
        )
    if is_server_url(p["db"]):
        raise validation(FILE_BACKUP_NEEDS_FILE, "db")
    return run_restore(
        DatabaseFiles(Path(p["db"]).expanduser()),
        source,
        p["username"],
        p["password"],
        replace=bool(p["replace"]),
        clock=run.clock,
        kdf=run.kdf,
        progress=progress,
    )
