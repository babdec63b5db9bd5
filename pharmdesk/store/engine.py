"""The SQLAlchemy engine over a SQLCipher 4 file.

The database key is 32 random bytes, handed to SQLCipher as a raw hex key in the first
statement of the connection (no passphrase, so no key derivation on open and nothing
interpolated from user input). One long-lived connection per process keeps SQLCipher's
decrypted page cache warm; it is used from one thread at a time.

Failures become errors a person can act on: a full disk is ``DISK_FULL``; a page that
fails its HMAC is reported as damage, with how many pages are affected, and the open
database then refuses every further transaction so that nothing more is written to a
damaged file. SQL parameters (patient data) never reach logs or exception text.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from pharmdesk.errors import DATABASE_ERROR, DISK_FULL, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import driver_sql
from pharmdesk.store.desk_lock import SHARED, take_transaction_lock
from pharmdesk.store.files import create_private, make_private

# SQLAlchemy logs every statement at INFO and every result row at DEBUG; rows are
# patient data. Our engines log under their own name, held at WARNING, so a host that
# turns all logging up (root and "sqlalchemy" at DEBUG) still gets no rows from us.
ENGINE_LOG_NAME = "pharmdesk"
logging.getLogger(f"sqlalchemy.engine.Engine.{ENGINE_LOG_NAME}").setLevel(logging.WARNING)

KEY_BYTES = 32
BUSY_TIMEOUT_SECONDS = 15.0
CACHE_KIB = 64 * 1024

EXPECTED_CIPHER_SETTINGS = {
    "cipher_page_size": "4096",
    "cipher_hmac_algorithm": "HMAC_SHA512",
    "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512",
}


NOT_A_DATABASE = (
    "This file is damaged or is not a PharmDesk database (or not the one its key file "
    "belongs to). Nothing was changed. Restore the database and its key file from a "
    "backup ('pharmdesk restore'), or ask your IT contact."
)
# What SQLite and SQLCipher say when a page cannot be decrypted or makes no sense.
CORRUPTION_HINTS = ("malformed", "not a database", "hmac", "corrupt")
DISK_FULL_MESSAGE = "The disk is full: nothing was saved. Free some space on this PC and try again."
DISK_PROBLEM = (
    "The database file could not be read or written: the disk or the folder refused. "
    "Nothing was changed. Check that the drive is connected and the folder is writable; "
    "if it happens again, ask your IT contact to check the disk."
)
LOW_SPACE_BYTES = 1 << 20  # below this, an I/O error while writing means "disk full"
_LOCK_TAKEN = "pharmdesk.lock_taken"  # a shared transaction that became exclusive


class DatabaseOpenError(PharmDeskError):
    """The file could not be opened: wrong key, not a PharmDesk file, damaged, missing."""

    def __init__(self, message: str) -> None:
        super().__init__(DATABASE_ERROR, message)


class DatabaseDamaged(PharmDeskError):
    """Pages of an open database fail their integrity check: restore a backup."""

    def __init__(self, bad_pages: int | None, total_pages: int | None) -> None:
        if bad_pages is None or total_pages is None:
            extent = "its pages could not even be counted"
        elif bad_pages:
            extent = f"{bad_pages} of its {total_pages} pages fail their integrity check"
        else:
            extent = f"its {total_pages} pages pass the page check, but its structure does not"
        super().__init__(
            DATABASE_ERROR,
            f"The database file is damaged: {extent}. Nothing was changed, and PharmDesk "
            "will not write to it. Restore the latest backup ('pharmdesk restore BACKUP "
            "--replace' moves this file aside), then ask your IT contact to check the disk.",
        )
        self.bad_pages = bad_pages
        self.total_pages = total_pages


def disk_is_full(folder: Path) -> bool:
    """SQLite reports a full disk as "disk I/O error" when it happens in the WAL index
    or while opening; the free space tells the two apart."""
    try:
        return shutil.disk_usage(folder).free < LOW_SPACE_BYTES
    except OSError:
        return False


def _storage_error(detail: str, folder: Path | None) -> PharmDeskError | None:
    """A full disk or a failing/read-only disk, as a person can act on; else None."""
    detail = detail.lower()
    if "full" in detail or (
        ("i/o" in detail or "unable to open" in detail)
        and folder is not None
        and disk_is_full(folder)
    ):
        return PharmDeskError(DISK_FULL, DISK_FULL_MESSAGE)
    if "i/o" in detail or "unable to open" in detail or "readonly" in detail:
        return PharmDeskError(DATABASE_ERROR, DISK_PROBLEM)
    return None


class BusyWait:
    """SQLite's busy handler: retry the write lock every few milliseconds, up to a limit.

    SQLite's own busy timeout sleeps in growing steps (up to 100 ms), so a window kept
    waiting behind a long batch in another process keeps missing the short gaps between
    the batch's transactions and can starve for seconds. Polling often takes turns.
    """

    def __init__(self, timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self.started = 0.0

    def __call__(self, retries: int) -> bool:
        now = time.monotonic()
        if retries == 0:
            self.started = now
        if now - self.started >= self.timeout:
            return False  # SQLite answers "database is locked"; translate_db_error explains
        time.sleep(0.001)
        return True


def _connect(path: Path, key: bytes) -> sqlcipher.Connection:
    if len(key) != KEY_BYTES:
        raise ValueError("the database key must be 32 bytes")
    # isolation_level=None: the driver never opens transactions by itself; SQLAlchemy's
    # "begin" hook below issues BEGIN IMMEDIATE, so every transaction holds the write lock
    # from its first statement (the audit chain reads its head and appends atomically).
    # SQLite would create a new file with the umask (often 0644); created owner-only
    # here, it keeps that mode and SQLite gives the -wal and -shm files the same.
    with contextlib.suppress(OSError):  # a missing folder: SQLite reports it below
        create_private(path)
    conn = sqlcipher.connect(
        str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    try:
        # The key is our own random bytes rendered as hex: no user text reaches this SQL.
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        # SQLCipher would print a line per failed page on stderr; damage is reported as
        # one clear error instead (see DatabaseDamaged).
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("PRAGMA cipher_memory_security = OFF")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.set_busy_handler(BusyWait())
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except sqlcipher.DatabaseError as exc:
        conn.close()
        storage = _storage_error(str(exc), path.parent)
        if storage is not None:
            raise storage from None
        raise DatabaseOpenError(NOT_A_DATABASE) from None
    return conn


def cipher_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("PRAGMA cipher_version").scalar() or "")


def check_cipher(engine: Engine) -> None:
    """Refuse to work on anything but SQLCipher 4 with the expected settings."""
    version = cipher_version(engine)
    if not version.startswith("4."):
        raise DatabaseOpenError(
            f"PharmDesk needs SQLCipher 4 but found {version or 'no SQLCipher at all'}. "
            "Reinstall PharmDesk."
        )
    with engine.connect() as conn:
        for pragma, expected in EXPECTED_CIPHER_SETTINGS.items():
            found = str(conn.exec_driver_sql(f"PRAGMA {pragma}").scalar())
            if found != expected:
                raise DatabaseOpenError(
                    f"The database encryption settings are not the expected ones ({pragma}). "
                    "Reinstall PharmDesk."
                )


def make_engine(path: Path, key: bytes) -> Engine:
    engine = create_engine(
        "sqlite://",
        module=sqlcipher,
        creator=lambda: _connect(path, key),
        poolclass=StaticPool,
        # Bound values are patient data: keep them out of SQLAlchemy's log lines and out
        # of the text of its exceptions, whatever logging the host application sets up.
        hide_parameters=True,
        logging_name=ENGINE_LOG_NAME,
    )

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        driver_sql.execute(conn, "BEGIN IMMEDIATE")

    return engine


def is_corruption(exc: BaseException) -> bool:
    detail = str(getattr(exc, "orig", exc)).lower()
    return any(hint in detail for hint in CORRUPTION_HINTS)


def damage_report(engine: Engine) -> DatabaseDamaged:
    """Count the pages that fail SQLCipher's per-page HMAC check (reads only)."""
    try:
        with engine.connect() as conn:
            bad = conn.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall()
            total = int(conn.exec_driver_sql("PRAGMA page_count").scalar() or 0)
    except DBAPIError:
        return DatabaseDamaged(None, None)
    return DatabaseDamaged(len(bad), total)


def translate_db_error(exc: DBAPIError, folder: Path | None = None) -> PharmDeskError:
    """A database failure as a message a person can act on (no SQL, no data).

    ``folder`` (the database's) lets a "disk I/O error" on a full disk say so.
    """
    detail = str(getattr(exc, "orig", exc)).lower()
    storage = _storage_error(detail, folder)
    if storage is not None:
        return storage
    if any(hint in detail for hint in ("locked", "busy", "lock timeout", "deadlock")):
        return PharmDeskError(
            DATABASE_ERROR,
            "The database is busy in another PharmDesk window. Nothing was saved; try again.",
        )
    return PharmDeskError(
        DATABASE_ERROR,
        "The database reported an error and nothing was saved. If it happens again, "
        "run 'pharmdesk audit verify' and contact your IT person.",
    )


@dataclass
class Database:
    """An open, unlocked database: the engine and a way to run one transaction."""

    path: Path
    engine: Engine

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._shared_sessions = sessionmaker(
            self.engine.execution_options(**{SHARED: True}), expire_on_commit=False
        )
        self.damage: DatabaseDamaged | None = None

    @contextlib.contextmanager
    def transaction(self, *, shared: bool = False) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, else rolled back whole.

        ``shared``: it only reads, besides its audit entry (or calls ``exclusive`` before
        it writes). On a branch server it then runs beside other desks' transactions
        instead of waiting for them (the audit append takes their lock itself); a file's
        transactions always hold SQLite's write lock.

        Once a transaction has met a damaged page, every later one is refused with the
        same report: nothing more is written to a file that needs restoring.
        """
        if self.damage is not None:
            raise DatabaseDamaged(self.damage.bad_pages, self.damage.total_pages)
        session = self._shared_sessions() if shared else self._sessions()
        corrupt = False
        try:
            with session.begin():
                yield session
        except DBAPIError as exc:
            corrupt = self.engine.dialect.name == "sqlite" and is_corruption(exc)
            if not corrupt:
                raise translate_db_error(exc, self.path.parent) from None
        finally:
            session.close()
        if corrupt:
            self.damage = damage_report(self.engine)
            raise self.damage

    @staticmethod
    def exclusive(tx: Session) -> None:
        """Before a shared transaction's first write: from here on it runs after the other
        desks' transactions, as one that was not shared (a no-op on a file)."""
        conn = tx.connection()
        if conn.dialect.name != "postgresql" or tx.info.get(_LOCK_TAKEN):
            return
        if conn.get_execution_options().get(SHARED):
            tx.info[_LOCK_TAKEN] = True  # once; the commit or rollback releases it
            take_transaction_lock(conn)

    def close(self) -> None:
        self.engine.dispose()


def open_engine(path: Path, key: bytes) -> Engine:
    """Open and check an existing encrypted file; no migration (see ``migrate``)."""
    if not path.exists():
        raise DatabaseOpenError(
            "No database was found at the chosen location. Check the path, or create one "
            "with 'pharmdesk init'."
        )
    # Files an older PharmDesk created with the umask become owner-only now.
    files = DatabaseFiles(path)
    make_private(*files.all_files(), Path(f"{files.attempts}.lock"))
    engine = make_engine(path, key)
    try:
        check_cipher(engine)
    except DBAPIError:
        engine.dispose()
        raise DatabaseOpenError(NOT_A_DATABASE) from None
    except PharmDeskError:
        engine.dispose()
        raise
    return engine


def new_engine(files: DatabaseFiles, key: bytes) -> Engine:
    """The engine for a database about to be created: a new file, or a server's."""
    if files.server is not None:
        # Imported here (and below): server mode loads psycopg and the TLS code; a
        # single-PC desk never needs them, and starts faster without.
        from pharmdesk.store.server import (
            check_new_database,
            create_missing_database,
            open_server_engine,
        )

        create_missing_database(files.server)
        engine = open_server_engine(files.server)
        try:
            check_new_database(engine, files.server)
        except PharmDeskError:
            engine.dispose()
            raise
        return engine
    return make_engine(files.db, key)


def open_store(files: DatabaseFiles, key: bytes) -> Engine:
    """``open_engine`` for a file; in branch server mode, a connection to the server (the
    data there needs no key: the server's logins guard it)."""
    if files.server is not None:
        from pharmdesk.store.server import open_server_engine

        # A person's login (``server.login_key``) connects as their own role.
        return open_server_engine(files.server, key)
    return open_engine(files.db, key)


def execute_pragma(engine: Engine, pragma: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(f"PRAGMA {pragma}")]


def checkpoint_wal(engine: Engine) -> None:
    """Copy the write-ahead log into the database and empty it.

    Run on the driver connection outside any transaction: inside one (every SQLAlchemy
    transaction here starts with BEGIN IMMEDIATE) SQLite refuses with "table is locked".
    """
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        raw.close()


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()
