"""PostgreSQL's own tools for a server backup: finding ``pg_dump`` / ``pg_restore`` of the
server's major version, the snapshot a dump is taken in, and scratch databases to
restore into.

A dump is taken in a snapshot exported by a ``REPEATABLE READ`` transaction that stays
open until ``pg_dump`` is done: the row counts and the audit head the manifest records
are read in that very snapshot, so they describe exactly what the dump holds while the
desks keep writing. That transaction is a plain psycopg connection, not the store's
engine: the engine takes the desks' transaction lock, which a dump must never hold.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.paths import server_where

BIN_ENV = "PHARMDESK_PG_BIN"
SCRATCH_PREFIX = "pharmdesk_check_"
EXE = ".exe" if os.name == "nt" else ""
TOOL_MISSING = (
    "PostgreSQL's {tool} for version {major} (the server's version) was not found on this "
    "PC. Install the PostgreSQL {major} client programs (Debian: 'apt-get install "
    "postgresql-client-{major}'; Windows: the PostgreSQL {major} installer's command line "
    "tools), or set {env} to the folder that holds {tool}. Nothing was written."
)


def libpq_url(url: str) -> str:
    """A ``postgresql://`` URL as libpq (psql, pg_dump, psycopg) reads it."""
    scheme, sep, rest = url.partition("://")
    return f"postgresql://{rest}" if sep and scheme.startswith("postgres") else url


def with_database(url: str, database: str) -> str:
    """``url`` naming another database on the same server, as the same login."""
    parsed = make_url(libpq_url(url)).set(database=database)
    return libpq_url(parsed.render_as_string(hide_password=False))


def database_of(url: str) -> str:
    name = make_url(libpq_url(url)).database
    if not name:
        raise PharmDeskError(DATABASE_ERROR, "The server URL names no database: add /NAME.")
    return name


def _candidates(tool: str, major: int) -> Iterator[Path]:
    configured = os.environ.get(BIN_ENV)
    if configured:
        yield Path(configured) / f"{tool}{EXE}"
    yield Path(f"/usr/lib/postgresql/{major}/bin/{tool}")
    for folder in sorted(glob.glob(f"C:/Program Files/PostgreSQL/{major}/bin")):
        yield Path(folder) / f"{tool}{EXE}"
    on_path = shutil.which(tool)
    if on_path:
        yield Path(on_path)


def tool_major(path: Path) -> int | None:
    """The major version ``path --version`` reports (``pg_dump (PostgreSQL) 15.8``)."""
    try:
        done = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    words = done.stdout.split()
    try:
        return int(words[-1].split(".")[0]) if done.returncode == 0 and words else None
    except ValueError:
        return None


def find_tool(tool: str, major: int) -> Path:
    """``pg_dump`` (or ``pg_restore``) of exactly the server's major version."""
    for path in _candidates(tool, major):
        if path.is_file() and tool_major(path) == major:
            return path
    raise PharmDeskError(DATABASE_ERROR, TOOL_MISSING.format(tool=tool, major=major, env=BIN_ENV))


def connect(url: str, **options: Any) -> Any:
    """A plain psycopg connection (no PharmDesk transaction lock); pinned TLS as the
    desk dials the server."""
    import psycopg

    from pharmdesk.store.server import CONNECT_TIMEOUT_SECONDS, connection_url

    try:
        return psycopg.connect(
            libpq_url(connection_url(url)),
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="PharmDesk backup",
            **options,
        )
    except psycopg.Error as exc:
        raise _explain(exc, url) from None


def _explain(exc: Exception, url: str) -> PharmDeskError:
    from sqlalchemy.exc import DBAPIError

    from pharmdesk.store.server import connection_error

    wrapped = DBAPIError(None, None, exc)
    return connection_error(wrapped, url)


def server_major(url: str) -> int:
    with contextlib.closing(connect(url)) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    return int(row[0]) // 10000


@dataclass
class Snapshot:
    """An open ``REPEATABLE READ`` transaction and the snapshot it exported."""

    conn: Any
    name: str

    def scalar(self, sql: str) -> Any:
        row = self.conn.execute(sql).fetchone()
        return None if row is None else row[0]


@contextlib.contextmanager
def exported_snapshot(url: str) -> Iterator[Snapshot]:
    import psycopg

    conn = connect(url)
    try:
        # Set before the first statement: psycopg begins the transaction with it.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        name = str(conn.execute("SELECT pg_export_snapshot()").fetchone()[0])
        yield Snapshot(conn, name)
    finally:
        with contextlib.suppress(Exception):
            conn.rollback()
        conn.close()


def tool_env(url: str) -> dict[str, str]:
    """The tools never prompt for a password: it comes from PGPASSWORD or the pgpass
    file, as for the desk, or from the URL, handed over in the environment rather than
    on the command line (which other users of the PC can read). Their messages in
    English, so they can be explained."""
    env = dict(os.environ)
    env["LC_MESSAGES"] = "C"
    password = make_url(libpq_url(url)).password
    if password:
        env["PGPASSWORD"] = str(password)
    return env


def _dialled(url: str) -> str:
    """The URL a tool dials: pinned TLS as for the desk, without its password."""
    from pharmdesk.store.server import connection_url

    parsed = make_url(libpq_url(connection_url(url)))
    bare = URL.create(
        parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return libpq_url(bare.render_as_string(hide_password=False))


def dump_command(pg_dump: Path, url: str, snapshot: str) -> list[str]:
    return [
        str(pg_dump),
        "--format=custom",
        "--no-password",
        "--no-comments",  # COMMENT ON EXTENSION needs a superuser to restore
        f"--snapshot={snapshot}",
        f"--dbname={_dialled(url)}",
    ]


def restore_command(pg_restore: Path, url: str) -> list[str]:
    return [
        str(pg_restore),
        "--no-password",
        "--no-owner",  # the restoring login owns the copy
        "--no-acl",  # staff roles and grants belong to the server, set up per database
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={_dialled(url)}",
    ]


def first_error_line(stderr: bytes) -> str:
    """The tool's first error, for a message (its text is about objects, never rows)."""
    for line in stderr.decode("utf-8", "replace").splitlines():
        if "error" in line.lower() or "fatal" in line.lower():
            return line.strip()[:300]
    return stderr.decode("utf-8", "replace").strip()[:300]


# -- scratch databases --------------------------------------------------------------------
def create_database(url: str, name: str) -> None:
    """``CREATE DATABASE`` on the server of ``url`` (its login needs CREATEDB), sorting
    text byte by byte like every PharmDesk database."""
    maintenance = with_database(url, "postgres")
    with contextlib.closing(connect(maintenance, autocommit=True)) as conn:
        try:
            conn.execute(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C' LC_CTYPE 'C'"
            )
        except Exception as exc:
            if "permission denied" in str(exc).lower():
                raise PharmDeskError(
                    DATABASE_ERROR,
                    f"The login of {server_where(url)} may not create databases, so the "
                    "backup cannot be checked by restoring it. Use the server owner's login "
                    "(the one 'pharmdesk init' used), which has CREATEDB. Nothing was written.",
                ) from None
            raise


def drop_database(url: str, name: str) -> None:
    maintenance = with_database(url, "postgres")
    with contextlib.closing(connect(maintenance, autocommit=True)) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new empty database on the same server, dropped at the end whatever happens;
    yields its URL."""
    name = f"{SCRATCH_PREFIX}{secrets.token_hex(6)}"
    create_database(url, name)
    try:
        yield with_database(url, name)
    finally:
        with contextlib.suppress(Exception):
            drop_database(url, name)


def is_empty(url: str) -> bool:
    """No tables, views or sequences of anyone in the database's schemas but the
    system's: safe to restore into."""
    with contextlib.closing(connect(url)) as conn:
        count = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'v', 'm', 'S', 'p') AND n.nspname NOT IN "
            "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
        ).fetchone()[0]
    return int(count) == 0
