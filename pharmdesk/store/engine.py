"""The SQLAlchemy engine over a SQLCipher 4 file.

The database key is 32 random bytes, handed to SQLCipher as a raw hex key in the first
statement of the connection (no passphrase, so no key derivation on open and nothing
interpolated from user input). One long-lived connection per process keeps SQLCipher's
decrypted page cache warm; it is used from one thread at a time.
"""

from __future__ import annotations

import contextlib
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

KEY_BYTES = 32
BUSY_TIMEOUT_SECONDS = 15.0
CACHE_KIB = 64 * 1024

EXPECTED_CIPHER_SETTINGS = {
    "cipher_page_size": "4096",
    "cipher_hmac_algorithm": "HMAC_SHA512",
    "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512",
}


class DatabaseOpenError(PharmDeskError):
    """The file could not be opened: wrong key, not a PharmDesk file, damaged, missing."""

    def __init__(self, message: str) -> None:
        super().__init__(DATABASE_ERROR, message)


def _connect(path: Path, key: bytes) -> sqlcipher.Connection:
    if len(key) != KEY_BYTES:
        raise ValueError("the database key must be 32 bytes")
    # isolation_level=None: the driver never opens transactions by itself; SQLAlchemy's
    # "begin" hook below issues BEGIN IMMEDIATE, so every transaction holds the write lock
    # from its first statement (the audit chain reads its head and appends atomically).
    conn = sqlcipher.connect(
        str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    try:
        # The key is our own random bytes rendered as hex: no user text reaches this SQL.
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("PRAGMA cipher_memory_security = OFF")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except sqlcipher.DatabaseError as exc:
        conn.close()
        raise DatabaseOpenError(
            "The database could not be opened: the key does not match, or the file is "
            "damaged or not a PharmDesk database. Restore it from a backup, or ask your IT "
            "contact."
        ) from exc
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
    )

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def translate_db_error(exc: DBAPIError) -> PharmDeskError:
    """A database failure as a message a person can act on (no SQL, no data)."""
    detail = str(getattr(exc, "orig", exc)).lower()
    if "full" in detail:
        return PharmDeskError(
            DISK_FULL,
            "The disk is full: nothing was saved. Free some space on this PC and try again.",
        )
    if "locked" in detail or "busy" in detail:
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

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, else rolled back whole."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except DBAPIError as exc:
            raise translate_db_error(exc) from None
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()


def open_engine(path: Path, key: bytes) -> Engine:
    """Open and check an existing encrypted file; no migration (see ``migrate``)."""
    if not path.exists():
        raise DatabaseOpenError(
            "No database was found at the chosen location. Check the path, or create one "
            "with 'pharmdesk init'."
        )
    engine = make_engine(path, key)
    try:
        check_cipher(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseOpenError(
            "The database could not be opened: the file is damaged or not a PharmDesk "
            "database. Restore it from a backup."
        ) from exc
    except PharmDeskError:
        engine.dispose()
        raise
    return engine


def execute_pragma(engine: Engine, pragma: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(f"PRAGMA {pragma}")]


def checkpoint_wal(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()
