"""Seeded demo databases, built once and kept in a cache folder outside the repository.

A million customers take minutes to generate, so each size is built once per seed and
schema (the cache key holds the Alembic head and a digest of the migration files) and
copied for each run. When only the schema moved on (a new migration), a database cached
for an older schema is copied and upgraded by the migrations themselves (both the
encrypted database, as signing in upgrades it, and its plaintext twin), which takes
seconds where rebuilding a million customers takes minutes; ``--rebuild`` rebuilds.
Copies are made for each run: the benchmark writes (audit entries, new customers) to the copy,
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
from alembic.config import Config
from sqlalchemy import Engine, create_engine

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER, DemoProgress, create_demo
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import open_engine
from pharmdesk.store.migrate import MIGRATIONS, head_revision
from pharmdesk.store.vault import Vault

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


def _older(db: BenchDatabase) -> BenchDatabase | None:
    """The newest complete cached database of the same size and seed, older schema."""
    found = [
        BenchDatabase(db.size, db.seed, folder)
        for folder in db.folder.parent.glob(f"demo-{db.size}-seed{db.seed}-*")
        if folder != db.folder and (folder / META_NAME).exists()
    ]
    return max(found, key=lambda old: (old.folder / META_NAME).stat().st_mtime, default=None)


def _upgrade(engine: Engine) -> None:
    """The Alembic chain run to its head, as ``migrate.upgrade`` runs it, without the
    safety backup a branch's database gets first (a copy of cached demo data)."""
    from alembic import command

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def _migrate_plain(path: Path, indexes: list[str]) -> None:
    """The plaintext twin upgraded by the same migrations, its new indexes analysed like
    the rest of it (the twin was ANALYZEd when exported)."""
    _upgrade(create_engine(f"sqlite:///{path}"))
    with sqlite3.connect(path) as plain:
        known = {r[0] for r in plain.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        for name in sorted(known - set(indexes)):
            plain.execute(f'ANALYZE "{name}"')


def migrate_older(db: BenchDatabase, *, log: Any = print) -> bool:
    """Make ``db`` from a cached database of an older schema, if there is one."""
    old = _older(db)
    if old is None:
        return False
    log(f"  {db.size:,}: upgrading a copy of {old.folder.name} to schema {schema_tag()}")
    began = time.monotonic()
    temp = db.folder.with_name(db.folder.name + ".partial")
    if temp.exists():
        shutil.rmtree(temp)
    work = old.copy_to(temp)
    (work.folder / META_NAME).unlink()
    with sqlite3.connect(work.plain) as plain:
        before = [r[0] for r in plain.execute("SELECT name FROM sqlite_master WHERE type='index'")]
    key = Vault(work.files.vault).unlock_staff(DEMO_USER, DEMO_PASSWORD)
    assert key is not None
    _upgrade(open_engine(work.files.db, key))
    _migrate_plain(work.plain, before)
    meta = {**old.meta, "schema": schema_tag(), "migratedFrom": old.meta.get("schema")}
    meta["migrateSeconds"] = round(time.monotonic() - began, 1)
    (work.folder / META_NAME).write_text(json.dumps(meta, indent=2))
    if db.folder.exists():
        shutil.rmtree(db.folder)
    temp.rename(db.folder)
    log(f"  {db.size:,}: upgraded in {meta['migrateSeconds']:.0f} s, cached in {db.folder}")
    return True


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


def build(
    db: BenchDatabase, *, workers: int | None, log: Any = print, migrate: bool = True
) -> None:
    """Create the demo database and its plaintext twin (unless already cached): upgraded
    from an older schema's cached copy when there is one (``migrate``), else generated."""
    if db.ready():
        return
    if migrate and migrate_older(db, log=log):
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
