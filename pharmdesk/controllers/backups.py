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
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pharmdesk import __version__
from pharmdesk.clock import Clock, parse_iso, to_iso
from pharmdesk.controllers import audit
from pharmdesk.controllers.registry import (
    ADMIN,
)
from pharmdesk.controllers.session import WRONG_PASSWORD, DeskSession, open_database
from pharmdesk.controllers.settings_store import load_settings
from pharmdesk.errors import (
    AUTH_FAILED,
    DATABASE_ERROR,
    DISK_FULL,
    PERMISSION_DENIED,
    PharmDeskError,
    validation,
)
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup
from pharmdesk.store.engine import Database, open_engine
from pharmdesk.store.schema import AuditEntry, Customer, Staff
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams

SUFFIX = backup.BACKUP_SUFFIX
SCHEDULED_NAME = re.compile(r"^pharmdesk-(?P<slug>[a-z0-9-]{1,40})-(?P<stamp>\d{8}T\d{6}Z)\.pdbak$")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
HISTORY_LIMIT = 500  # backup entries looked at for "last backup" (years of daily copies)
FOLDER_MISSING = "FOLDER_MISSING"


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


def chain_check(tx: Session, checkpoint: dict[str, Any] | None) -> str | None:
    """The audit chain check that backups and restores run on their copies."""
    stored = audit.Checkpoint.from_json(checkpoint) if checkpoint else None
    report = audit.verify_chain(tx, stored)
    return None if report.ok else (report.reason or "the chain does not verify")


# -- names -------------------------------------------------------------------------------
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


# -- what happened so far (from the audit log) -------------------------------------------
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


def _newest(records: Iterable[BackupRecord], *, scheduled: bool | None) -> BackupRecord | None:
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


def backup_status(tx: Session, now: dt.datetime) -> dict[str, Any]:
    """What the admin screen and the status bar show: the last verified backup (any
    kind), the last scheduled attempt, whether one is due, and whether it is overdue for
    the reminder (``backupReminderDays``)."""
    settings = load_settings(tx)
    history = backup_history(tx)
    last = _newest(history, scheduled=None)
    last_scheduled = _newest(history, scheduled=True)
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


# -- writing one verified backup ---------------------------------------------------------
def _save_checkpoint(db: Database, files: DatabaseFiles) -> dict[str, Any] | None:
    with db.transaction() as tx:
        head = audit.chain_head(tx)
    if head is not None:
        audit.write_checkpoint(files.checkpoint, head)
    stored = audit.read_checkpoint(files.checkpoint)
    return stored.to_json() if stored else None


def _audit_backup(
    db: Database, user: str, now: dt.datetime, outcome: str, detail: dict[str, Any]
) -> None:
    with db.transaction() as tx:
        audit.append(
            tx,
            at=now,
            user=user,
            action="backup",
            entity_type="database",
            outcome=outcome,
            detail=detail,
        )


def write_backup(
    db: Database,
    files: DatabaseFiles,
    key: bytes,
    target: Path,
    *,
    user: str,
    clock: Clock,
    progress: backup.Progress = _no_progress,
    scheduled: bool = False,
    after_verify: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write ``target``, read it back and verify it, audit the outcome either way.

    ``after_verify`` runs once the copy is proven (rotation), its answer joins the audit
    detail and the result.
    """
    base = {"file": str(target), **({"scheduled": True} if scheduled else {})}
    stored = _save_checkpoint(db, files)
    started = clock.now()
    written = False
    try:
        manifest = backup.create_backup(
            db.engine,
            files,
            key,
            target,
            created_at=to_iso(started),
            app_version=__version__,
            chain_check=chain_check,
            stored_checkpoint=stored,
            progress=progress,
        )
        written = True
        # Read back from the backup drive exactly what a restore will read.
        try:
            backup.verify_archive(target, key, chain_check, progress=progress)
        except backup.Damaged as exc:
            raise PharmDeskError(
                DATABASE_ERROR,
                f"The backup written to {target.parent} failed its check when read back "
                f"({exc.detail}), so it was deleted. The drive may be failing: try another.",
            ) from None
        extra = after_verify() if after_verify is not None else {}
    except PharmDeskError as exc:
        if written:
            # A file that fails its own verification must not pass for a backup (nor be
            # counted by rotation as the newest copy); PharmDesk wrote it, so it goes.
            with contextlib.suppress(OSError):
                target.unlink()
        _audit_backup(db, user, clock.now(), "failed", {**base, "error": exc.code})
        raise
    except OSError:
        if written:
            with contextlib.suppress(OSError):
                target.unlink()
        _audit_backup(db, user, clock.now(), "failed", {**base, "error": DATABASE_ERROR})
        raise PharmDeskError(
            DATABASE_ERROR,
            f"The backup could not be written to {target}. Check that the drive is "
            "plugged in, writable and has free space.",
        ) from None
    code = audit.Checkpoint.from_json(manifest.checkpoint).code() if manifest.checkpoint else None
    size = target.stat().st_size
    _audit_backup(
        db,
        user,
        clock.now(),
        "success",
        {
            **base,
            "bytes": size,
            "checkpoint": code,
            "rows": manifest.row_counts,
            "verified": True,
            **extra,
        },
    )
    _save_checkpoint(db, files)
    return {
        "success": True,
        "file": str(target),
        "bytes": size,
        "createdAt": manifest.created_at,
        "schemaRevision": manifest.schema_revision,
        "rowCounts": manifest.row_counts,
        "checkpoint": code,
        "verified": True,
        **extra,
    }


def run_backup(
    desk: DeskSession, target: Path, progress: backup.Progress | None = None
) -> dict[str, Any]:
    """Back up the signed-in desk's database to ``target`` (the ``backup`` job)."""
    answer: dict[str, Any] = desk.run_job("backup", {"file": str(target)}, progress)
    return answer


# -- rotation -----------------------------------------------------------------------------
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


# -- the scheduled backup -------------------------------------------------------------------
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
    progress: backup.Progress = _no_progress,
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
            "off",
            "Scheduled backups are off: no backup folder is set (Admin ▸ Settings).",
        )
    if not (force or status["due"]):
        return ScheduledOutcome("notDue", f"The next backup is due at {status['nextDue']}.")
    folder = Path(str(folder_text))
    problem = folder_problem(folder)
    if problem is not None:
        _audit_backup(
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
        "success",
        f"Backup written and verified: {target}",
        file=str(target),
        removed=removed,
    )


def run_scheduled_for(desk: DeskSession, *, force: bool = False) -> ScheduledOutcome:
    """``pharmdesk backup --scheduled``: as the signed-in admin or pharmacist."""
    outcome: ScheduledOutcome = desk.run_job("scheduledBackup", {"force": force})
    return outcome


# -- restoring ------------------------------------------------------------------------------
def run_restore(
    files: DatabaseFiles,
    source: Path,
    username: str,
    password: str,
    *,
    replace: bool,
    clock: Clock,
    kdf: KdfParams = DEFAULT_KDF,
    progress: backup.Progress | None = None,
) -> dict[str, Any]:
    """Restore ``source`` into ``files``: unlocked with an admin account of the backup,
    verified, audited in the restored database, then put in place (with ``replace`` the
    current files are moved aside under a timestamped name, never deleted)."""
    if backup.target_in_use(files) and not replace:
        raise validation(
            f"A database already exists at {files.db}; nothing was changed. Restore into "
            "another --db, or add --replace to move the current one aside first.",
            "db",
        )
    report = progress or _no_progress
    username = username.strip().lower()
    folder_existed = files.db.parent.exists()
    try:
        with backup.staging_folder(files.db) as staging:
            archive = backup.BackupArchive(source, staging)
            key = archive.unlock(username, password, kdf)
            if key is None:
                raise PharmDeskError(AUTH_FAILED, WRONG_PASSWORD)
            archive.extract_database(report)
            archive.verify(key, chain_check, report)
            now = clock.now()
            db = open_database(archive.files, key)  # upgrades an older schema
            try:
                with db.transaction() as tx:
                    staff = tx.scalar(select(Staff).where(Staff.username == username))
                    if staff is None or staff.disabled:
                        raise PharmDeskError(AUTH_FAILED, WRONG_PASSWORD)
                    if staff.role != ADMIN:
                        raise PharmDeskError(
                            PERMISSION_DENIED,
                            "Only an admin account of the backup can restore it. Sign in "
                            "with one (--user).",
                        )
                    audit.append(
                        tx,
                        at=now,
                        user=username,
                        action="restore",
                        entity_type="database",
                        detail={
                            "file": str(source),
                            "backupCreatedAt": archive.manifest.created_at,
                            "backupAppVersion": archive.manifest.app_version,
                            "replace": replace,
                        },
                    )
                    head = audit.chain_head(tx)
            finally:
                db.close()
            if head is not None:
                audit.write_checkpoint(archive.files.checkpoint, head)
            moved = backup.install(archive.files, files, replace=replace, now=now)
    except BaseException:
        if not folder_existed:
            with contextlib.suppress(OSError):
                files.db.parent.rmdir()  # only if this call created it and it is empty
        raise
    return {
        "success": True,
        "restoredTo": str(files.db),
        "backupCreatedAt": archive.manifest.created_at,
        "schemaRevision": archive.manifest.schema_revision,
        "rowCounts": archive.manifest.row_counts,
        "movedAside": [str(path) for path in moved],
    }


def check_backup(
    source: Path,
    username: str,
    password: str,
    *,
    kdf: KdfParams = DEFAULT_KDF,
    progress: backup.Progress | None = None,
) -> dict[str, Any]:
    """The restore drill: unpack ``source`` into a temporary folder, unlock it with a
    staff account *of the backup* (its own vault), verify it as a restore would, and say
    what it holds. The live database is never opened; the temporary folder is removed."""
    report = progress or _no_progress
    with tempfile.TemporaryDirectory(prefix="pharmdesk-restore-check-") as folder:
        archive = backup.BackupArchive(source, Path(folder))
        key = archive.unlock(username.strip().lower(), password, kdf)
        if key is None:
            raise PharmDeskError(AUTH_FAILED, WRONG_PASSWORD)
        archive.extract_database(report)
        verified = archive.verify(key, chain_check, report)
        engine = open_engine(archive.files.db, key)
        try:
            with Session(engine) as tx:
                customers = int(tx.scalar(select(func.count()).select_from(Customer)) or 0)
                last_at = tx.scalar(select(func.max(AuditEntry.at)))
        finally:
            engine.dispose()
    manifest = archive.manifest
    return {
        "ok": True,
        "file": str(source),
        "createdAt": manifest.created_at,
        "appVersion": manifest.app_version,
        "schemaRevision": verified.schema_revision,
        "customers": customers,
        "lastAuditEntryAt": to_iso(last_at.replace(tzinfo=dt.UTC)) if last_at else None,
        "auditEntries": int(verified.head["id"]) if verified.head else 0,
        "rowCounts": verified.row_counts,
        "checks": [
            "sha256",
            "integrity_check",
            "cipher_integrity_check",
            "rowCounts",
            "auditChain",
        ],
    }


def parse_when(text: str | None) -> dt.datetime | None:
    """An ISO time from ``backup_status`` back as a datetime (for the GUI's "ago")."""
    return parse_iso(text) if text else None
