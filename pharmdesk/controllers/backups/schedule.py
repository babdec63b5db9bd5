"""The scheduled backup into the chosen folder, and rotation (7 daily, 4 weekly, 12
monthly): only copies of this very database, never the newest, only after a new copy
verified."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pharmdesk.clock import Clock
from pharmdesk.controllers.backups.history import (
    FOLDER_MISSING,
    backup_status,
    scheduled_name,
    scheduled_time,
)
from pharmdesk.controllers.backups.writing import audit_backup, no_progress, write_backup
from pharmdesk.controllers.session import DeskSession
from pharmdesk.controllers.settings_store import load_settings
from pharmdesk.errors import DISK_FULL, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup
from pharmdesk.store.engine import Database


def _periods(moment: dt.datetime) -> dict[str, Any]:
    local = moment.astimezone()  # the branch's calendar (the PC's time zone)
    iso = local.isocalendar()
    return {
        "daily": local.date(),
        "weekly": (iso.year, iso.week),
        "monthly": (local.year, local.month),
    }


def copies_to_keep(copies: Sequence[tuple[str, dt.datetime]], keep: dict[str, int]) -> set[str]:
    """The grandfather-father-son rule, as a pure function of (name, time) pairs.

    For each kind (daily, weekly, monthly) keep the newest copy of each of the last N
    calendar days / ISO weeks / months that have a copy; the kinds overlap (one copy
    can count as a day, a week and a month). The newest copy is always kept, whatever
    the numbers say.
    """
    ordered = sorted(copies, key=lambda item: (item[1], item[0]), reverse=True)
    kept: set[str] = set()
    if ordered:
        kept.add(ordered[0][0])
    for kind in ("daily", "weekly", "monthly"):
        wanted = max(0, int(keep.get(kind, 0)))
        seen: set[Any] = set()
        for name, moment in ordered:
            if len(seen) >= wanted:
                break
            period = _periods(moment)[kind]
            if period not in seen:
                seen.add(period)
                kept.add(name)
    return kept


def rotation_candidates(folder: Path, origin: str | None) -> list[tuple[Path, dt.datetime]]:
    """Files of ``folder`` rotation may consider: a scheduled-copy name, a readable
    PharmDesk manifest, and the same database (origin). Everything else is left alone."""
    found: list[tuple[Path, dt.datetime]] = []
    if origin is None:
        return found
    for path in folder.iterdir():
        moment = scheduled_time(path.name)
        if moment is None or not path.is_file() or path.is_symlink():
            continue
        manifest = backup.read_manifest(path)
        if manifest is None or manifest.origin != origin:
            continue
        found.append((path, moment))
    return found


def rotate(folder: Path, origin: str | None, keep: dict[str, int], newest: Path) -> list[str]:
    """Delete the scheduled copies the rule does not keep; returns the names deleted.
    ``newest`` (the copy just verified) is kept whatever happens."""
    candidates = rotation_candidates(folder, origin)
    kept = copies_to_keep([(p.name, moment) for p, moment in candidates], keep)
    kept.add(newest.name)
    removed = []
    for path, _moment in sorted(candidates):
        if path.name in kept:
            continue
        try:
            path.unlink()
        except OSError:
            continue  # read-only share: the next run tries again
        removed.append(path.name)
    return removed


@dataclasses.dataclass(frozen=True)
class ScheduledOutcome:
    status: str  # "success" | "failed" | "notDue" | "off"
    message: str
    file: str | None = None
    removed: tuple[str, ...] = ()
    error: str | None = None

    @property
    def warning(self) -> bool:
        return self.status == "failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "file": self.file,
            "removed": list(self.removed),
            "error": self.error,
        }


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot take a backup now, in words for the front desk; None if fine."""
    if not folder.exists():
        return (
            f"The backup folder {folder} is not there. Plug in the backup drive (or "
            "connect the network share); PharmDesk will try again."
        )
    if not folder.is_dir():
        return f"The backup folder {folder} is not a folder. Choose another in Settings."
    return None


def run_scheduled(
    db: Database,
    files: DatabaseFiles,
    key: bytes,
    *,
    user: str,
    clock: Clock,
    progress: backup.Progress = no_progress,
    force: bool = False,
) -> ScheduledOutcome:
    """Make the scheduled backup if one is due (or ``force``), verify it, rotate.

    Never raises for a missing folder, a full drive or a failed verification: those are
    audited as failed and come back as a warning; the next attempt simply tries again.
    """
    now = clock.now()
    with db.transaction() as tx:
        settings = load_settings(tx)
        status = backup_status(tx, now)
    folder_text = settings.get("backupFolder")
    if not folder_text:
        return ScheduledOutcome(
            "off", "Scheduled backups are off: no backup folder is set (Admin ▸ Settings)."
        )
    if not (force or status["due"]):
        return ScheduledOutcome("notDue", f"The next backup is due at {status['nextDue']}.")
    folder = Path(str(folder_text))
    problem = folder_problem(folder)
    if problem is not None:
        audit_backup(
            db,
            user,
            now,
            "failed",
            {"file": str(folder), "scheduled": True, "error": FOLDER_MISSING},
        )
        return ScheduledOutcome("failed", problem, error=FOLDER_MISSING)
    target = folder / scheduled_name(str(settings.get("branchName") or ""), now)
    origin = backup.origin_of(db.engine)
    keep = dict(settings.get("backupKeep") or {})
    try:
        answer = write_backup(
            db,
            files,
            key,
            target,
            user=user,
            clock=clock,
            progress=progress,
            scheduled=True,
            after_verify=lambda: {"rotatedOut": rotate(folder, origin, keep, target)},
        )
    except PharmDeskError as exc:
        if exc.code == DISK_FULL:
            message = (
                f"The backup drive ({folder}) is full, so today's backup was not made. Free "
                "space on it or use another drive; PharmDesk will try again."
            )
        else:
            message = f"The scheduled backup failed: {exc.message}"
        return ScheduledOutcome("failed", message, file=str(target), error=exc.code)
    removed = tuple(answer.get("rotatedOut", []))
    return ScheduledOutcome(
        "success", f"Backup written and verified: {target}", file=str(target), removed=removed
    )


def run_scheduled_for(desk: DeskSession, *, force: bool = False) -> ScheduledOutcome:
    """``pharmdesk backup --scheduled``: as the signed-in admin or pharmacist."""
    outcome: ScheduledOutcome = desk.run_job("scheduledBackup", {"force": force})
    return outcome
