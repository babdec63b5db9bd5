"""People as PostgreSQL roles: names per database, GRANTs and the audit functions,
checked by logging in with psycopg directly (what a person with ``psql`` can do)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from pharmdesk.controllers import audit
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import pg_roles, server
from tests import pg_server
from tests.conftest import ADMIN

Connect = Callable[[str], psycopg.Connection]
LOGIN_PASSWORD = "a login made by the test itself 1"


@pytest.fixture
def store() -> str:
    return "postgresql"


def _dbname(files: DatabaseFiles) -> str:
    assert files.server is not None
    return urlsplit(files.server).path.lstrip("/")


@pytest.fixture
def owner(db_files: DatabaseFiles, pg: pg_server.PgServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(
        host=str(pg.sockets), port=pg.port, user=pg_server.SUPERUSER, dbname=_dbname(db_files),
        autocommit=True,
    ) as conn:  # fmt: skip
        yield conn


@pytest.fixture
def as_login(
    db_files: DatabaseFiles, pg: pg_server.PgServer, owner: psycopg.Connection
) -> Iterator[Connect]:
    """A login role for a username (created like a staff member's, in the role's group),
    connected over the socket as that login."""
    name = _dbname(db_files)
    opened: list[psycopg.Connection] = []

    def connect(spec: str) -> psycopg.Connection:
        username, _sep, role = spec.partition(":")
        login = pg_roles.login_role(name, username)
        group = pg_roles.group_role(name, role)
        owner.execute(
            f'CREATE ROLE "{login}" LOGIN PASSWORD \'{LOGIN_PASSWORD}\' IN ROLE "{group}"'  # type: ignore[arg-type]
        )
        conn = psycopg.connect(
            host=str(pg.sockets), port=pg.port, user=login, dbname=name, autocommit=True,
            password=LOGIN_PASSWORD,
        )  # fmt: skip
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


def _append(
    conn: psycopg.Connection, user: str, action: str = "view", **extra: object
) -> tuple[int, str]:
    entry = {"action": action, "detail": json.dumps(extra.pop("detail", {})), **extra}
    row = conn.execute(
        "SELECT head_id, head_hash FROM pharmdesk_audit_append(%s, %s, %s::jsonb)",
        (dt.datetime(2026, 12, 6, 7, 30, 15), user, json.dumps([entry])),
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def _verify(db_files: DatabaseFiles) -> audit.ChainReport:
    assert db_files.server is not None
    engine = create_engine(server.sqlalchemy_url(db_files.server), poolclass=NullPool)
    try:
        with Session(engine) as tx:
            return audit.verify_chain(tx, None)
    finally:
        engine.dispose()


def test_role_names_are_per_database_sanitised_and_short() -> None:
    assert pg_roles.login_role("lekki", "ada") == "pd_lekki.ada"
    assert pg_roles.group_role("lekki", "frontdesk") == "pd_lekki:frontdesk"
    # Two databases never share a role, also when their names sanitise alike.
    names = {pg_roles.login_role(db, "ada") for db in ("lekki", "Lekki", "lek-ki", "lek_ki")}
    assert len(names) == 4
    long = pg_roles.login_role("pharmdesk_" + "x" * 60, "a" * 32)
    assert len(long.encode()) == 63 and "~" in long
    other = pg_roles.login_role("pharmdesk_" + "x" * 60, "a" * 31 + "b")
    assert other != long
    with pytest.raises(ValueError):
        pg_roles.group_role("lekki", "superuser")


@pytest.mark.parametrize(
    "database", ["pharmdesk_lekki", "Lekki Branch-2", "ikeja_" + "y" * 55, "Ọ̀pẹ́ branch"]
)
def test_the_server_derives_the_same_login_names(pg: pg_server.PgServer, database: str) -> None:
    pg_server._admin(pg, f'CREATE DATABASE "{database}"')
    try:
        with psycopg.connect(
            host=str(pg.sockets), port=pg.port, user=pg_server.SUPERUSER, dbname=database,
            autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute(pg_roles.LOGIN_ROLE_FUNCTION)  # type: ignore[arg-type]
            for username in ("ada", "femi.o", "a-b_c", "z" * 32):
                got = conn.execute("SELECT pharmdesk_login_role(%s)", (username,)).fetchone()
                assert got is not None and got[0] == pg_roles.login_role(database, username)
    finally:
        pg_server.drop_database(pg, database)


def test_a_frontdesk_login_is_refused_by_the_server_itself(as_login: Connect) -> None:
    desk = as_login("femi:frontdesk")
    assert desk.execute("SELECT count(*) FROM customer").fetchone() is not None
    refused = [
        "SELECT * FROM audit_entry",
        "SELECT * FROM audit_customer",
        "UPDATE staff SET role = 'admin'",
        "INSERT INTO staff (username, full_name, role, disabled, must_change_password, "
        "created_at) VALUES ('eve', 'Eve', 'admin', false, false, now())",
        "UPDATE setting SET value = value",
        "INSERT INTO plan (name) VALUES ('x')",
        "UPDATE audit_state SET seal_key = NULL",
        'INSERT INTO audit_entry (id, at, "user", action, outcome, detail, prev_hash, hash) '
        "VALUES (999, now(), 'femi', 'view', 'success', '{}', 'x', 'y')",
        "UPDATE audit_entry SET detail = '{}'",
        "DELETE FROM audit_entry",
        "SELECT pharmdesk_audit_redact(1, '{\"redacted\":[]}')",
    ]
    for statement in refused:
        with pytest.raises(errors.InsufficientPrivilege):
            desk.execute(statement)  # type: ignore[arg-type]


def test_no_staff_login_changes_the_log_directly_not_even_an_admin(as_login: Connect) -> None:
    boss = as_login("boss:admin")
    assert boss.execute("SELECT count(*) FROM audit_entry").fetchone() is not None
    for statement in (
        'INSERT INTO audit_entry (id, at, "user", action, outcome, detail, prev_hash, hash) '
        "VALUES (999, now(), 'boss', 'view', 'success', '{}', 'x', 'y')",
        "UPDATE audit_entry SET detail = '{}' WHERE id = 1",
        "DELETE FROM audit_entry WHERE id = 1",
        "INSERT INTO audit_customer (customer_id, entry_id) VALUES (1, 1)",
        "TRUNCATE audit_entry",
    ):
        with pytest.raises(errors.InsufficientPrivilege):
            boss.execute(statement)  # type: ignore[arg-type]


def test_the_append_function_writes_as_the_login_and_refuses_a_forged_user(
    as_login: Connect, db_files: DatabaseFiles
) -> None:
    desk = as_login("femi:frontdesk")
    with pytest.raises(errors.InsufficientPrivilege, match="may not write audit entries"):
        _append(desk, "admin")
    text = 'Ọ̀pẹ́ "quoted" \\ back\nline\ttab \x01 ünïcode ☕'
    head_id, head_hash = _append(
        desk, "femi", "view", entityType="customer", entityId="CUST-1", customers=[1],
        detail={"note": text, "n": 3},
    )  # fmt: skip
    # Failed sign-ins name the person who was tried, as in single-PC mode.
    _append(desk, "nobody", "signInFailed", outcome="failed", detail={"at": "x"})
    report = _verify(db_files)
    assert report.ok, report.reason
    assert report.checked == head_id + 1
    head = desk.execute("SELECT head_id, head_hash FROM pharmdesk_audit_head()").fetchone()
    assert head is not None and head[0] == head_id + 1
    boss = as_login("boss:admin")
    row = boss.execute(
        'SELECT "user", hash, detail FROM audit_entry WHERE id = %s', (head_id,)
    ).fetchone()
    assert row is not None and row[0] == "femi" and row[1] == head_hash
    assert json.loads(row[2])["note"] == text
    linked = boss.execute("SELECT customer_id FROM audit_customer WHERE entry_id = %s", (head_id,))
    assert [r[0] for r in linked.fetchall()] == [1]


def test_only_admins_redact_and_only_the_detail(as_login: Connect, db_files: DatabaseFiles) -> None:
    desk = as_login("femi:frontdesk")
    entry_id, _hash = _append(desk, "femi", detail={"search": "okeke"})
    boss = as_login("boss:admin")
    with pytest.raises(errors.InvalidParameterValue):
        boss.execute("SELECT pharmdesk_audit_redact(%s, %s)", (entry_id, '{"search":"x"}'))
    boss.execute(
        "SELECT pharmdesk_audit_redact(%s, %s)", (entry_id, '{"redacted":[],"search":"[erased]"}')
    )
    report = _verify(db_files)
    assert report.ok, report.reason


def test_a_login_of_another_database_cannot_connect(
    as_login: Connect, pg: pg_server.PgServer, db_files: DatabaseFiles
) -> None:
    as_login("femi:frontdesk")
    other = pg_server.copy_template(pg)
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(
                host=str(pg.sockets), port=pg.port, dbname=other,
                user=pg_roles.login_role(_dbname(db_files), "femi"), password=LOGIN_PASSWORD,
            ).close()  # fmt: skip
    finally:
        pg_server.drop_database(pg, other)


# -- staff operations keep the login roles in step ---------------------------------------
def _tcp(
    pg: pg_server.PgServer, db_files: DatabaseFiles, username: str, password: str
) -> psycopg.Connection:
    """A SCRAM password login over TCP, as a desk on the LAN connects."""
    return psycopg.connect(
        host="127.0.0.1", port=pg.port, dbname=_dbname(db_files), autocommit=True,
        user=pg_roles.login_role(_dbname(db_files), username), password=password,
    )  # fmt: skip


def _groups(owner: psycopg.Connection, role: str) -> list[str]:
    rows = owner.execute(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s ORDER BY 1",
        (role,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def test_staff_operations_create_alter_and_disable_the_login_role(
    admin: DeskSession, pg: pg_server.PgServer, db_files: DatabaseFiles, owner: psycopg.Connection
) -> None:
    name = _dbname(db_files)
    password = "femi likes long walks 2026"
    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": password},
    )
    role = pg_roles.login_role(name, "femi")
    listed = {s["username"]: s for s in admin.call("listStaff", {})["staff"]}
    assert listed["femi"]["dbRole"] == role
    assert listed[ADMIN]["dbRole"] == pg_roles.login_role(name, ADMIN)
    assert _groups(owner, role) == [pg_roles.group_role(name, "frontdesk")]
    stored = owner.execute(
        "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)
    ).fetchone()
    assert stored is not None and str(stored[0]).startswith("SCRAM-SHA-256$")
    with _tcp(pg, db_files, "femi", password) as desk, pytest.raises(errors.InsufficientPrivilege):
        desk.execute("SELECT * FROM audit_entry")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _tcp(pg, db_files, "femi", "not the password at all 123")

    admin.call("setStaffRole", {"username": "femi", "role": "admin"})
    assert _groups(owner, role) == [pg_roles.group_role(name, "admin")]
    with _tcp(pg, db_files, "femi", password) as desk:
        assert desk.execute("SELECT count(*) FROM audit_entry").fetchone() is not None

    new = "femi has a brand new passphrase 77"
    admin.call("resetStaffPassword", {"username": "femi", "password": new})
    _tcp(pg, db_files, "femi", new).close()
    with pytest.raises(psycopg.OperationalError):
        _tcp(pg, db_files, "femi", password)

    admin.call("disableStaff", {"username": "femi"})
    login = owner.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    assert login is not None and login[0] is False
    with pytest.raises(psycopg.OperationalError):
        _tcp(pg, db_files, "femi", new)
    again = "femi is back with another phrase 88"
    admin.call("enableStaff", {"username": "femi", "password": again})
    _tcp(pg, db_files, "femi", again).close()


def test_a_refused_staff_operation_leaves_the_login_role_as_it_was(
    admin: DeskSession, owner: psycopg.Connection, db_files: DatabaseFiles
) -> None:
    with pytest.raises(PharmDeskError):
        admin.call(
            "addStaff",
            {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": "short"},
        )
    role = pg_roles.login_role(_dbname(db_files), "femi")
    assert owner.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None


def test_only_admins_manage_logins_through_the_server_function(
    admin: DeskSession, pg: pg_server.PgServer, db_files: DatabaseFiles
) -> None:
    password = "femi likes long walks 2026"
    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": password},
    )
    with _tcp(pg, db_files, "femi", password) as desk:
        with pytest.raises(errors.InsufficientPrivilege, match="only admins"):
            desk.execute("SELECT pharmdesk_staff_login(%s, NULL)", (ADMIN,))
        with pytest.raises(errors.InsufficientPrivilege):
            desk.execute(f'CREATE ROLE "{pg_roles.login_role(_dbname(db_files), "eve")}"')  # type: ignore[arg-type]
        # Their own password, as a verifier only.
        with pytest.raises(errors.InvalidParameterValue):
            desk.execute("SELECT pharmdesk_staff_login('femi', 'plain text password 123')")


def test_init_refuses_an_owner_without_createrole_and_changes_nothing(
    pg: pg_server.PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pharmdesk.clock import FixedClock
    from pharmdesk.controllers.session import create_database
    from pharmdesk.errors import DATABASE_ERROR
    from pharmdesk.store import migrate
    from tests.conftest import ADMIN_PASSWORD, TEST_KDF

    owner = "pharmdesk_weak_owner"
    pg_server._admin(pg, f"CREATE ROLE {owner} LOGIN CREATEDB PASSWORD '{LOGIN_PASSWORD}'")
    pg_server._admin(
        pg, f"CREATE DATABASE weak OWNER {owner} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
    )
    monkeypatch.setenv("PGPASSWORD", LOGIN_PASSWORD)
    url = pg.url("weak", user=owner)
    files = DatabaseFiles(tmp_path / "weak" / "pharmdesk.db", server=url)
    with pytest.raises(PharmDeskError) as refused:
        create_database(
            files, admin=ADMIN, full_name="Ada", password=ADMIN_PASSWORD, clock=FixedClock(),
            kdf=TEST_KDF,
        )  # fmt: skip
    assert refused.value.code == DATABASE_ERROR and "CREATEROLE" in refused.value.message
    engine = create_engine(server.sqlalchemy_url(pg.url("weak")), poolclass=NullPool)
    try:
        assert migrate.current_revision(engine) is None
    finally:
        engine.dispose()
    assert not files.vault.exists()
