"""A branch server's backup: the restore drill (restored into a scratch database on a
server, checked, dropped) and the restore into a new, empty server database.

Both open the backup key with an admin's password of the backup or its recovery key;
the dump is decrypted only as it streams into ``pg_restore``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pharmdesk.clock import Clock, to_iso
from pharmdesk.controllers import audit
from pharmdesk.controllers.backups.writing import chain_check, no_progress
from pharmdesk.controllers.server_logins import restored_logins
from pharmdesk.controllers.session import WRONG_PASSWORD
from pharmdesk.errors import AUTH_FAILED, PharmDeskError
from pharmdesk.paths import DatabaseFiles, server_where
from pharmdesk.store import backup
from pharmdesk.store.files import open_private
from pharmdesk.store.schema import AuditEntry, Customer
from pharmdesk.store.server import make_server_engine, server_objects

CHECKS = ["sha256", "aesGcmChunks", "pgRestore", "rowCounts", "auditChain"]


def unlock(archive: backup.ServerArchive, username: str, secret: str, recovery: bool) -> bytes:
    key = archive.unlock(username.strip().lower(), secret, recovery=recovery)
    if key is None:
        raise PharmDeskError(
            AUTH_FAILED,
            "That recovery key does not open this backup." if recovery else WRONG_PASSWORD,
        )
    return key


def _what_it_holds(tx: Session) -> tuple[int, dt.datetime | None]:
    customers = int(tx.scalar(select(func.count()).select_from(Customer)) or 0)
    return customers, tx.scalar(select(func.max(AuditEntry.at)))


def check_server_backup(
    source: Path,
    server: str,
    username: str,
    secret: str,
    *,
    recovery: bool = False,
    progress: backup.Progress | None = None,
) -> dict[str, Any]:
    """The restore drill for a server backup, on the server of ``server`` (a scratch
    database there, dropped at the end); the databases in use are never touched."""
    archive = backup.ServerArchive(source)
    key = unlock(archive, username, secret, recovery)
    checked = backup.verify_server_archive(
        source, key, server, chain_check, progress=progress or no_progress, inspect=_what_it_holds
    )
    customers, last_at = checked.extra
    manifest = checked.manifest
    return {
        "ok": True,
        "file": str(source),
        "store": "server",
        "createdAt": manifest.created_at,
        "appVersion": manifest.app_version,
        "schemaRevision": checked.verified.schema_revision,
        "customers": customers,
        "lastAuditEntryAt": to_iso(last_at.replace(tzinfo=dt.UTC)) if last_at else None,
        "auditEntries": int(manifest.checkpoint["id"]) if manifest.checkpoint else 0,
        "rowCounts": checked.verified.row_counts,
        "checks": CHECKS,
    }


def run_server_restore(
    target: DatabaseFiles,
    source: Path,
    username: str,
    secret: str,
    *,
    clock: Clock,
    recovery: bool = False,
    progress: backup.Progress | None = None,
) -> dict[str, Any]:
    """Restore ``source`` into the new (or empty) server database ``target.server``:
    ``pg_restore`` in one transaction, counts and the audit chain checked there, the
    people's login roles made (``server_logins.restored_logins``), a ``restore`` entry
    appended, and this desk's key slots for it put in place from the backup. A database
    this restore created is dropped again if anything fails."""
    assert target.server is not None
    url = target.server
    archive = backup.ServerArchive(source)
    key = unlock(archive, username, secret, recovery)
    report = progress or no_progress
    created = backup.prepare_target(url)
    try:
        archive.restore_into(url, key, report)
        backup.check_restored(url, archive.manifest, archive.checkpoint, chain_check)
        engine = make_server_engine(url)
        try:
            # The dump carries no owners or GRANTs (--no-owner --no-acl), and role names
            # are this database's own: its groups, GRANTs and audit functions made anew.
            with engine.begin() as conn:
                server_objects(conn)
                # Login roles are the server's: the people's are made for this database
                # (kept where this server has them already).
                restorer = None if recovery else username.strip().lower()
                logins = restored_logins(conn, restorer, None if recovery else secret)
            with Session(engine) as tx, tx.begin():
                audit.append(
                    tx,
                    at=clock.now(),
                    user="recovery" if recovery else username.strip().lower(),
                    action="restore",
                    entity_type="database",
                    detail={
                        "file": str(source),
                        "backupCreatedAt": archive.manifest.created_at,
                        "backupAppVersion": archive.manifest.app_version,
                        "store": "server",
                        "logins": len(logins),  # how many were made; never a password
                    },
                )
                head = audit.chain_head(tx)
        finally:
            engine.dispose()
    except BaseException:
        backup.discard_target(url, created)
        raise
    target.db.parent.mkdir(parents=True, exist_ok=True)
    if archive.vault is not None and not target.vault.exists():
        with open_private(target.vault) as handle:
            handle.write(archive.vault)
    if head is not None:
        audit.write_checkpoint(target.checkpoint, head)
    return {
        "success": True,
        "restoredTo": server_where(url),
        "store": "server",
        "createdDatabase": created,
        "backupCreatedAt": archive.manifest.created_at,
        "schemaRevision": archive.manifest.schema_revision,
        "rowCounts": archive.manifest.row_counts,
        "signInKeys": archive.vault is not None,
        # Shown this once: each person signs in with theirs and chooses their own.
        "logins": [login.to_json() for login in logins],
    }
