"""Encrypted, verified backups in one file, and restoring them.

A backup is one zip archive, stored rather than compressed (an encrypted database is
noise that does not compress), holding:

- ``manifest.json``: format, app version, schema revision, time, row counts, the
  database copy's size and SHA-256, the audit checkpoint. Counts only: no patient data.
- ``database.sqlcipher``: a page-by-page copy made with SQLite's online backup API into a
  new SQLCipher file keyed with the same database key (``sqlcipher_export`` works too,
  but rebuilds every table and index; the backup API copies pages and reports
  progress). The copy is never plaintext: SQLCipher encrypts every page it writes, and
  the copy is checked not to start with SQLite's plaintext header.
- ``vault.json``: the keyslots, so the same passwords and recovery key open the copy.
- ``checkpoint.json``: the audit chain's head at the moment of the copy.

Every copy is verified before it counts as a backup (opened with the key,
``integrity_check``, ``cipher_integrity_check``, row counts equal to the source's in the
same snapshot, audit chain checked by the caller's ``ChainCheck``), and a restore verifies
the same things again before it touches the target. Files are written beside their
destination and renamed into place, so a crash leaves the old state or the new one.

This module knows files and SQLCipher; signing in and the audit chain are the caller's
(the controllers'), handed in as callbacks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pharmdesk.errors import DATABASE_ERROR, DISK_FULL, NOT_FOUND, PharmDeskError, validation
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import audit_chain, migrate
from pharmdesk.store.archive import (
    GIB,
    KIB,
    MIB,
    DamagedMember,
    Limits,
    copy_member,
    open_checked,
    read_member,
)
from pharmdesk.store.engine import execute_pragma, make_engine, open_engine
from pharmdesk.store.files import create_private, fsync_dir, fsync_file, open_private
from pharmdesk.store.schema import AuditEntry, Base
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams, Vault

FORMAT = "pharmdesk-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.sqlcipher"
VAULT = "vault.json"
CHECKPOINT = "checkpoint.json"
MEMBERS = (MANIFEST, DATABASE, VAULT, CHECKPOINT)
SQLITE_PLAINTEXT_HEADER = b"SQLite format 3\x00"
COPY_STEP_PAGES = 4096  # 16 MiB per backup step: progress without holding locks for long
READ_BLOCK = 1 << 20
# What a PharmDesk backup may hold, checked before anything is read: the four parts,
# stored (an encrypted database does not compress, so nothing may expand), the small
# ones small. A manifest over 1 MiB is refused unread.
LIMITS = Limits(
    kind="a PharmDesk backup",
    advice=(
        "Nothing was changed. Check that you chose a backup file PharmDesk wrote (.pdbak), "
        "or use another copy of the backup."
    ),
    max_members=len(MEMBERS),
    max_total=1024 * GIB,
    max_ratio=1.1,
    ratio_from=64 * KIB,
    sizes={MANIFEST: MIB, VAULT: MIB, CHECKPOINT: 64 * KIB, DATABASE: 1024 * GIB},
    other=0,
    required=MEMBERS,
)

# (stage, done, total): a GUI can show a bar, the CLI a line on stderr.
Progress = Callable[[str, int, int], None]
# Checks the audit chain of an open copy against a checkpoint ({"id", "hash"} or None);
# returns why it fails, or None when it holds.
ChainCheck = Callable[[Session, dict[str, Any] | None], str | None]


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


class Damaged(PharmDeskError):
    """A copy or a backup file that fails a check; ``detail`` says which."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            DATABASE_ERROR,
            f"The backup file is damaged or is not a PharmDesk backup ({detail}). Nothing was "
            "changed. Use another backup copy.",
        )
        self.detail = detail


def damaged(detail: str) -> Damaged:
    return Damaged(detail)


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, readable without the key (and without patient data)."""

    app_version: str
    schema_revision: str | None
    created_at: str
    row_counts: dict[str, int]
    database_bytes: int
    database_sha256: str
    checkpoint: dict[str, Any] | None
    # The hash of the database's first audit entry: the same for every copy of one
    # database and different between databases, so rotation only ever touches copies
    # of its own database (two PCs may share a backup folder). Not patient data.
    origin: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "format": FORMAT,
            "formatVersion": FORMAT_VERSION,
            "appVersion": self.app_version,
            "schemaRevision": self.schema_revision,
            "createdAt": self.created_at,
            "rowCounts": self.row_counts,
            "databaseBytes": self.database_bytes,
            "databaseSha256": self.database_sha256,
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise LIMITS.refuse("it has no PharmDesk manifest")
        if data.get("formatVersion") != FORMAT_VERSION:
            raise PharmDeskError(
                DATABASE_ERROR,
                "This backup was made by a newer PharmDesk. Install that version to restore "
                "it; nothing was changed.",
            )
        try:
            counts = {str(k): int(v) for k, v in dict(data["rowCounts"]).items()}
            checkpoint = data.get("checkpoint")
            if checkpoint is not None:
                checkpoint = {"id": int(checkpoint["id"]), "hash": str(checkpoint["hash"])}
            revision = data.get("schemaRevision")
            origin = data.get("origin")
            return cls(
                origin=None if origin is None else str(origin),
                app_version=str(data["appVersion"]),
                schema_revision=None if revision is None else str(revision),
                created_at=str(data["createdAt"]),
                row_counts=counts,
                database_bytes=int(data["databaseBytes"]),
                database_sha256=str(data["databaseSha256"]),
                checkpoint=checkpoint,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise LIMITS.refuse("its manifest is incomplete") from None


# -- helpers -------------------------------------------------------------------------------
def _json(data: bytes) -> Any:
    """A small JSON part of a backup; a damaged one is the file's fault."""
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise LIMITS.refuse("a part of it is not readable") from None


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per application table (what a copy must match). A database at an older
    schema revision (the safety copy before an upgrade) lacks the newer tables."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return {
            name: int(conn.scalar(select(func.count()).select_from(table(name))) or 0)
            for name in sorted(Base.metadata.tables)
            if name in present
        }


def origin_of(engine: Engine) -> str | None:
    """The hash of the first audit entry (see ``Manifest.origin``)."""
    with engine.connect() as conn:
        first = conn.scalar(select(AuditEntry.hash).where(AuditEntry.id == 1))
    return None if first is None else str(first)


def chain_head(engine: Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        head = audit_chain.chain_head(conn)
    return None if head is None else head.to_json()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _is_plaintext_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_PLAINTEXT_HEADER)) == SQLITE_PLAINTEXT_HEADER


@contextlib.contextmanager
def staging_folder(beside: Path) -> Iterator[Path]:
    """A private temp folder beside ``beside`` (same file system, so renames are atomic);
    removed with everything in it at the end, whatever happens."""
    beside.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{beside.name}.", suffix=".tmp", dir=beside.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def place_new_file(source: Path, target: Path) -> None:
    """Move ``source`` to ``target`` only if ``target`` does not exist (no overwrite)."""
    try:
        os.link(source, target)  # atomic: fails if target appeared meanwhile
    except FileExistsError:
        raise validation(
            f"{target} already exists; a backup never overwrites a file. Choose a new name.",
            "file",
        ) from None
    except OSError:
        # File systems without hard links (FAT32 USB sticks): check, then rename.
        if target.exists():
            raise validation(
                f"{target} already exists; a backup never overwrites a file. Choose a new name.",
                "file",
            ) from None
        os.replace(source, target)
    else:
        source.unlink()
    fsync_dir(target.parent)


# -- copying and verifying ----------------------------------------------------------------
def copy_database(
    source: Engine, key: bytes, target: Path, progress: Progress = _no_progress
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
    if _is_plaintext_sqlite(target):
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
    progress: Progress = _no_progress,
) -> VerifiedCopy:
    """Open the copy with the key and prove it whole."""
    if _is_plaintext_sqlite(path):
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
def _writing_to(target: Path) -> Iterator[None]:
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
    progress: Progress = _no_progress,
) -> Manifest:
    """Write a verified backup of the open database to ``target`` (never overwriting)."""
    if target.exists():
        raise validation(
            f"{target} already exists; a backup never overwrites a file. Choose a new name.",
            "file",
        )
    if not target.parent.is_dir():
        raise validation(
            f"The folder {target.parent} does not exist. Plug in the backup drive or choose "
            "another folder.",
            "file",
        )
    with _writing_to(target), staging_folder(target) as staging:
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


# -- restoring ------------------------------------------------------------------------------
class BackupArchive:
    """An opened backup file, unpacked piece by piece into a private staging folder."""

    def __init__(self, path: Path, staging: Path) -> None:
        self.path = path
        self.staging = staging
        self.files = DatabaseFiles(staging / "restored.db")
        if not path.is_file():
            raise PharmDeskError(
                NOT_FOUND, f"No backup file at {path}. Check the path and the drive.", "file"
            )
        # Bounded: sizes, count and expansion checked before any part is read; the
        # small parts are read whole (their checksums checked), the database later.
        with self._open() as zf:
            try:
                self.manifest = Manifest.from_json(_json(read_member(zf, MANIFEST, LIMITS)))
                if zf.getinfo(DATABASE).file_size != self.manifest.database_bytes:
                    raise LIMITS.refuse("its database is not the size its manifest says")
                self._vault = read_member(zf, VAULT, LIMITS)
                self._checkpoint = _json(read_member(zf, CHECKPOINT, LIMITS))
            except DamagedMember as exc:
                # A whole archive within bounds whose part fails its checksum: bit rot.
                raise damaged(f"{exc.member} does not match its checksum") from None
        revision = self.manifest.schema_revision
        if revision is not None and revision not in migrate.known_revisions():
            raise PharmDeskError(
                DATABASE_ERROR,
                "This backup was made by a newer PharmDesk. Install that version (or newer) "
                "to restore it; nothing was changed.",
            )

    def _open(self) -> zipfile.ZipFile:
        try:
            return open_checked(self.path, LIMITS)
        except OSError:
            raise LIMITS.refuse("it cannot be read (check the drive)") from None

    @property
    def checkpoint(self) -> dict[str, Any] | None:
        data = self._checkpoint
        if data is None:
            return None
        try:
            return {"id": int(data["id"]), "hash": str(data["hash"])}
        except (KeyError, TypeError, ValueError):
            raise LIMITS.refuse("its audit checkpoint is unreadable") from None

    def unlock(self, username: str, password: str, kdf: KdfParams = DEFAULT_KDF) -> bytes | None:
        """The database key from the backup's own keyslots, or None (wrong sign-in)."""
        self.write_vault()
        return Vault(self.files.vault, kdf).unlock_staff(username, password)

    def write_vault(self) -> None:
        with open_private(self.files.vault) as handle:
            handle.write(self._vault)

    def extract_database(self, progress: Progress = _no_progress) -> Path:
        target = self.files.db
        progress("Unpacking the backup", 0, self.manifest.database_bytes)
        total = self.manifest.database_bytes
        with self._open() as zf, open_private(target) as dst:
            try:
                copy_member(
                    zf,
                    DATABASE,
                    dst,
                    LIMITS,
                    READ_BLOCK,
                    lambda done: progress("Unpacking the backup", done, total),
                )
            except DamagedMember:
                # The archive was whole and within bounds; its database is not.
                raise damaged("the database inside does not match its checksum") from None
            dst.flush()
            os.fsync(dst.fileno())
        if target.stat().st_size != self.manifest.database_bytes or (
            sha256_file(target) != self.manifest.database_sha256
        ):
            raise damaged("the database inside does not match its manifest")
        progress("Unpacking the backup", self.manifest.database_bytes, self.manifest.database_bytes)
        return target

    def verify(
        self, key: bytes, chain_check: ChainCheck, progress: Progress = _no_progress
    ) -> VerifiedCopy:
        return verify_copy(
            self.files.db,
            key,
            expected_counts=self.manifest.row_counts,
            checkpoint=self.checkpoint,
            chain_check=chain_check,
            progress=progress,
        )


def aside_name(db: Path, stamp: dt.datetime) -> DatabaseFiles:
    """Where ``--replace`` moves the current files: same folder, a timestamped name whose
    sidecars still pair up (so the moved database opens with its own WAL and vault)."""
    label = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = db.with_name(f"{db.stem}.replaced-{label}{db.suffix}")
    counter = 1
    while DatabaseFiles(candidate).exists():
        counter += 1
        candidate = db.with_name(f"{db.stem}.replaced-{label}-{counter}{db.suffix}")
    return DatabaseFiles(candidate)


def _moving_pairs(current: DatabaseFiles, aside: DatabaseFiles) -> list[tuple[Path, Path]]:
    return [
        (current.db, aside.db),
        (current.wal, aside.wal),
        (current.shm, aside.shm),
        (current.vault, aside.vault),
        (current.checkpoint, aside.checkpoint),
    ]


def target_in_use(target: DatabaseFiles) -> bool:
    return any(
        path.exists()
        for path in (target.db, target.wal, target.shm, target.vault, target.checkpoint)
    )


def install(
    staged: DatabaseFiles, target: DatabaseFiles, *, replace: bool, now: dt.datetime
) -> list[Path]:
    """Put a verified staged database in place; with ``replace``, first move the current
    files aside (never deleted). Returns the moved-aside paths."""
    if target_in_use(target) and not replace:
        raise validation(
            f"A database already exists at {target.db}; nothing was changed. Restore into "
            "another --db, or add --replace to move the current one aside first.",
            "db",
        )
    target.db.parent.mkdir(parents=True, exist_ok=True)
    moved: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        if target_in_use(target):
            aside = aside_name(target.db, now)
            for current, away in _moving_pairs(target, aside):
                if current.exists():
                    os.rename(current, away)
                    moved.append((current, away))
        for source, dest in (
            (staged.db, target.db),
            (staged.vault, target.vault),
            (staged.checkpoint, target.checkpoint),
        ):
            if source.exists():
                os.replace(source, dest)
                placed.append(dest)
        fsync_dir(target.db.parent)
    except OSError:
        for dest in placed:
            with contextlib.suppress(OSError):
                dest.unlink()
        for current, away in reversed(moved):
            with contextlib.suppress(OSError):
                os.rename(away, current)
        raise PharmDeskError(
            DATABASE_ERROR,
            f"The restored database could not be put in place at {target.db}; the current "
            "files were left as they were. Check the folder's permissions and free space.",
        ) from None
    return [away for _, away in moved]


# -- checking a backup file ---------------------------------------------------------------
def read_manifest(path: Path) -> Manifest | None:
    """The manifest of a PharmDesk backup file, or None for any other file (rotation uses
    this to leave alone everything PharmDesk did not write)."""
    try:
        with open_checked(path, LIMITS) as zf:
            return Manifest.from_json(_json(read_member(zf, MANIFEST, LIMITS)))
    except (OSError, PharmDeskError):
        return None


def check_carried_vault(files: DatabaseFiles) -> None:
    """The vault inside a backup must be a readable key file with a recovery slot, or
    nobody could ever open the copy."""
    try:
        slots = Vault(files.vault).slots()
    except PharmDeskError:
        raise damaged("its key file is unreadable") from None
    if not slots:
        raise damaged("its key file holds no keys")


@dataclass(frozen=True)
class CheckedBackup:
    manifest: Manifest
    verified: VerifiedCopy


def verify_archive(
    path: Path,
    key: bytes,
    chain_check: ChainCheck,
    *,
    scratch: Path | None = None,
    progress: Progress = _no_progress,
) -> CheckedBackup:
    """Re-read a written backup file as a restore would: unpack the database (size and
    SHA-256 against the manifest), check the vault it carries, open the copy with the key,
    ``integrity_check``, ``cipher_integrity_check``, row counts equal to the manifest's
    (taken from the source in the copy's own snapshot), audit chain with its checkpoint.
    Works in a private temporary folder (``scratch``, else the system's); the file itself
    is only read."""
    with tempfile.TemporaryDirectory(prefix="pharmdesk-check-", dir=scratch) as folder:
        archive = BackupArchive(path, Path(folder))
        archive.write_vault()
        check_carried_vault(archive.files)
        archive.extract_database(progress)
        verified = archive.verify(key, chain_check, progress)
        return CheckedBackup(archive.manifest, verified)


# -- the safety copy before a schema upgrade ------------------------------------------------
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
                    "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?",
                    (name,),
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
            with _writing_to(target), staging_folder(target) as staging:
                copy = staging / DATABASE
                create_private(copy)  # ATTACH would create it with the umask
                counts = _export_copy(raw, copy)
                if _is_plaintext_sqlite(copy):
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
