"""The safety copy written before a schema upgrade: beside a database file, or, for a
branch server, a verified server backup in this desk's folder for that server."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import audit_chain
from pharmdesk.store.backup.copy import writing_to
from pharmdesk.store.backup.format import (
    CHECKPOINT,
    DATABASE,
    MANIFEST,
    MEMBERS,
    VAULT,
    Manifest,
    damaged,
    is_plaintext_sqlite,
    place_new_file,
    sha256_file,
    staging_folder,
)
from pharmdesk.store.files import create_private, fsync_file
from pharmdesk.store.schema import Base

PRE_UPGRADE_MARK = ".before-upgrade-from-schema-"
BACKUP_SUFFIX = ".pdbak"


def pre_upgrade_name(db: Path, revision: str, stamp: dt.datetime) -> Path:
    """``pharmdesk.db.before-upgrade-from-schema-0001-20261125T195500Z.pdbak`` beside it."""
    label = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(ch for ch in revision if ch.isalnum())[:32] or "unknown"
    return db.with_name(f"{db.name}{PRE_UPGRADE_MARK}{safe}-{label}{BACKUP_SUFFIX}")


def _main_file(raw: Any) -> Path | None:
    for _seq, name, file in raw.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(file) if file else None
    return None


def _export_copy(raw: Any, copy: Path) -> dict[str, int]:
    """Copy the open database into ``copy`` under the same key (an attached database
    without a KEY clause inherits the main one, so no key is needed here) and return the
    row counts read in the same snapshot."""
    raw.execute("ATTACH DATABASE ? AS pre_upgrade", (str(copy),))
    try:
        raw.execute("BEGIN")
        try:
            counts = {
                name: int(raw.execute(f'SELECT count(*) FROM main."{name}"').fetchone()[0])
                for name in sorted(Base.metadata.tables)
                if raw.execute(
                    "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?", (name,)
                ).fetchone()
            }
            raw.execute("SELECT sqlcipher_export('pre_upgrade')").fetchall()
        finally:
            raw.execute("COMMIT")
    finally:
        raw.execute("DETACH DATABASE pre_upgrade")
    return counts


def _check_export(raw: Any, copy: Path, counts: dict[str, int]) -> tuple[str | None, Any]:
    """Integrity, page HMACs and row counts of the exported copy; its revision and head."""
    raw.execute("ATTACH DATABASE ? AS pre_check", (str(copy),))
    try:
        if [row[0] for row in raw.execute("PRAGMA pre_check.integrity_check")] != ["ok"]:
            raise damaged("the safety copy fails its integrity check")
        if raw.execute("PRAGMA pre_check.cipher_integrity_check").fetchall():
            raise damaged("pages of the safety copy fail their integrity check")
        copied = {
            name: int(raw.execute(f'SELECT count(*) FROM pre_check."{name}"').fetchone()[0])
            for name in counts
        }
        if copied != counts:
            raise damaged("the safety copy does not hold the same number of rows")
        revision = raw.execute("SELECT version_num FROM pre_check.alembic_version").fetchone()
        head = raw.execute(
            "SELECT id, hash FROM pre_check.audit_entry ORDER BY id DESC LIMIT 1"
        ).fetchone()
        source_head = raw.execute(
            "SELECT id, hash FROM main.audit_entry ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if (head and tuple(head)) != (source_head and tuple(source_head)):
            raise damaged("the audit log in the safety copy differs from the database's")
        first = raw.execute("SELECT hash FROM pre_check.audit_entry WHERE id = 1").fetchone()
    finally:
        raw.execute("DETACH DATABASE pre_check")
    checkpoint = {"id": int(head[0]), "hash": str(head[1])} if head else None
    return (None if revision is None else str(revision[0])), (
        checkpoint,
        None if first is None else str(first[0]),
    )


def pre_upgrade_backup(
    engine: Engine, revision: str, *, app_version: str, now: dt.datetime | None = None
) -> Path | None:
    """Before a schema upgrade: a verified backup file beside the database, named with
    the schema revision it holds. Returns its path (None for a database without a file).

    It is a normal backup file (``pharmdesk restore`` takes it): the database exported
    under its own key, the vault beside it, the audit head as checkpoint. Raises
    ``PharmDeskError`` when it cannot be written and verified; the caller then must not
    upgrade.
    """
    stamp = now or dt.datetime.now(dt.UTC)
    raw_conn = engine.raw_connection()
    try:
        raw = raw_conn.driver_connection
        assert raw is not None
        db = _main_file(raw)
        if db is None:
            return None
        files = DatabaseFiles(db)
        target = pre_upgrade_name(db, revision, stamp)
        if not files.vault.is_file():
            raise PharmDeskError(
                DATABASE_ERROR,
                f"The key file beside {db} is missing, so no safety backup can be made.",
            )
        try:
            with writing_to(target), staging_folder(target) as staging:
                copy = staging / DATABASE
                create_private(copy)  # ATTACH would create it with the umask
                counts = _export_copy(raw, copy)
                if is_plaintext_sqlite(copy):
                    raise PharmDeskError(DATABASE_ERROR, "The copy was not encrypted.")
                copied_revision, (head, origin) = _check_export(raw, copy, counts)
                fsync_file(copy)
                manifest = Manifest(
                    app_version=app_version,
                    schema_revision=copied_revision,
                    created_at=stamp.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                    row_counts=counts,
                    database_bytes=copy.stat().st_size,
                    database_sha256=sha256_file(copy),
                    checkpoint=head,
                    origin=origin,
                )
                archive = staging / "backup.zip"
                create_private(archive)
                with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
                    zf.writestr(MANIFEST, json.dumps(manifest.to_json(), indent=1, sort_keys=True))
                    zf.write(copy, DATABASE)
                    zf.write(files.vault, VAULT)
                    zf.writestr(CHECKPOINT, json.dumps(head))
                fsync_file(archive)
                with zipfile.ZipFile(archive) as zf:
                    if zf.testzip() is not None or sorted(zf.namelist()) != sorted(MEMBERS):
                        raise damaged("the safety copy could not be written correctly")
                place_new_file(archive, target)
        except sqlcipher.Error:
            raise PharmDeskError(
                DATABASE_ERROR, f"The safety copy could not be made in {db.parent}."
            ) from None
        except OSError as exc:
            raise PharmDeskError(
                DATABASE_ERROR,
                f"The safety copy could not be written in {db.parent} "
                f"({exc.strerror or type(exc).__name__}).",
            ) from None
    finally:
        raw_conn.close()
    return target


# -- a branch server ---------------------------------------------------------------------
def head_check(tx: Session, checkpoint: dict[str, Any] | None) -> str | None:
    """The copy's audit head is the one read in the dump's snapshot (the store's own
    check: the full chain is verified at every backup the desks make)."""
    head = audit_chain.chain_head(tx)
    found = None if head is None else head.to_json()
    return None if found == checkpoint else "its newest entry is not the one dumped"


def pre_upgrade_server_backup(
    files: DatabaseFiles, engine: Engine, revision: str, *, app_version: str
) -> Path:
    """Before the first newer desk upgrades a branch server's schema: a server backup in
    this desk's folder for the server, named like a file's safety copy, restored once
    into a scratch database and checked. Raises ``PharmDeskError`` when it cannot be
    made; the caller then must not upgrade."""
    from pharmdesk.store.backup import server_keys
    from pharmdesk.store.backup.server import create_server_backup
    from pharmdesk.store.backup.server_restore import verify_server_archive
    from pharmdesk.store.vault import Vault

    assert files.server is not None
    stamp = dt.datetime.now(dt.UTC)
    target = pre_upgrade_name(files.db, revision, stamp)
    target.parent.mkdir(parents=True, exist_ok=True)
    known = Vault(files.vault).slots() if files.vault.is_file() else []
    with engine.begin() as conn:
        slots = server_keys.refresh(conn, known, signed_in=None, now=stamp)
    made = create_server_backup(
        files.server,
        files,
        target,
        slots,
        created_at=stamp.isoformat().replace("+00:00", "Z"),
        app_version=app_version,
    )
    try:
        verify_server_archive(target, made.key, files.server, head_check)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target
