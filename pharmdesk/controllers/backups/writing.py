"""Writing one verified backup: the copy, its read-back check, the checkpoint it carries
and its audit entry. On a branch server the copy is an encrypted ``pg_dump`` and the
read-back check restores it into a scratch database on the server."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pharmdesk import __version__
from pharmdesk.clock import Clock, to_iso
from pharmdesk.controllers import audit
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup
from pharmdesk.store.backup import server_keys
from pharmdesk.store.engine import Database
from pharmdesk.store.vault import Vault


def no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


def chain_check(tx: Session, checkpoint: dict[str, Any] | None) -> str | None:
    """The audit chain check that backups and restores run on their copies."""
    stored = audit.Checkpoint.from_json(checkpoint) if checkpoint else None
    report = audit.verify_chain(tx, stored)
    return None if report.ok else (report.reason or "the chain does not verify")


def _save_checkpoint(db: Database, files: DatabaseFiles) -> dict[str, Any] | None:
    with db.transaction() as tx:
        head = audit.chain_head(tx)
    if head is not None:
        audit.write_checkpoint(files.checkpoint, head)
    stored = audit.read_checkpoint(files.checkpoint)
    return stored.to_json() if stored else None


def server_slots(
    db: Database, files: DatabaseFiles, user: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """The keyslots a server backup is sealed to, brought up to date from this desk's
    vault first (``store.backup.server_keys``)."""
    known = Vault(files.vault).slots() if files.vault.is_file() else []
    with db.transaction() as tx:
        return server_keys.refresh(tx.connection(), known, signed_in=user, now=now)


def audit_backup(
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
    progress: backup.Progress = no_progress,
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
        if files.server is None:
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

            def read_back() -> object:
                return backup.verify_archive(target, key, chain_check, progress=progress)
        else:
            made = backup.create_server_backup(
                files.server,
                files,
                target,
                server_slots(db, files, user, started),
                created_at=to_iso(started),
                app_version=__version__,
                progress=progress,
            )
            manifest = made.manifest
            written = True
            url = files.server

            def read_back() -> object:
                return backup.verify_server_archive(
                    target, made.key, url, chain_check, progress=progress
                )

        # Read back from the backup drive exactly what a restore will read (a server's
        # backup: restored into a scratch database on the server, then dropped).
        try:
            read_back()
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
        audit_backup(db, user, clock.now(), "failed", {**base, "error": exc.code})
        raise
    except OSError:
        if written:
            with contextlib.suppress(OSError):
                target.unlink()
        audit_backup(db, user, clock.now(), "failed", {**base, "error": DATABASE_ERROR})
        raise PharmDeskError(
            DATABASE_ERROR,
            f"The backup could not be written to {target}. Check that the drive is "
            "plugged in, writable and has free space.",
        ) from None
    code = audit.Checkpoint.from_json(manifest.checkpoint).code() if manifest.checkpoint else None
    size = target.stat().st_size
    audit_backup(
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
