"""Seeded demo databases, built once and kept in a cache folder outside the repository.

A million customers take minutes to generate, so each size is built once per seed and
schema (the cache key holds the Alembic head and a digest of the migration files) and
copied for each run: the benchmark writes (audit entries, new customers) to the copy,
never to the cached original. Beside each encrypted database the cache keeps its
plaintext twin, exported once with ``sqlcipher_export``: the same tables, indexes,
triggers and search index, for the plain-SQLite floor. It is demo data only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER, DemoProgress, create_demo
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.migrate import MIGRATIONS, head_revision

BUILD_MOMENT = FixedClock().moment  # the demo's "now": the same data whatever the day
DB_NAME = "pharmdesk.db"
PLAIN_NAME = "plain.db"
META_NAME = "meta.json"


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("pharmdesk-bench", appauthor=False))


def schema_tag() -> str:
    """The Alembic head plus a digest of every migration file (edits included)."""
    digest = hashlib.sha256()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{head_revision()}-{digest.hexdigest()[:8]}"


def demo_clock() -> FixedClock:
    return FixedClock(BUILD_MOMENT)


@dataclass(frozen=True)
class BenchDatabase:
    """One cached demo database (encrypted) and its plaintext twin."""

    size: int
    seed: int
    folder: Path

    @property
    def files(self) -> DatabaseFiles:
        return DatabaseFiles(self.folder / DB_NAME)

    @property
    def plain(self) -> Path:
        return self.folder / PLAIN_NAME

    @property
    def meta(self) -> dict[str, Any]:
        return dict(json.loads((self.folder / META_NAME).read_text()))

    def ready(self) -> bool:
        return (self.folder / META_NAME).exists()

    def copy_to(self, target: Path) -> BenchDatabase:
        """A working copy for one run (the run's writes never reach the cache)."""
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for path in self.folder.iterdir():
            if path.is_file() and not path.name.endswith(".lock"):
                shutil.copy2(path, target / path.name)
        return BenchDatabase(self.size, self.seed, target)


def cached_database(cache: Path, size: int, seed: int) -> BenchDatabase:
    return BenchDatabase(size, seed, cache / f"demo-{size}-seed{seed}-{schema_tag()}")


def _export_plain(db: BenchDatabase) -> None:
    """The plaintext twin, exported by SQLCipher itself (schema, data, FTS index)."""
    desk = sign_in(db.files, DEMO_USER, DEMO_PASSWORD, clock=demo_clock())
    try:
        raw = desk.db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # The path is our own cache folder; SQLCipher's ATTACH takes no parameters.
            target = str(db.plain).replace("'", "''")
            conn.execute(f"ATTACH DATABASE '{target}' AS plaintext KEY ''")
            conn.execute("SELECT sqlcipher_export('plaintext')")
            conn.execute("DETACH DATABASE plaintext")
        finally:
            raw.close()
    finally:
        desk.close()
    with sqlite3.connect(db.plain) as plain:
        plain.execute("PRAGMA journal_mode = WAL")
        plain.execute("ANALYZE")


def build(db: BenchDatabase, *, workers: int | None, log: Any = print) -> None:
    """Create the demo database and its plaintext twin (unless already cached)."""
    if db.ready():
        return
    if db.folder.exists():
        shutil.rmtree(db.folder)  # a half-built one from an interrupted run
    db.folder.mkdir(parents=True)
    last = [0.0]

    def progress(step: DemoProgress) -> None:
        now = time.monotonic()
        if now - last[0] >= 10 or step.stage == "Done":
            last[0] = now
            log(f"  {db.size:,}: {step.stage} {step.done:,}/{step.total:,}")

    began = time.monotonic()
    result = create_demo(
        db.files,
        customers=db.size,
        seed=db.seed,
        clock=demo_clock(),
        progress=progress,
        workers=workers,
    )
    generated = time.monotonic() - began
    _export_plain(db)
    meta = {**result.to_json(), "schema": schema_tag(), "generateSeconds": round(generated, 1)}
    meta.pop("password", None)
    (db.folder / META_NAME).write_text(json.dumps(meta, indent=2))
    log(f"  {db.size:,}: built in {generated:.0f} s (+ plain copy), cached in {db.folder}")
