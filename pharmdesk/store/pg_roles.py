"""People as PostgreSQL roles on a branch server: names, groups, GRANTs, audit functions.

PostgreSQL roles are cluster-wide, so every name is derived from the database's name:
two PharmDesk databases on one server (two branches, or tests) never share a role or a
privilege. A person's login role is ``pd_<database>.<username>``; the database's three
groups are ``pd_<database>:frontdesk``, ``:pharmacist`` and ``:admin`` (a username has
no ``:``, a sanitised database name no ``.`` or ``:``, so the names never collide). A
database name with characters other than ``a-z0-9_`` is sanitised and gets a short hash
of the real name; a name longer than PostgreSQL's 63 bytes is cut and ends in a hash.

``apply_privileges`` (run by ``pharmdesk init`` on a server and after every upgrade, like
the row-id trigger in ``store/server``: these objects depend on the database's name, so
they are made in code, not in a migration) creates the groups, gives each exactly the
rights API.md gives the role, and (re)creates the SECURITY DEFINER functions through which
audit entries are written (``pharmdesk_audit_append``), redacted (admins only) and read
back as the chain head. Staff roles have no INSERT, UPDATE or DELETE on ``audit_entry``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from sqlalchemy import Connection, Engine, text

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.store import pg_backup_sql, pg_signin_sql
from pharmdesk.store.pg_audit_sql import append_function, head_function, redact_function
from pharmdesk.store.pg_staff_sql import signed_in_function, staff_login_function

ROLES = ("frontdesk", "pharmacist", "admin")
MAX_NAME_BYTES = 63
_HASHED_PREFIX = MAX_NAME_BYTES - 9  # then "~" and 8 hex digits
_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# Tables whose rights differ from "every group reads and writes" (the customer record,
# orders, subscriptions, consent, messages: every role's operations change them).
READ_ONLY_FOR_STAFF = ("setting", "plan", "alembic_version")
# Read by admins; written by the server's functions only.
ADMIN_ONLY = ("audit_entry", "audit_customer", "sign_in_counter")
# Read by every role; written only by the triggers that keep them (as the owner).
KEPT_BY_TRIGGERS = ("customer_search_count", "customer_condition_count")


def _digest(value: str, length: int) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:length]


def database_part(database: str) -> str:
    """The database's name as it appears in its roles' names."""
    part = re.sub(r"[^a-z0-9_]", "_", database.translate(_UPPER))
    return part if part == database else f"{part}_{_digest(database, 6)}"


def _fit(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    return f"{name[:_HASHED_PREFIX]}~{_digest(name, 8)}"


def login_role(database: str, username: str) -> str:
    """The PostgreSQL login role of a PharmDesk username in this database."""
    return _fit(f"pd_{database_part(database)}.{username}")


def group_role(database: str, role: str) -> str:
    """This database's group role for a PharmDesk role (frontdesk, pharmacist, admin)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    return _fit(f"pd_{database_part(database)}:{role}")


def gate_role(database: str) -> str:
    """This database's sign-in gate login (``store/pg_signin_sql``): a login role, in
    the groups' name space (a username has no ``:``; no PharmDesk role is "signin")."""
    return _fit(f"pd_{database_part(database)}:signin")


def role_prefixes(database: str) -> tuple[str, str]:
    """The beginnings of every login and group role name of this database."""
    part = database_part(database)
    return f"pd_{part}.", f"pd_{part}:"


# The same derivation in SQL, for the functions that map ``session_user`` back to a
# username (``tests/server/test_pg_roles`` checks both agree).
LOGIN_ROLE_FUNCTION = """
CREATE OR REPLACE FUNCTION pharmdesk_login_role(p_username text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $fn$
DECLARE
    db text := current_database();
    part text;
    name text;
BEGIN
    part := regexp_replace(translate(db, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                                     'abcdefghijklmnopqrstuvwxyz'), '[^a-z0-9_]', '_', 'g');
    IF part <> db THEN
        part := part || '_' || left(encode(sha256(convert_to(db, 'UTF8')), 'hex'), 6);
    END IF;
    name := 'pd_' || part || '.' || p_username;
    IF octet_length(name) > 63 THEN
        name := left(name, 54) || '~' || left(encode(sha256(convert_to(name, 'UTF8')), 'hex'), 8);
    END IF;
    RETURN name;
END
$fn$
"""


def quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _tables(conn: Connection) -> list[str]:
    return [
        str(name)
        for name in conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "ORDER BY tablename"
            )
        ).scalars()
    ]


def _sequences(conn: Connection) -> list[str]:
    return [
        str(name)
        for name in conn.execute(
            text(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() "
                "ORDER BY sequencename"
            )
        ).scalars()
    ]


NEEDS_CREATEROLE = (
    "The login '{login}' may not create roles: PharmDesk makes this database's group roles "
    "and each person's own login with it. Give it CREATEROLE on the server (ALTER ROLE "
    '"{login}" CREATEROLE, as a superuser; see the server guide) and run the command '
    "again. The schema was not created."
)


def existing_roles(conn: Connection, names: list[str]) -> set[str]:
    """Which of these role names the server has (roles are the server's, not a database's)."""
    return set(
        conn.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"), {"names": names}
        ).scalars()
    )


def ensure_groups(conn: Connection, database: str) -> dict[str, str]:
    """The database's three group roles (NOLOGIN), created when missing."""
    login, may = conn.execute(
        text("SELECT rolname, rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")
    ).one()
    if not may:
        raise PharmDeskError(DATABASE_ERROR, NEEDS_CREATEROLE.format(login=login))
    groups = {role: group_role(database, role) for role in ROLES}
    existing = existing_roles(conn, list(groups.values()))
    for name in groups.values():
        if name not in existing:
            conn.exec_driver_sql(f"CREATE ROLE {quote(conn, name)} NOLOGIN")
    return groups


def apply_privileges(target: Engine | Connection) -> None:
    """Groups, GRANTs and audit functions of the connected database (idempotent).

    Runs as the database's owner, which needs CREATEROLE (it creates the groups and, in
    staff operations, the people's login roles).
    """
    if isinstance(target, Engine):
        with target.begin() as conn:
            apply_privileges(conn)
        return
    conn = target
    database = str(conn.execute(text("SELECT current_database()")).scalar_one())
    schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
    groups = ensure_groups(conn, database)
    q = {role: quote(conn, name) for role, name in groups.items()}
    everyone = ", ".join(q.values())
    db = quote(conn, database)
    conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {everyone}")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {quote(conn, schema)} TO {everyone}")
    for table in _tables(conn):
        name = quote(conn, table)
        conn.exec_driver_sql(f"REVOKE ALL ON TABLE {name} FROM PUBLIC, {everyone}")
        if table in ADMIN_ONLY:
            conn.exec_driver_sql(f"GRANT SELECT ON TABLE {name} TO {q['admin']}")
        elif table == "staff":
            conn.exec_driver_sql(f"GRANT SELECT ON TABLE {name} TO {everyone}")
            conn.exec_driver_sql(f"GRANT INSERT, UPDATE ON TABLE {name} TO {q['admin']}")
        elif table == "audit_state":
            # The seal columns are the owner's; the checkpoint and counter numbers are
            # kept up to date by every sign-in.
            conn.exec_driver_sql(f"GRANT SELECT ON TABLE {name} TO {everyone}")
            conn.exec_driver_sql(
                f"GRANT UPDATE (checkpoint_id, attempts_seq) ON TABLE {name} TO {everyone}"
            )
        elif table in KEPT_BY_TRIGGERS:
            conn.exec_driver_sql(f"GRANT SELECT ON TABLE {name} TO {everyone}")
        elif table in READ_ONLY_FOR_STAFF:
            conn.exec_driver_sql(f"GRANT SELECT ON TABLE {name} TO {everyone}")
            if table != "alembic_version":
                conn.exec_driver_sql(
                    f"GRANT INSERT, UPDATE, DELETE ON TABLE {name} TO {q['admin']}"
                )
        else:
            conn.exec_driver_sql(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {name} TO {everyone}"
            )
    _sign_in_gate(conn, database, schema)
    for sequence in _sequences(conn):
        name = quote(conn, sequence)
        conn.exec_driver_sql(f"REVOKE ALL ON SEQUENCE {name} FROM PUBLIC")
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON SEQUENCE {name} TO {everyone}")
    _audit_functions(conn, schema, groups)


def _audit_functions(conn: Connection, schema: str, groups: dict[str, str]) -> None:
    path = f"{quote(conn, schema)}, pg_temp"
    admin = groups["admin"]
    everyone = ", ".join(quote(conn, name) for name in groups.values())
    conn.exec_driver_sql(LOGIN_ROLE_FUNCTION)
    conn.exec_driver_sql(append_function(path))
    conn.exec_driver_sql(redact_function(path, admin.replace("'", "''")))
    conn.exec_driver_sql(head_function(path))
    conn.exec_driver_sql(staff_login_function(path, groups))
    conn.exec_driver_sql(signed_in_function(path))
    conn.exec_driver_sql(pg_signin_sql.check_function(path))
    conn.exec_driver_sql(pg_signin_sql.failed_function(path))
    conn.exec_driver_sql(pg_signin_sql.clear_function(path, admin.replace("'", "''")))
    conn.exec_driver_sql(pg_backup_sql.history_function(path))
    gate = quote(conn, gate_role(current_database(conn)))
    signatures = {
        "pharmdesk_login_role(text)": everyone,
        "pharmdesk_audit_append(timestamp, text, jsonb)": everyone,
        "pharmdesk_audit_head()": everyone,
        "pharmdesk_audit_redact(integer, text)": quote(conn, admin),
        "pharmdesk_staff_login(text, text)": everyone,
        "pharmdesk_signed_in(timestamp)": everyone,
        pg_signin_sql.CHECK_SIGNATURE: gate,
        pg_signin_sql.FAILED_SIGNATURE: gate,
        pg_signin_sql.CLEAR_SIGNATURE: everyone,
        pg_backup_sql.SIGNATURE: everyone,
    }
    for signature, grantees in signatures.items():
        conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {signature} TO {grantees}")


def _sign_in_gate(conn: Connection, database: str, schema: str) -> None:
    """The gate login (made, or brought back to exactly this): it may connect to this
    database and, below, run the two sign-in functions; it is in no group and has no
    right on any table or sequence."""
    gate = gate_role(database)
    verifier = scram_verifier(conn, gate, pg_signin_sql.gate_password(database))
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": gate}).first()
    attributes = (
        "LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
        f"CONNECTION LIMIT {pg_signin_sql.GATE_CONNECTION_LIMIT} VALID UNTIL 'infinity'"
    )
    verb = "ALTER" if exists else "CREATE"
    conn.exec_driver_sql(
        f"{verb} ROLE {quote(conn, gate)} {attributes} PASSWORD '{verifier}'"  # SCRAM, ASCII
    )
    version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    if version >= 140000:  # a connection held open idle is closed (PostgreSQL 14 on)
        conn.exec_driver_sql(f"ALTER ROLE {quote(conn, gate)} SET idle_session_timeout = '30s'")
    for (group,) in conn.execute(
        text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :r"
        ),
        {"r": gate},
    ):
        conn.exec_driver_sql(f"REVOKE {quote(conn, str(group))} FROM {quote(conn, gate)}")
    conn.exec_driver_sql(
        f"GRANT CONNECT ON DATABASE {quote(conn, database)} TO {quote(conn, gate)}"
    )
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {quote(conn, schema)} TO {quote(conn, gate)}")


def current_database(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_database()")).scalar_one())


def scram_verifier(conn: Connection, role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of a password for a role, computed here by libpq (its
    own salt and iterations): only the verifier is sent to the server, and logged by
    nothing."""
    driver = conn.connection.driver_connection
    pgconn = getattr(driver, "pgconn", None)
    if pgconn is None:
        raise RuntimeError("a server connection through psycopg is needed")
    secret = unicodedata.normalize("NFKC", password).encode("utf-8")  # as keyslots do
    verifier = pgconn.encrypt_password(secret, role.encode(), b"scram-sha-256")
    return bytes(verifier).decode("ascii")


def sync_login(conn: Connection, username: str, password: str | None = None) -> str:
    """Bring a person's login role in step with their staff row (``pharmdesk_staff_login``),
    in the caller's transaction, with a new password when given. Returns the role's name."""
    role = login_role(current_database(conn), username)
    verifier = None if password is None else scram_verifier(conn, role, password)
    return str(
        conn.execute(
            text("SELECT pharmdesk_staff_login(:username, :verifier)"),
            {"username": username, "verifier": verifier},
        ).scalar_one()
    )
