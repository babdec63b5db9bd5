"""The store on a branch server: PostgreSQL through SQLAlchemy's psycopg 3 dialect.

``--db`` / ``PHARMDESK_DB`` name a server with a ``postgresql://`` URL (libpq's own
parameters such as ``sslmode`` allowed; the password from ``PGPASSWORD`` or ``~/.pgpass``).
The schema is the one Alembic chain of single-PC mode.

Every transaction starts by taking one transaction-level advisory lock, the counterpart
of SQLite's ``BEGIN IMMEDIATE`` in single-PC mode: operations of several desks run one
after another, so a version check and its update, and the audit chain's head and the
entry appended after it, are never interleaved with another desk's. The lock is released
by the commit or rollback (also when a desk's connection drops). An operation that only
reads (searches, the profile, segments: registered with ``reads``) runs in a shared
transaction instead: it reads beside the others, and takes the lock only to append its
audit entry (the append function takes it) or before a write (``Op.exclusive``).

psycopg is imported only here, only when a server URL is opened: single-PC mode never
loads it.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pharmdesk.errors import AUTH_FAILED, DATABASE_ERROR, PharmDeskError
from pharmdesk.paths import server_files, server_where
from pharmdesk.store import pg_roles, tls
from pharmdesk.store.desk_lock import SHARED, take_transaction_lock

CONNECT_TIMEOUT_SECONDS = 10
LOCK_TIMEOUT = "15s"  # as long as single-PC mode waits for SQLite's write lock

SERVER_UNREACHABLE = (
    "The branch server could not be reached ({where}). Check that the server PC is on "
    "and connected to the network, and that the address is right; nothing was changed."
)
SERVER_REFUSED = (
    "The branch server refused the connection ({where}): the login or its password was "
    "not accepted, or the database does not exist. Ask your IT contact; nothing was changed."
)


def sqlalchemy_url(url: str) -> str:
    """``postgresql://...`` as SQLAlchemy's psycopg 3 URL."""
    _scheme, _sep, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}"


def describe(url: str) -> str:
    """Host, port and database of a URL, for messages (never the password)."""
    return server_where(url)


def pinned_ca(url: str) -> Path:
    """Where this desk keeps the branch CA it was joined with (``pharmdesk server join``)."""
    return server_files(url).db.parent / tls.CA_CERT


def connection_url(url: str) -> str:
    """``url`` as this desk dials it: checked against the pinned branch CA
    (``sslmode=verify-full``) once the desk was joined, unless the URL says otherwise."""
    pinned = pinned_ca(url)
    if pinned.exists() and "sslmode" not in dict(parse_qsl(urlsplit(url).query)):
        return tls.desk_url(url, pinned)
    return url


# A person's sign-in at a desk of a branch server: what stands in for the database key
# of single-PC mode (the session keeps it to reconnect; quick unlock wraps it under the
# PIN; locking drops it with the engine). The URL's own login is the owner's.
LOGIN_MARK = b"pharmdesk-server-login\x00"


def login_key(username: str, password: str) -> bytes:
    secret = unicodedata.normalize("NFKC", password)  # as keyslots and verifiers do
    return LOGIN_MARK + username.encode("utf-8") + b"\x00" + secret.encode("utf-8")


def login_of(key: bytes) -> tuple[str, str] | None:
    """(username, password) of a ``login_key``; None for any other key (the owner)."""
    if not key.startswith(LOGIN_MARK):
        return None
    username, _sep, password = key[len(LOGIN_MARK) :].partition(b"\x00")
    return username.decode("utf-8"), password.decode("utf-8")


def make_server_engine(url: str, login: tuple[str, str] | None = None) -> Engine:
    """An engine for the server; with ``login`` (username, password) it connects as that
    person's own login role (``pg_roles.login_role``) with a SCRAM password."""
    target = make_url(sqlalchemy_url(connection_url(url)))
    secret: dict[str, str] = {}
    if login is not None:
        target = target.set(
            username=pg_roles.login_role(str(target.database), login[0]), password=None
        )
        secret["password"] = login[1]
    engine = create_engine(
        target,
        # Bound values are patient data: never in log lines or exception text.
        hide_parameters=True,
        logging_name="pharmdesk",
        pool_pre_ping=True,
        pool_size=2,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "application_name": "PharmDesk",
            # psycopg prepares a statement run five times; PostgreSQL may then keep one
            # generic plan for every search text (a search with no hits: 0.2 ms with its
            # own plan, 316 ms with the generic one at 100,000 customers). Plans are made
            # for each call's values.
            "options": (
                f"-c lock_timeout={LOCK_TIMEOUT} -c TimeZone=UTC "
                "-c plan_cache_mode=force_custom_plan"
            ),
            **secret,
        },
    )

    @event.listens_for(engine, "begin")
    def _one_at_a_time(conn: Any) -> None:
        if not conn.get_execution_options().get(SHARED):
            take_transaction_lock(conn)

    return engine


def create_missing_database(url: str) -> bool:
    """``pharmdesk init``: create the URL's database when the server has none of that
    name (as its login, which needs CREATEDB), sorting text byte by byte. True when made.
    """
    target = make_url(sqlalchemy_url(url))
    name = target.database
    if not name:
        raise PharmDeskError(DATABASE_ERROR, "The server URL names no database: add /NAME.")
    probe = make_server_engine(url)
    try:
        with probe.connect():
            return False
    except DBAPIError as exc:
        if "does not exist" not in str(getattr(exc, "orig", exc)) or name not in str(exc):
            raise connection_error(exc, url) from None
    finally:
        probe.dispose()
    maintenance = create_engine(
        target.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    quoted = maintenance.dialect.identifier_preparer.quote(name)
    try:
        with maintenance.connect() as conn:
            conn.exec_driver_sql(
                f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C' LC_CTYPE 'C'"
            )
    except DBAPIError as exc:
        detail = str(getattr(exc, "orig", exc)).lower()
        if "permission denied" in detail:
            raise PharmDeskError(
                DATABASE_ERROR,
                f"The database {describe(url)} does not exist and this login may not create "
                "databases. Create it on the server (see the server guide) or use a login "
                "with CREATEDB; nothing was changed.",
            ) from None
        raise connection_error(exc, url) from None
    finally:
        maintenance.dispose()
    return True


class LoginRefused(PharmDeskError):
    """The server did not accept the person's login (wrong password, no such person,
    disabled): the same answer for each, as a wrong password at a single PC."""


def open_server_engine(url: str, key: bytes = b"") -> Engine:
    """Connect once to check the server answers; a clear error when it does not. With a
    ``login_key`` as ``key``, as that person; else with the URL's own login. Connected
    is answered and authenticated: no statement, so no transaction and no wait for the
    desks' transaction lock while another desk holds it."""
    login = login_of(key)
    engine = make_server_engine(url, login)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        if login is not None and is_login_refusal(exc):
            raise LoginRefused(AUTH_FAILED, "The server did not accept this login.") from None
        raise connection_error(exc, url) from None
    return engine


def login_accepted(url: str, key: bytes) -> bool:
    """Whether the server lets the person of a ``login_key`` in: one connection, closed at
    once, with no transaction (the caller's may hold the desks' transaction lock)."""
    engine = make_server_engine(url, login_of(key))
    try:
        with engine.connect():  # connected (and so authenticated); nothing begun
            pass
    except DBAPIError as exc:
        if is_login_refusal(exc):
            return False
        raise connection_error(exc, url) from None
    finally:
        engine.dispose()
    return True


# What PostgreSQL answers a login it does not let in: a wrong password, a role that does
# not exist (no such person), NOLOGIN (disabled), or no CONNECT on this database.
_REFUSALS = (
    "password authentication failed",
    "is not permitted to log in",
    "permission denied for database",
)


def is_login_refusal(exc: DBAPIError) -> bool:
    detail = str(getattr(exc, "orig", exc)).lower()
    return any(hint in detail for hint in _REFUSALS) or (
        "role" in detail and "does not exist" in detail
    )


# Text compares and sorts byte by byte, as in SQLite: paging orders and name-key ranges
# are the same on both stores. glibc's C.UTF-8 sorts by code point, which is the same.
BYTE_ORDER_COLLATIONS = ("c", "posix", "c.utf-8", "c.utf8")
MIN_SERVER_VERSION = 130000  # pg_trgm is a trusted extension from 13 on


def check_new_database(engine: Engine, url: str) -> None:
    """Refuse a server database PharmDesk could not give the same answers on."""
    with engine.connect() as conn:
        version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
        collate, ctype = conn.execute(
            text("SELECT datcollate, datctype FROM pg_database WHERE datname = current_database()")
        ).one()
    if version < MIN_SERVER_VERSION:
        raise PharmDeskError(
            DATABASE_ERROR,
            f"The branch server ({describe(url)}) runs PostgreSQL {version // 10000}; "
            "PharmDesk needs PostgreSQL 13 or newer. Nothing was changed.",
        )
    if str(collate).lower() not in BYTE_ORDER_COLLATIONS or str(ctype).lower() not in (
        BYTE_ORDER_COLLATIONS
    ):
        raise PharmDeskError(
            DATABASE_ERROR,
            f"The server database ({describe(url)}) sorts text by the language rules "
            f"'{collate}'; PharmDesk needs a database created with LC_COLLATE and "
            "LC_CTYPE 'C' (or 'C.UTF-8'), so that lists sort the same on every PC. "
            "Create it with: CREATE DATABASE name TEMPLATE template0 ENCODING 'UTF8' "
            "LC_COLLATE 'C' LC_CTYPE 'C'. Nothing was changed.",
        )


def connection_error(exc: DBAPIError, url: str) -> PharmDeskError:
    detail = str(getattr(exc, "orig", exc)).lower()
    where = describe(url)
    about_tls = tls.explain_connect_error(detail)
    if about_tls is not None:
        return PharmDeskError(DATABASE_ERROR, f"{about_tls} ({where}; nothing was changed)")
    refused = ("password", "authentication", "does not exist", "role", "no pg_hba")
    if any(hint in detail for hint in refused):
        return PharmDeskError(DATABASE_ERROR, SERVER_REFUSED.format(where=where))
    return PharmDeskError(DATABASE_ERROR, SERVER_UNREACHABLE.format(where=where))


# Row ids, shown as CUST-n, ORD-n...: SQLite gives a new row the highest id plus one, so a
# write that is rolled back leaves no gap. A sequence would; instead a trigger gives the
# same number (desks' transactions take turns, so two never read the same highest id).
# Applied after every upgrade to each table whose integer id still has a sequence
# default: tables of later revisions get it too.
NEXT_ID_FUNCTION = """
CREATE OR REPLACE FUNCTION pharmdesk_next_id() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NEW.id IS NULL THEN
        EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %%I.%%I',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO NEW.id;
    END IF;
    RETURN NEW;
END
$$
"""
SEQUENCE_IDS = """
SELECT c.table_name FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
  AND c.column_name = 'id' AND c.data_type IN ('integer', 'bigint')
  AND c.column_default LIKE 'nextval(%'
ORDER BY c.table_name
"""


def ids_as_in_sqlite(conn: Connection) -> None:
    conn.exec_driver_sql(NEXT_ID_FUNCTION)  # "%%": the driver reads "%" as a parameter
    for table_name in conn.execute(text(SEQUENCE_IDS)).scalars():
        quoted = conn.dialect.identifier_preparer.quote(str(table_name))
        conn.exec_driver_sql(f"ALTER TABLE {quoted} ALTER COLUMN id DROP DEFAULT")
        conn.exec_driver_sql(
            f"CREATE TRIGGER pharmdesk_next_id BEFORE INSERT ON {quoted} "
            "FOR EACH ROW EXECUTE FUNCTION pharmdesk_next_id()"
        )


def server_objects(conn: Connection) -> None:
    """What the migration chain leaves to code on a server, after every upgrade (and at
    ``pharmdesk init``): row ids as in SQLite, then the database's group roles, their
    GRANTs (tables of later revisions included) and the audit functions."""
    ids_as_in_sqlite(conn)
    pg_roles.apply_privileges(conn)
