"""Reading a server backup back: its checked archive, opening its backup key with an
admin's password or the recovery key, and restoring the dump (decrypted as it streams
into ``pg_restore``, never written out in the clear) into a scratch database to check
it, or into a new, empty database to use it."""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pharmdesk.errors import DATABASE_ERROR, NOT_FOUND, PharmDeskError, validation
from pharmdesk.paths import server_where
from pharmdesk.store import migrate
from pharmdesk.store.archive import DamagedMember, open_checked, read_member
from pharmdesk.store.backup import pgtools, server_keys
from pharmdesk.store.backup.copy import VerifiedCopy
from pharmdesk.store.backup.format import (
    CHECKPOINT,
    VAULT,
    ChainCheck,
    Manifest,
    Progress,
    damaged,
    no_progress,
    open_archive,
    read_json_member,
    refuse_unknown_revision,
    row_counts,
)
from pharmdesk.store.backup.server import DUMP, KEYSLOTS, SERVER_LIMITS
from pharmdesk.store.backup.stream import StreamDamaged, decrypt_stream
from pharmdesk.store.server import make_server_engine

RESTORING = "Restoring the dump"


class ServerArchive:
    """An opened server backup file: manifest, keyslots, checkpoint, the desk's vault."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise PharmDeskError(
                NOT_FOUND, f"No backup file at {path}. Check the path and the drive.", "file"
            )
        with self._open() as zf:
            try:
                self.manifest = Manifest.from_json(
                    read_json_member(read_member(zf, "manifest.json", SERVER_LIMITS))
                )
                if self.manifest.store != "server":
                    raise SERVER_LIMITS.refuse("it is not a branch server's backup")
                if zf.getinfo(DUMP).file_size != self.manifest.database_bytes:
                    raise SERVER_LIMITS.refuse("its dump is not the size its manifest says")
                slots = read_json_member(read_member(zf, KEYSLOTS, SERVER_LIMITS))
                checkpoint = read_json_member(read_member(zf, CHECKPOINT, SERVER_LIMITS))
                names = set(zf.namelist())
                self.vault = read_member(zf, VAULT, SERVER_LIMITS) if VAULT in names else None
            except DamagedMember as exc:
                raise damaged(f"{exc.member} does not match its checksum") from None
        if not isinstance(slots, list) or not all(isinstance(s, dict) for s in slots):
            raise damaged("its keyslots are unreadable")
        self.slots: list[dict[str, Any]] = slots
        self.checkpoint = _checkpoint(checkpoint)
        refuse_unknown_revision(self.manifest)

    def _open(self) -> zipfile.ZipFile:
        return open_archive(self.path, SERVER_LIMITS)

    def unlock(self, username: str | None, secret: str, *, recovery: bool = False) -> bytes | None:
        """The backup key from an admin's password or the recovery key; None if wrong."""
        try:
            if recovery:
                return server_keys.open_with_recovery_key(self.slots, secret)
            return server_keys.open_with_password(self.slots, username or "", secret)
        except (KeyError, TypeError, ValueError):
            raise damaged("its keyslots are unreadable") from None

    def restore_into(self, url: str, key: bytes, progress: Progress = no_progress) -> None:
        """Stream the dump through its checks (SHA-256, every chunk's tag) into
        ``pg_restore`` in one transaction: a damaged byte rolls the whole restore back."""
        _tools_dump, pg_restore = _tools(url)
        total = self.manifest.database_bytes
        digest = hashlib.sha256()
        done = 0
        with (
            self._open() as zf,
            tempfile.TemporaryFile() as errors,
        ):
            process = subprocess.Popen(
                pgtools.restore_command(pg_restore, url),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                env=pgtools.tool_env(url),
            )
            assert process.stdin is not None
            failure: str | None = None
            try:
                with zf.open(DUMP) as member:

                    class Counted:
                        def read(self, size: int) -> bytes:
                            nonlocal done
                            block: bytes = member.read(size)
                            digest.update(block)
                            done += len(block)
                            progress(RESTORING, min(done, total), total)
                            return block

                    for plain in decrypt_stream(Counted(), key):
                        process.stdin.write(plain)
                if digest.hexdigest() != self.manifest.database_sha256:
                    failure = "the dump does not match its manifest"
            except StreamDamaged as exc:
                failure = str(exc)
            except zipfile.BadZipFile:  # the member's CRC: bit rot on the drive
                failure = "the dump does not match its checksum"
            except OSError as exc:
                # A broken pipe: pg_restore stopped, and its own error follows.
                failure = None if isinstance(exc, BrokenPipeError) else "the dump cannot be read"
            finally:
                if failure is not None:
                    process.kill()  # its single transaction is rolled back
                with contextlib.suppress(OSError):
                    process.stdin.close()
                code = process.wait()
            if failure is not None:
                raise damaged(failure)
            if code != 0:
                errors.seek(0)
                raise PharmDeskError(
                    DATABASE_ERROR,
                    f"pg_restore could not restore the backup into {server_where(url)} "
                    f"({pgtools.first_error_line(errors.read())}); nothing was restored there.",
                )
        progress(RESTORING, total, total)


def _checkpoint(data: Any) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        return {"id": int(data["id"]), "hash": str(data["hash"])}
    except (KeyError, TypeError, ValueError):
        raise SERVER_LIMITS.refuse("its audit checkpoint is unreadable") from None


def _tools(url: str) -> tuple[Path, Path]:
    from pharmdesk.store.backup.server import dump_tools

    return dump_tools(url)


def read_server_manifest(path: Path) -> Manifest | None:
    try:
        with open_checked(path, SERVER_LIMITS) as zf:
            manifest = Manifest.from_json(
                read_json_member(read_member(zf, "manifest.json", SERVER_LIMITS))
            )
    except (OSError, PharmDeskError):
        return None
    return manifest if manifest.store == "server" else None


def check_restored(
    url: str,
    manifest: Manifest,
    checkpoint: dict[str, Any] | None,
    chain_check: ChainCheck,
    inspect: Callable[[Session], Any] | None = None,
) -> tuple[VerifiedCopy, Any]:
    """Counts against the manifest and the audit chain against its checkpoint, on a
    restored database; ``inspect`` reads more in the same session (the drill's report)."""
    engine = make_server_engine(url)
    try:
        counts = row_counts(engine)
        if counts != manifest.row_counts:
            raise damaged("the restored copy does not hold the same number of rows")
        with Session(engine) as tx, tx.begin():
            reason = chain_check(tx, checkpoint)
            extra = inspect(tx) if inspect is not None else None
        if reason is not None:
            raise damaged(f"the audit log in the copy does not verify: {reason}")
        revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    return VerifiedCopy(counts, checkpoint, revision), extra


@dataclass(frozen=True)
class CheckedServerBackup:
    manifest: Manifest
    verified: VerifiedCopy
    extra: Any


def verify_server_archive(
    path: Path,
    key: bytes,
    url: str,
    chain_check: ChainCheck,
    *,
    progress: Progress = no_progress,
    inspect: Callable[[Session], Any] | None = None,
) -> CheckedServerBackup:
    """Restore ``path`` into a scratch database on the server of ``url``, check counts
    and the audit chain as a restore would, drop it. The file is only read."""
    archive = ServerArchive(path)
    with pgtools.scratch_database(url) as scratch:
        archive.restore_into(scratch, key, progress)
        verified, extra = check_restored(
            scratch, archive.manifest, archive.checkpoint, chain_check, inspect
        )
    return CheckedServerBackup(archive.manifest, verified, extra)


def prepare_target(url: str) -> bool:
    """A database to restore into: made when missing (True), refused unless empty."""
    from pharmdesk.store.server import check_new_database, create_missing_database

    created = create_missing_database(url)
    if not created and not pgtools.is_empty(url):
        raise validation(
            f"The database {server_where(url)} is not empty; a backup is restored only "
            "into a new, empty database. Nothing was changed. Name a new database in --db "
            "(PharmDesk creates it), or ask your IT contact to empty this one.",
            "db",
        )
    engine = make_server_engine(url)
    try:
        check_new_database(engine, url)  # sorts text byte by byte, a new enough server
    finally:
        engine.dispose()
    return created


def discard_target(url: str, created: bool) -> None:
    """After a failed restore: drop the database this restore created."""
    if created:
        with contextlib.suppress(Exception):
            pgtools.drop_database(url, pgtools.database_of(url))
