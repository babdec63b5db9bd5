"""Making a backup: a page-by-page encrypted copy of the open database, verified, then
packed with the keyslots and the audit checkpoint into one file placed atomically."""

from __future__ import annotations

import contextlib
import errno
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pharmdesk.errors import DATABASE_ERROR, DISK_FULL, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import migrate
from pharmdesk.store.backup.format import (
    CHECKPOINT,
    COPY_STEP_PAGES,
    DATABASE,
    MANIFEST,
    MEMBERS,
    VAULT,
    ChainCheck,
    Damaged,
    Manifest,
    Progress,
    chain_head,
    check_new_target,
    damaged,
    is_plaintext_sqlite,
    no_progress,
    origin_of,
    place_new_file,
    row_counts,
    sha256_file,
    staging_folder,
)
from pharmdesk.store.engine import execute_pragma, make_engine, open_engine
from pharmdesk.store.files import create_private, fsync_file
from pharmdesk.store.schema import Base


def copy_database(
    source: Engine, key: bytes, target: Path, progress: Progress = no_progress
) -> dict[str, int]:
    """Copy the open database page by page into a new file under the same key.

    The row counts are taken in the same read transaction as the copy, so they describe
    exactly the snapshot copied even while another window keeps writing.
    """
    dest_engine = make_engine(target, key)
    try:
        dest_raw = dest_engine.raw_connection()
        source_raw = source.raw_connection()
        try:
            src = source_raw.driver_connection
            dst = dest_raw.driver_connection
            assert src is not None and dst is not None
            src.execute("BEGIN")  # a read snapshot: counts and copy see the same rows
            try:
                counts = {
                    name: int(src.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
                    for name in sorted(Base.metadata.tables)
                }

                def report(_status: int, remaining: int, total: int) -> None:
                    progress("Copying the encrypted database", total - remaining, total)

                src.backup(dst, pages=COPY_STEP_PAGES, progress=report)
            finally:
                src.execute("COMMIT")
            dst.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            source_raw.close()
            dest_raw.close()
    finally:
        dest_engine.dispose()
    if is_plaintext_sqlite(target):
        raise PharmDeskError(DATABASE_ERROR, "The copy was not encrypted; it was discarded.")
    return counts


@dataclass(frozen=True)
class VerifiedCopy:
    row_counts: dict[str, int]
    head: dict[str, Any] | None  # the audit chain's newest entry
    schema_revision: str | None


def verify_copy(
    path: Path,
    key: bytes,
    *,
    expected_counts: dict[str, int] | None,
    checkpoint: dict[str, Any] | None,
    chain_check: ChainCheck,
    progress: Progress = no_progress,
) -> VerifiedCopy:
    """Open the copy with the key and prove it whole."""
    if is_plaintext_sqlite(path):
        raise damaged("the database inside is not encrypted")
    try:
        engine = open_engine(path, key)
    except PharmDeskError:
        raise damaged("the database inside does not open with its key") from None
    try:
        progress("Checking the copy", 0, 4)
        if [row[0] for row in execute_pragma(engine, "integrity_check")] != ["ok"]:
            raise damaged("the database copy fails its integrity check")
        progress("Checking the copy", 1, 4)
        if execute_pragma(engine, "cipher_integrity_check"):
            raise damaged("pages of the encrypted copy fail their integrity check")
        progress("Checking the copy", 2, 4)
        counts = row_counts(engine)
        if expected_counts is not None and counts != expected_counts:
            raise damaged("the copy does not hold the same number of rows")
        progress("Checking the copy", 3, 4)
        with Session(engine) as tx, tx.begin():
            reason = chain_check(tx, checkpoint)
        if reason is not None:
            raise damaged(f"the audit log in the copy does not verify: {reason}")
        progress("Checking the copy", 4, 4)
        return VerifiedCopy(counts, chain_head(engine), migrate.current_revision(engine))
    except DBAPIError:
        raise damaged("the database copy is malformed") from None
    finally:
        engine.dispose()


@contextlib.contextmanager
def writing_to(target: Path) -> Iterator[None]:
    """A full or failing backup drive as a message a person can act on."""
    try:
        yield
    except (sqlcipher.DatabaseError, DBAPIError) as exc:
        full = "full" in str(exc).lower()
        raise PharmDeskError(
            DISK_FULL if full else DATABASE_ERROR,
            f"The backup to {target.parent} failed"
            + (
                ": the drive is full. Free space or use another drive."
                if full
                else ". Check that the drive is plugged in and writable, then try again."
            ),
        ) from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise PharmDeskError(
                DISK_FULL,
                f"The backup to {target.parent} failed: the drive is full. Free space or "
                "use another drive.",
            ) from None
        raise


def create_backup(
    source: Engine,
    files: DatabaseFiles,
    key: bytes,
    target: Path,
    *,
    created_at: str,
    app_version: str,
    chain_check: ChainCheck,
    stored_checkpoint: dict[str, Any] | None,
    progress: Progress = no_progress,
) -> Manifest:
    """Write a verified backup of the open database to ``target`` (never overwriting)."""
    check_new_target(target)
    with writing_to(target), staging_folder(target) as staging:
        copy = staging / DATABASE
        counts = copy_database(source, key, copy, progress)
        # The chain must contain the checkpoint kept beside the database (a lagging one is
        # fine); the backup then carries the chain's head as its own checkpoint.
        try:
            verified = verify_copy(
                copy,
                key,
                expected_counts=counts,
                checkpoint=stored_checkpoint,
                chain_check=chain_check,
                progress=progress,
            )
        except Damaged as exc:
            raise PharmDeskError(
                DATABASE_ERROR,
                f"The new copy failed its check ({exc.detail}), so no backup was kept. Run "
                "'pharmdesk audit verify'; if the audit log is fine, the disk may be failing: "
                "ask your IT contact.",
            ) from None
        fsync_file(copy)
        manifest = Manifest(
            app_version=app_version,
            schema_revision=verified.schema_revision,
            created_at=created_at,
            row_counts=counts,
            database_bytes=copy.stat().st_size,
            database_sha256=sha256_file(copy),
            checkpoint=verified.head,
            origin=origin_of(source),
        )
        archive = staging / "backup.zip"
        progress("Writing the backup file", 0, 1)
        create_private(archive)  # zipfile keeps the mode of the file it truncates
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest.to_json(), indent=1, sort_keys=True))
            zf.write(copy, DATABASE)
            zf.write(files.vault, VAULT)
            zf.writestr(CHECKPOINT, json.dumps(verified.head))
        fsync_file(archive)
        with zipfile.ZipFile(archive) as zf:
            if zf.testzip() is not None or sorted(zf.namelist()) != sorted(MEMBERS):
                raise PharmDeskError(
                    DATABASE_ERROR,
                    "The backup file could not be written correctly (the disk may be "
                    "failing). Nothing was kept; try another drive.",
                )
        place_new_file(archive, target)
        progress("Writing the backup file", 1, 1)
    return manifest
