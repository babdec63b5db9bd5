"""Reading a backup file back: the checked archive, installing its copy in place of (or
beside) a database, and verifying a backup without restoring it."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pharmdesk.errors import DATABASE_ERROR, NOT_FOUND, PharmDeskError, validation
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.archive import DamagedMember, copy_member, open_checked, read_member
from pharmdesk.store.backup.copy import VerifiedCopy, verify_copy
from pharmdesk.store.backup.format import (
    CHECKPOINT,
    DATABASE,
    LIMITS,
    MANIFEST,
    READ_BLOCK,
    VAULT,
    ChainCheck,
    Manifest,
    Progress,
    damaged,
    no_progress,
    open_archive,
    read_json_member,
    refuse_unknown_revision,
    sha256_file,
)
from pharmdesk.store.files import fsync_dir, open_private
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams, Vault


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
                self.manifest = Manifest.from_json(
                    read_json_member(read_member(zf, MANIFEST, LIMITS))
                )
                if zf.getinfo(DATABASE).file_size != self.manifest.database_bytes:
                    raise LIMITS.refuse("its database is not the size its manifest says")
                self._vault = read_member(zf, VAULT, LIMITS)
                self._checkpoint = read_json_member(read_member(zf, CHECKPOINT, LIMITS))
            except DamagedMember as exc:
                # A whole archive within bounds whose part fails its checksum: bit rot.
                raise damaged(f"{exc.member} does not match its checksum") from None
        refuse_unknown_revision(self.manifest)

    def _open(self) -> zipfile.ZipFile:
        return open_archive(self.path, LIMITS)

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

    def extract_database(self, progress: Progress = no_progress) -> Path:
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
        self, key: bytes, chain_check: ChainCheck, progress: Progress = no_progress
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
    """The manifest of a PharmDesk backup file (single-PC or server), or None for any
    other file (rotation uses this to leave alone everything PharmDesk did not write)."""
    try:
        with open_checked(path, LIMITS) as zf:
            return Manifest.from_json(read_json_member(read_member(zf, MANIFEST, LIMITS)))
    except (OSError, PharmDeskError):
        pass
    from pharmdesk.store.backup.server_restore import read_server_manifest

    return read_server_manifest(path)


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
    progress: Progress = no_progress,
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
