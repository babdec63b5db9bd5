"""Moving a single-PC database onto a branch server (``pharmdesk server import-file``).

The file is opened read-only (SQLite's ``mode=ro``: not one byte of it changes) and read
in one read transaction, so a desk still working on it cannot tear the copy. Every table
of the schema goes to the server with PostgreSQL's ``COPY`` inside ONE server transaction:
ids are kept, the sequences are moved past the highest id (and past SQLite's own
AUTOINCREMENT counters), and the audit chain is verified on arrival before the commit.
Any failure rolls the whole transaction back: the server database stays empty.

Values travel as SQLite stores them (text for dates and JSON, 0/1 for booleans), which
PostgreSQL reads into its own column types; the audit entries' detail text is copied
byte for byte, so every hash of the chain still holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Connection, Table, select, text
from sqlalchemy.sql import func

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.store import derived
from pharmdesk.store.audit_chain import Checkpoint
from pharmdesk.store.schema import Base

Progress = Callable[[str, int, int], None]
BATCH = 5000
NOT_A_DATABASE = (
    "{name} is not a PharmDesk database this password opens (or the file is damaged). "
    "Check the file and the password; nothing was changed on either side."
)


def tables() -> list[Table]:
    """The schema's tables, parents before children (foreign keys hold row by row)."""
    return list(Base.metadata.sorted_tables)


@contextmanager
def read_only_file(path: Path, key: bytes) -> Iterator[sqlcipher.Connection]:
    """The encrypted file, opened read-only inside one read transaction.

    A file no PharmDesk has open (no ``-wal`` beside it) is opened as immutable, so not
    even SQLite's shared-memory files appear beside it; one still open elsewhere is read
    through its write-ahead log, as any reader would.
    """
    in_use = path.with_name(path.name + "-wal").exists()
    uri = path.absolute().as_uri() + ("?mode=ro" if in_use else "?mode=ro&immutable=1")
    try:
        conn = sqlcipher.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlcipher.Error:
        raise PharmDeskError(DATABASE_ERROR, NOT_A_DATABASE.format(name=path.name)) from None
    try:
        try:
            # Our own random key rendered as hex: no user text reaches this SQL.
            conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute("PRAGMA query_only = ON")
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher.Error:
            raise PharmDeskError(DATABASE_ERROR, NOT_A_DATABASE.format(name=path.name)) from None
        yield conn
    finally:
        conn.close()


def file_revision(conn: sqlcipher.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlcipher.Error:
        return None
    return None if row is None else str(row[0])


def file_counts(conn: sqlcipher.Connection) -> dict[str, int]:
    return {
        table.name: int(conn.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0])
        for table in tables()
    }


def file_chain_head(conn: sqlcipher.Connection) -> Checkpoint | None:
    row = conn.execute("SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else Checkpoint(int(row[0]), str(row[1]))


def file_staff(conn: sqlcipher.Connection) -> list[tuple[str, str, bool]]:
    rows = conn.execute("SELECT username, role, disabled FROM staff ORDER BY username")
    return [(str(name), str(role), bool(disabled)) for name, role, disabled in rows]


def server_counts(conn: Connection) -> dict[str, int]:
    return {
        table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        for table in tables()
    }


def server_is_empty(conn: Connection) -> bool:
    return not any(
        conn.execute(select(text("1")).select_from(table).limit(1)).first() for table in tables()
    )


def _sqlite_sequences(source: sqlcipher.Connection) -> dict[str, int]:
    """AUTOINCREMENT counters: ids a table once used and never gives out again."""
    try:
        rows = source.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
    except sqlcipher.Error:  # no AUTOINCREMENT table was ever written
        return {}
    return {str(name): int(seq) for name, seq in rows}


@dataclass
class Copied:
    counts: dict[str, int]


def copy_tables(
    source: sqlcipher.Connection,
    target: Connection,
    totals: dict[str, int],
    progress: Progress,
) -> Copied:
    """COPY every table's rows into the server, in the caller's transaction."""
    raw = target.connection.driver_connection
    assert raw is not None
    grand_total = sum(totals.values())
    done = 0
    copied: dict[str, int] = {}
    progress("Copying to the server", 0, grand_total)
    triggered = _user_triggers(target)
    for name in triggered:  # what they keep up to date is copied as it is
        target.exec_driver_sql(f'ALTER TABLE "{name}" DISABLE TRIGGER USER')
    for table in tables():
        names = [column.name for column in table.c]
        quoted = ", ".join(f'"{name}"' for name in names)
        rows = source.execute(f'SELECT {quoted} FROM "{table.name}"')
        count = 0
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy,
        ):
            while batch := rows.fetchmany(BATCH):
                for row in batch:
                    copy.write_row(row)
                count += len(batch)
                done += len(batch)
                progress("Copying to the server", done, grand_total)
        copied[table.name] = count
    for name in triggered:
        target.exec_driver_sql(f'ALTER TABLE "{name}" ENABLE TRIGGER USER')
    progress("Counting for searches and segments", 0, 1)
    for statement in derived.SERVER_FILLS:  # what the set-aside triggers would have kept
        target.exec_driver_sql(statement)
    progress("Counting for searches and segments", 1, 1)
    _move_sequences(source, target)
    return Copied(copied)


def _user_triggers(target: Connection) -> list[str]:
    """The schema's tables with triggers of their own (``first_refill``'s, which keeps a
    column of ``customer`` up to date that the copy carries over as it is); firing them
    row by row would make the copy several times slower."""
    names = {table.name for table in tables()}
    rows = target.execute(
        text(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace"
        )
    )
    return sorted(str(name) for (name,) in rows if name in names)


def _move_sequences(source: sqlcipher.Connection, target: Connection) -> None:
    """Each id sequence past the highest id copied (and past SQLite's own counter)."""
    used = _sqlite_sequences(source)
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        column = keys[0].name
        sequence = target.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column}
        ).scalar()
        if sequence is None:
            continue
        highest = target.execute(text(f'SELECT max("{column}") FROM "{table.name}"')).scalar()
        last = max(int(highest or 0), used.get(table.name, 0))
        if last > 0:
            target.execute(text("SELECT setval(:s, :v, true)"), {"s": sequence, "v": last})
        else:
            target.execute(text("SELECT setval(:s, 1, false)"), {"s": sequence})


def analyze(target: Connection) -> None:
    """Planner statistics for the fresh tables: without them PostgreSQL plans nested
    loops that take minutes at 100,000 customers."""
    for table in tables():
        target.exec_driver_sql(f'ANALYZE "{table.name}"')


def same_counts(expected: dict[str, int], found: dict[str, int]) -> list[Any]:
    return [name for name, count in expected.items() if found.get(name) != count]
