"""Backups as the desk uses them: back up now, on a schedule with rotation, check a backup
file (the restore drill), restore.

Every copy is verified twice: ``store.backup.create_backup`` proves the copy whole before
it is packed, and the written file is then read back from the backup drive as a restore
would read it (``store.backup.verify_archive``). Each attempt is one audit ``backup``
entry with its outcome; the schedule and the "last verified backup" line read those
entries, so they travel with the database.

Scheduled copies are named ``pharmdesk-<branch>-<UTC time>.pdbak``. Rotation only ever
deletes a file that has that name *and* carries a PharmDesk manifest of this very
database (``Manifest.origin``); it never deletes the newest copy, and it runs only after a
new copy has been verified.

What a person starts is a registered job or operation (``controllers.backup_jobs``),
run through the session's one dispatcher; ``run_backup`` and ``run_scheduled_for`` below
are that dispatch for the command line. No Qt here.

The parts: ``history`` (names, what the audit log says happened, what is due),
``writing`` (one verified backup), ``schedule`` (the scheduled copy and rotation) and
``restoring`` (restore and the restore drill); ``server_restoring`` (the same for a
branch server's backup: the drill in a scratch database, restore into a new one).
"""

from __future__ import annotations

from pharmdesk.controllers.backups.history import (
    FOLDER_MISSING,
    HISTORY_LIMIT,
    SCHEDULED_NAME,
    STAMP_FORMAT,
    SUFFIX,
    BackupRecord,
    backup_history,
    backup_status,
    branch_slug,
    default_backup_name,
    newest,
    next_due,
    scheduled_name,
    scheduled_time,
    status_for,
)
from pharmdesk.controllers.backups.restoring import check_backup, parse_when, run_restore
from pharmdesk.controllers.backups.schedule import (
    ScheduledOutcome,
    copies_to_keep,
    folder_problem,
    rotate,
    rotation_candidates,
    run_scheduled,
    run_scheduled_for,
)
from pharmdesk.controllers.backups.server_restoring import check_server_backup, run_server_restore
from pharmdesk.controllers.backups.writing import chain_check, no_progress, run_backup, write_backup

__all__ = [
    "FOLDER_MISSING",
    "HISTORY_LIMIT",
    "SCHEDULED_NAME",
    "STAMP_FORMAT",
    "SUFFIX",
    "BackupRecord",
    "ScheduledOutcome",
    "backup_history",
    "backup_status",
    "branch_slug",
    "chain_check",
    "check_backup",
    "check_server_backup",
    "copies_to_keep",
    "default_backup_name",
    "folder_problem",
    "newest",
    "next_due",
    "no_progress",
    "parse_when",
    "rotate",
    "rotation_candidates",
    "run_backup",
    "run_restore",
    "run_scheduled",
    "run_scheduled_for",
    "run_server_restore",
    "scheduled_name",
    "scheduled_time",
    "status_for",
    "write_backup",
]
