"""What a backup file is: its four parts and their limits, the manifest, the damaged-file
error, and the helpers the writer and the reader share (row counts, chain head, the
SHA-256 of a file, writing beside a target and renaming into place)."""

from __future__ import annotations

import contextlib
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

from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.orm import Session

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError, validation
from pharmdesk.store import audit_chain, migrate
from pharmdesk.store.archive import GIB, KIB, MIB, Limits, open_checked
from pharmdesk.store.files import fsync_dir
from pharmdesk.store.schema import AuditEntry, Base

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


def no_progress(_stage: str, _done: int, _total: int) -> None:
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
    # "file" (a single-PC SQLCipher copy) or "server" (an encrypted dump of a branch
    # server's database, ``store/backup/server.py``).
    store: str = "file"

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "store": self.store,
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
            store = str(data.get("store") or "file")
            if store not in ("file", "server"):
                raise LIMITS.refuse("its manifest names an unknown kind of backup")
            return cls(
                store=store,
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
NEWER_BACKUP = (
    "This backup was made by a newer PharmDesk. Install that version (or newer) to "
    "restore it; nothing was changed."
)


def refuse_unknown_revision(manifest: Manifest) -> None:
    """A backup of a schema this PharmDesk does not know (made by a newer one)."""
    revision = manifest.schema_revision
    if revision is not None and revision not in migrate.known_revisions():
        raise PharmDeskError(DATABASE_ERROR, NEWER_BACKUP)


def open_archive(path: Path, limits: Limits) -> zipfile.ZipFile:
    """A backup file opened within ``limits``; a clear refusal when it cannot be read."""
    try:
        return open_checked(path, limits)
    except OSError:
        raise limits.refuse("it cannot be read (check the drive)") from None


def read_json_member(data: bytes) -> Any:
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


def is_plaintext_sqlite(path: Path) -> bool:
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


def check_new_target(target: Path) -> None:
    """A backup is written only as a new file, into a folder that is there."""
    if target.exists():
        raise validation(
            f"{target} already exists; a backup never overwrites a file. Choose a new name.", "file"
        )
    if not target.parent.is_dir():
        raise validation(
            f"The folder {target.parent} does not exist. Plug in the backup drive or choose "
            "another folder.",
            "file",
        )


def place_new_file(source: Path, target: Path) -> None:
    """Move ``source`` to ``target`` only if ``target`` does not exist (no overwrite)."""
    try:
        os.link(source, target)  # atomic: fails if target appeared meanwhile
    except FileExistsError:
        raise validation(
            f"{target} already exists; a backup never overwrites a file. Choose a new name.", "file"
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
