"""Backing up a branch server's database: ``pg_dump`` in custom format, encrypted in
chunks as it streams out, packed with the keyslots that open it.

A server backup is a zip archive like a single-PC one (stored, not compressed: the dump
is compressed by ``pg_dump`` and then encrypted) holding:

- ``manifest.json``: as for a file backup, with ``"store": "server"``; its database size
  and SHA-256 are those of the encrypted dump. Counts and hashes only, no patient data.
- ``database.pgdump.enc``: the dump, encrypted with ``stream.encrypt_stream`` under a
  fresh backup key before any byte is written to the disk.
- ``keyslots.json``: the backup key sealed to every admin's keyslot and the recovery
  key's (``server_keys``), so the same passwords and recovery key open it.
- ``checkpoint.json``: the audit chain's head in the dump's snapshot.
- ``vault.json`` (when this desk has one): the desk's sign-in keyslots for the server,
  so a desk restored onto another PC can sign in as before.

The dump, the counts and the head are read in one exported snapshot (``pgtools``). The
file is checked by ``server_restore.verify_server_archive`` (restored into a scratch
database on the same server, counted, its audit chain verified, dropped).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.archive import GIB, KIB, MIB, Limits
from pharmdesk.store.backup import pgtools, server_keys
from pharmdesk.store.backup.copy import writing_to
from pharmdesk.store.backup.format import (
    CHECKPOINT,
    MANIFEST,
    VAULT,
    Manifest,
    Progress,
    check_new_target,
    no_progress,
    place_new_file,
    staging_folder,
)
from pharmdesk.store.backup.stream import KEY_BYTES, encrypt_stream
from pharmdesk.store.files import create_private, fsync_file
from pharmdesk.store.schema import Base

DUMP = "database.pgdump.enc"
KEYSLOTS = "keyslots.json"
SERVER_MEMBERS = (MANIFEST, DUMP, KEYSLOTS, CHECKPOINT)
SERVER_LIMITS = Limits(
    kind="a PharmDesk backup",
    advice=(
        "Nothing was changed. Check that you chose a backup file PharmDesk wrote (.pdbak), "
        "or use another copy of the backup."
    ),
    max_members=len(SERVER_MEMBERS) + 1,
    max_total=1024 * GIB,
    max_ratio=1.1,
    ratio_from=64 * KIB,
    sizes={MANIFEST: MIB, KEYSLOTS: MIB, VAULT: MIB, CHECKPOINT: 64 * KIB, DUMP: 1024 * GIB},
    other=0,
    required=SERVER_MEMBERS,
)
DUMPING = "Dumping the server database"


@dataclass(frozen=True)
class SnapshotFacts:
    """What the manifest says about the dump, read in the dump's own snapshot."""

    counts: dict[str, int]
    head: dict[str, Any] | None
    origin: str | None
    revision: str | None
    size: int


def snapshot_facts(snap: pgtools.Snapshot) -> SnapshotFacts:
    present = {
        str(name)
        for (name,) in snap.conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
    }
    counts = {
        name: int(snap.scalar(f'SELECT count(*) FROM "{name}"'))
        for name in sorted(Base.metadata.tables)
        if name in present
    }
    head_row = snap.conn.execute(
        "SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1"
    ).fetchone()
    head = None if head_row is None else {"id": int(head_row[0]), "hash": str(head_row[1])}
    origin = snap.scalar("SELECT hash FROM audit_entry WHERE id = 1")
    revision = snap.scalar("SELECT version_num FROM alembic_version")
    size = int(snap.scalar("SELECT pg_database_size(current_database())"))
    return SnapshotFacts(
        counts, head, None if origin is None else str(origin), revision and str(revision), size
    )


@dataclass(frozen=True)
class ServerBackup:
    manifest: Manifest
    key: bytes  # the backup key: only for the read-back check that follows


class _Member:
    """Writes the encrypted dump into its zip member, counting and hashing it."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def __call__(self, block: bytes) -> None:
        self.handle.write(block)
        self.digest.update(block)
        self.size += len(block)


class _Reader:
    """``pg_dump``'s output, with progress against the database's size on disk."""

    def __init__(self, stream: Any, total: int, progress: Progress) -> None:
        self.stream, self.total, self.progress, self.done = stream, total, progress, 0

    def read(self, size: int) -> bytes:
        block: bytes = self.stream.read(size)
        self.done += len(block)
        self.progress(DUMPING, min(self.done, self.total), self.total)
        return block


def dump_tools(url: str) -> tuple[Path, Path]:
    """``pg_dump`` and ``pg_restore`` of the server's major version (both are needed:
    no backup counts before it was restored once)."""
    major = pgtools.server_major(url)
    return pgtools.find_tool("pg_dump", major), pgtools.find_tool("pg_restore", major)


def create_server_backup(
    url: str,
    files: DatabaseFiles,
    target: Path,
    slots: list[dict[str, Any]],
    *,
    created_at: str,
    app_version: str,
    progress: Progress = no_progress,
) -> ServerBackup:
    """Write an encrypted dump of the server database ``url`` to ``target`` (never
    overwriting), sealed to ``slots``. The caller checks it (``verify_server_archive``)."""
    check_new_target(target)
    pg_dump, _pg_restore = dump_tools(url)
    key = os.urandom(KEY_BYTES)
    sealed = server_keys.seal_to(slots, key)
    with writing_to(target), staging_folder(target) as staging:
        archive = staging / "backup.zip"
        create_private(archive)  # zipfile keeps the mode of the file it truncates
        with (
            zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf,
            pgtools.exported_snapshot(url) as snap,
        ):
            facts = snapshot_facts(snap)
            with zf.open(DUMP, "w", force_zip64=True) as handle:
                member = _Member(handle)
                command = pgtools.dump_command(pg_dump, url, snap.name)
                _run_dump(command, pgtools.tool_env(url), key, member, facts, progress)
            manifest = Manifest(
                app_version=app_version,
                schema_revision=facts.revision,
                created_at=created_at,
                row_counts=facts.counts,
                database_bytes=member.size,
                database_sha256=member.digest.hexdigest(),
                checkpoint=facts.head,
                origin=facts.origin,
                store="server",
            )
            zf.writestr(KEYSLOTS, json.dumps(sealed))
            zf.writestr(CHECKPOINT, json.dumps(facts.head))
            if files.vault.is_file():
                zf.write(files.vault, VAULT)
            zf.writestr(MANIFEST, json.dumps(manifest.to_json(), indent=1, sort_keys=True))
        fsync_file(archive)
        with zipfile.ZipFile(archive) as zf:
            names = set(zf.namelist())
            if zf.testzip() is not None or not set(SERVER_MEMBERS) <= names:
                raise PharmDeskError(
                    DATABASE_ERROR,
                    "The backup file could not be written correctly (the disk may be "
                    "failing). Nothing was kept; try another drive.",
                )
        place_new_file(archive, target)
    return ServerBackup(manifest, key)


def _run_dump(
    command: list[str],
    env: dict[str, str],
    key: bytes,
    member: _Member,
    facts: SnapshotFacts,
    progress: Progress,
) -> None:
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)
        assert process.stdout is not None
        try:
            encrypt_stream(_Reader(process.stdout, facts.size, progress), key, member)
        finally:
            process.stdout.close()
            code = process.wait()
        if code != 0:
            errors.seek(0)
            raise PharmDeskError(
                DATABASE_ERROR,
                "pg_dump could not dump the server database "
                f"({pgtools.first_error_line(errors.read())}). Nothing was kept.",
            )
    progress(DUMPING, facts.size, facts.size)
