"""Restoring a backup into place, and the restore drill that checks one without
restoring."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pharmdesk.clock import Clock, parse_iso, to_iso
from pharmdesk.controllers import audit
from pharmdesk.controllers.backups.writing import chain_check, no_progress
from pharmdesk.controllers.registry import ADMIN
from pharmdesk.controllers.session import WRONG_PASSWORD, open_database
from pharmdesk.errors import AUTH_FAILED, PERMISSION_DENIED, PharmDeskError, validation
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup
from pharmdesk.store.engine import open_engine
from pharmdesk.store.schema import AuditEntry, Customer, Staff
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams


def _file_backup_only(source: Path) -> None:
    manifest = backup.read_manifest(source)
    if manifest is not None and manifest.store == "server":
        raise validation(
            "This is a branch server's backup: check or restore it with a postgresql:// "
            "--db (see the backup guide). Nothing was changed.",
            "file",
        )


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
    _file_backup_only(source)
    report = progress or no_progress
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
    _file_backup_only(source)
    report = progress or no_progress
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
