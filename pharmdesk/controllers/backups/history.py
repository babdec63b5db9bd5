"""What happened so far, read from the audit log's ``backup`` entries: the last
(verified) backup, when the next one is due, and how scheduled copies are named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pharmdesk.clock import to_iso
from pharmdesk.controllers.session import DeskSession
from pharmdesk.controllers.settings_store import load_settings
from pharmdesk.store import backup
from pharmdesk.store.schema import AuditEntry

SUFFIX = backup.BACKUP_SUFFIX


SCHEDULED_NAME = re.compile(r"^pharmdesk-(?P<slug>[a-z0-9-]{1,40})-(?P<stamp>\d{8}T\d{6}Z)\.pdbak$")


STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


HISTORY_LIMIT = 500  # backup entries looked at for "last backup" (years of daily copies)


FOLDER_MISSING = "FOLDER_MISSING"


def branch_slug(branch: str) -> str:
    """The branch name as a file-name piece: lowercase letters, digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", branch.lower()).strip("-")
    slug = slug.removeprefix("pharmdesk-")[:40].strip("-")  # the name starts with it already
    return slug or "branch"


def default_backup_name(branch: str, day: dt.date) -> str:
    """What "Back up now" proposes; deliberately not the scheduled pattern, so rotation
    never deletes a copy somebody made by hand."""
    return f"pharmdesk-{branch_slug(branch)}-{day.isoformat()}{SUFFIX}"


def scheduled_name(branch: str, moment: dt.datetime) -> str:
    stamp = moment.astimezone(dt.UTC).strftime(STAMP_FORMAT)
    return f"pharmdesk-{branch_slug(branch)}-{stamp}{SUFFIX}"


def scheduled_time(name: str) -> dt.datetime | None:
    match = SCHEDULED_NAME.match(name)
    if match is None:
        return None
    try:
        return dt.datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


@dataclasses.dataclass(frozen=True)
class BackupRecord:
    at: dt.datetime
    file: str | None
    outcome: str
    scheduled: bool
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": to_iso(self.at),
            "file": self.file,
            "outcome": self.outcome,
            "scheduled": self.scheduled,
            "error": self.error,
        }


def backup_history(tx: Session, limit: int = HISTORY_LIMIT) -> list[BackupRecord]:
    """Backup attempts, newest first."""
    rows = tx.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "backup")
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    records = []
    for entry in rows:
        try:
            detail = json.loads(entry.detail) if entry.detail else {}
        except ValueError:
            detail = {}
        if not isinstance(detail, dict):
            detail = {}
        file = detail.get("file")
        error = detail.get("error")
        records.append(
            BackupRecord(
                at=entry.at.replace(tzinfo=dt.UTC),
                file=str(file) if file is not None else None,
                outcome=entry.outcome,
                scheduled=bool(detail.get("scheduled")),
                error=str(error) if error is not None else None,
            )
        )
    return records


def newest(records: Iterable[BackupRecord], *, scheduled: bool | None) -> BackupRecord | None:
    for record in records:
        if record.outcome == "success" and (scheduled is None or record.scheduled == scheduled):
            return record
    return None


def next_due(settings: dict[str, Any], last_success: dt.datetime | None) -> dt.datetime | None:
    """When the next scheduled copy is due; None when scheduling is off (no folder)."""
    if not settings.get("backupFolder"):
        return None
    if last_success is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return last_success + dt.timedelta(hours=int(settings.get("backupEveryHours") or 24))


def backup_status(
    tx: Session, now: dt.datetime, history: list[BackupRecord] | None = None
) -> dict[str, Any]:
    """What the admin screen and the status bar show: the last verified backup (any
    kind), the last scheduled attempt, whether one is due, and whether it is overdue for
    the reminder (``backupReminderDays``). ``history``: the backup entries, newest
    first, when the caller read them another way (a branch server's staff logins)."""
    settings = load_settings(tx)
    if history is None:
        history = backup_history(tx)
    last = newest(history, scheduled=None)
    last_scheduled = newest(history, scheduled=True)
    attempt = next((r for r in history if r.scheduled), None)
    due_at = next_due(settings, last_scheduled.at if last_scheduled else None)
    reminder_days = int(settings.get("backupReminderDays") or 7)
    overdue = last is None or now - last.at > dt.timedelta(days=reminder_days)
    return {
        "lastVerified": last.to_json() if last else None,
        "lastScheduledAttempt": attempt.to_json() if attempt else None,
        "folder": settings.get("backupFolder"),
        "due": due_at is not None and now >= due_at,
        "nextDue": to_iso(due_at) if due_at is not None and last_scheduled else None,
        "reminderDays": reminder_days,
        "overdue": overdue,
    }


def status_for(desk: DeskSession) -> dict[str, Any]:
    return desk.call("getBackupStatus")
