"""Re-encrypting the open database under a new key (SQLCipher ``PRAGMA rekey``).

``PRAGMA rekey`` rewrites every page in one transaction. It must not run while another
process has the file open: that process's connection still holds the old key and would
read the re-encrypted pages as damage. SQLite tells us: leaving WAL mode needs the only
connection to the file, so we checkpoint the write-ahead log into the file, switch to a
rollback journal (waiting for others up to ``wait`` seconds), rekey there (a crash
mid-way leaves a hot journal that the old key rolls back on the next open), and go back
to WAL. If another process holds the file, nothing is changed and the caller records the
rekey as pending.

Progress: the rollback journal grows by one page image per page re-encrypted, so its
size against the database's tells how far the rekey has come; a watcher thread reports it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher

from pharmdesk.store.engine import BUSY_TIMEOUT_SECONDS, BusyWait, Database

Progress = Callable[[int, int], None]  # (bytes re-encrypted so far, bytes in all)
PROGRESS_EVERY = 0.25  # seconds between progress reports


def _no_progress(_done: int, _total: int) -> None:
    """Nobody is watching."""


class _JournalWatcher:
    """Reports the rollback journal's growth while ``PRAGMA rekey`` runs."""

    def __init__(self, db_path: Path, progress: Progress) -> None:
        self.journal = db_path.with_name(db_path.name + "-journal")
        self.total = max(db_path.stat().st_size, 1)
        self.progress = progress
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rekey-progress", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(PROGRESS_EVERY):
            try:
                size = self.journal.stat().st_size
            except OSError:
                continue
            self.progress(min(size, self.total), self.total)

    def __enter__(self) -> _JournalWatcher:
        self.progress(0, self.total)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _is_busy(exc: sqlcipher.Error) -> bool:
    detail = str(exc).lower()
    return "locked" in detail or "busy" in detail


def rekey_database(
    db: Database,
    new_key: bytes,
    *,
    wait: float = BUSY_TIMEOUT_SECONDS,
    progress: Progress = _no_progress,
    after_rekey: Callable[[], None] = lambda: None,
) -> bool:
    """Re-encrypt ``db`` under ``new_key``. False (nothing changed) when another process
    keeps the file open for longer than ``wait`` seconds.

    ``after_rekey`` runs once the new key is the only one that opens the file (the vault's
    step C), before WAL mode is restored. The caller must reopen the database with the new
    key afterwards: the engine's connection factory still holds the old one.
    """
    if db.engine.dialect.name != "sqlite":
        # Branch server mode: the server's data is not encrypted with this key (its
        # logins guard it), so only the key slots change (``after_rekey``).
        after_rekey()
        progress(1, 1)
        return True
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        conn.set_busy_handler(BusyWait(wait))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()
        except sqlcipher.OperationalError as exc:
            if _is_busy(exc):
                return False
            raise
        if mode is None or str(mode[0]).lower() != "delete":
            return False
        try:
            with _JournalWatcher(db.path, progress):
                conn.execute(f"PRAGMA rekey = \"x'{new_key.hex()}'\"").fetchall()
        except sqlcipher.OperationalError as exc:
            # Someone opened the file between the switch and the rekey: old key kept.
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if _is_busy(exc):
                return False
            raise
        total = db.path.stat().st_size
        progress(total, total)
        after_rekey()
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        return True
    finally:
        raw.driver_connection.set_busy_handler(BusyWait())  # type: ignore[union-attr]
        raw.close()
