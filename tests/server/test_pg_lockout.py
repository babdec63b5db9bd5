"""Failed sign-ins on a branch server are counted by the server, for every desk at once,
through the database's sign-in gate login; the gate itself reads nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import text

from pharmdesk.clock import FixedClock, parse_iso
from pharmdesk.controllers import audit
from pharmdesk.controllers.quick_unlock import QuickUnlock
from pharmdesk.controllers.session import WRONG_PASSWORD, DeskSession, sign_in
from pharmdesk.errors import AUTH_FAILED, LOCKED_OUT, PharmDeskError
from pharmdesk.paths import DatabaseFiles, server_files
from pharmdesk.store import pg_roles, pg_signin_sql
from pharmdesk.store.attempts import LOCKOUT, MAX_FAILURES
from tests import pg_server
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

FEMI_PASSWORD = "femi likes long walks 2026"
WRONG = "not femi's password 12345"
Desk = Callable[[str, str], DeskSession]


@pytest.fixture
def store() -> str:
    return "postgresql"


def _database(files: DatabaseFiles) -> str:
    assert files.server is not None
    return files.server.split("?")[0].rsplit("/", 1)[-1]


@pytest.fixture
def desks(
    db_files: DatabaseFiles, tmp_path: Path, clock: FixedClock, no_sleep: list[float]
) -> Iterator[tuple[Desk, Desk]]:
    """Two more PCs of the branch, each joined with the server's URL only (a folder of
    its own for its side files)."""
    opened: list[DeskSession] = []
    assert db_files.server is not None

    def at(folder: str) -> Desk:
        files = server_files(db_files.server or "", base=tmp_path / folder)

        def _sign_in(username: str, password: str) -> DeskSession:
            desk = sign_in(
                files, username, password, clock=clock, sleep=no_sleep.append, kdf=TEST_KDF
            )
            opened.append(desk)
            return desk

        return _sign_in

    yield at("desk-a"), at("desk-b")
    for desk in opened:
        desk.close()


@pytest.fixture
def femi(admin: DeskSession) -> None:
    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": FEMI_PASSWORD},
    )


def _refused(call: Callable[[], object]) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        call()
    return info.value


def _failures_of(admin: DeskSession, username: str) -> list[dict[str, object]]:
    entries = admin.call("fetchAuditLog", {"user": username})["entries"]
    return [e for e in entries if e["action"] in ("signInFailed", "lockedOut")]


@pytest.mark.usefixtures("femi")
def test_failures_at_two_desks_add_up_to_a_lock_out_both_desks_see(
    desks: tuple[Desk, Desk],
    admin: DeskSession,
    clock: FixedClock,
    no_sleep: list[float],
    owner: psycopg.Connection,
) -> None:
    desk_a, desk_b = desks
    for attempt in range(MAX_FAILURES - 1):
        guess = desk_a if attempt % 2 == 0 else desk_b
        error = _refused(lambda g=guess: g("femi", WRONG))
        assert (error.code, error.message) == (AUTH_FAILED, WRONG_PASSWORD)
    fifth = _refused(lambda: desk_b("femi", WRONG))
    assert fifth.code == LOCKED_OUT and "locked until" in fifth.message
    assert no_sleep == [0.5, 1.0, 2.0, 4.0, 4.0]  # the growing delay, counted across desks
    # Locked at every desk, the right password too, and without a delay.
    for desk in (desk_a, desk_b):
        assert _refused(lambda d=desk: d("femi", FEMI_PASSWORD)).code == LOCKED_OUT
    assert len(no_sleep) == MAX_FAILURES
    # In the log at once (nobody signed in since), with single-PC mode's entries.
    found = _failures_of(admin, "femi")
    assert [e["action"] for e in found].count("signInFailed") == MAX_FAILURES
    locked = [e for e in found if e["action"] == "lockedOut"]
    assert len(locked) == 3  # the lock-out, then the two tries while locked
    assert all(set(e["detail"]) == {"at"} for e in locked[:2])  # newest first
    # The server's clock, to the second: the try's time, and the lock-out's end.
    lock_out = locked[-1]["detail"]
    until = parse_iso(lock_out["until"])
    assert until - parse_iso(lock_out["at"]) == LOCKOUT
    assert abs(until - LOCKOUT - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert all(e["outcome"] == "failed" and e["entityType"] == "staff" for e in found)
    assert all(e["entityId"] == "femi" and e["detail"]["at"] == e["at"] for e in found)
    assert admin.call("verifyAuditLog", {})["ok"] is True
    listed = {p["username"]: p for p in admin.call("listStaff", {})["staff"]}
    assert listed["femi"]["lockedOut"] is True
    # A desk's clock does not end it (the server's does).
    clock.advance(seconds=LOCKOUT.total_seconds())
    assert _refused(lambda: desk_a("femi", FEMI_PASSWORD)).code == LOCKED_OUT
    # Once the lock-out is over, the right password works at either desk; it starts over.
    owner.execute("UPDATE sign_in_counter SET locked_until = locked_until - %s", (LOCKOUT,))
    assert desk_a("femi", FEMI_PASSWORD).staff.username == "femi"
    listed = {p["username"]: p for p in admin.call("listStaff", {})["staff"]}
    assert listed["femi"]["lockedOut"] is False
    assert _refused(lambda: desk_b("femi", WRONG)).code == AUTH_FAILED
    assert no_sleep[-1] == 0.5


@pytest.mark.usefixtures("femi")
def test_a_success_at_any_desk_starts_the_count_again(
    desks: tuple[Desk, Desk], no_sleep: list[float]
) -> None:
    desk_a, desk_b = desks
    for _ in range(MAX_FAILURES - 1):
        _refused(lambda: desk_a("femi", WRONG))
    assert desk_b("femi", FEMI_PASSWORD).own_server_login
    for _ in range(MAX_FAILURES - 1):
        assert _refused(lambda: desk_a("femi", WRONG)).code == AUTH_FAILED
    assert no_sleep == [0.5, 1.0, 2.0, 4.0] * 2


@pytest.mark.usefixtures("femi")
def test_a_server_lock_out_holds_for_key_slots_and_a_quick_unlock_pin(
    desks: tuple[Desk, Desk],
    db_files: DatabaseFiles,
    tmp_path: Path,
    login: Callable[[str, str], DeskSession],
    clock: FixedClock,
) -> None:
    """The desk that keeps key slots, and a PIN unlock at any desk, ask the server too."""
    desk_a, desk_b = desks
    working = desk_a("femi", FEMI_PASSWORD)
    quick = QuickUnlock(
        server_files(db_files.server or "", base=tmp_path / "desk-a"),
        clock=clock, kdf=TEST_KDF, pin_kdf=TEST_KDF,
    )  # fmt: skip
    quick.started(working)
    quick.set_pin(working, "204719", "204719")
    assert quick.seal(working) is True
    working.lock()
    for _ in range(MAX_FAILURES):
        _refused(lambda: desk_b("femi", WRONG))
    assert _refused(lambda: quick.unlock("204719")).code == LOCKED_OUT
    assert _refused(lambda: login("femi", FEMI_PASSWORD)).code == LOCKED_OUT


@pytest.mark.usefixtures("femi")
def test_an_admin_unlocks_an_account_for_every_desk(
    desks: tuple[Desk, Desk], admin: DeskSession
) -> None:
    desk_a, desk_b = desks
    for _ in range(MAX_FAILURES):
        _refused(lambda: desk_a("femi", WRONG))
    assert _refused(lambda: desk_b("femi", FEMI_PASSWORD)).code == LOCKED_OUT
    admin.call("unlockStaff", {"username": "femi"})
    (entry,) = [
        e for e in admin.call("fetchAuditLog", {"action": "staff"})["entries"]
        if e["detail"].get("event") == "unlock"
    ]  # fmt: skip
    assert entry["detail"]["wasLockedOut"] is True
    assert desk_b("femi", FEMI_PASSWORD).own_server_login


@pytest.mark.usefixtures("femi")
def test_unknown_and_disabled_accounts_answer_and_count_like_a_wrong_password(
    desks: tuple[Desk, Desk], admin: DeskSession, no_sleep: list[float]
) -> None:
    desk_a, desk_b = desks
    admin.call("disableStaff", {"username": "femi"})
    for username, password in (("nobody", FEMI_PASSWORD), ("femi", FEMI_PASSWORD)):
        for attempt in range(MAX_FAILURES - 1):
            guess = desk_a if attempt % 2 == 0 else desk_b
            error = _refused(lambda g=guess, u=username, p=password: g(u, p))
            assert (error.code, error.message) == (AUTH_FAILED, WRONG_PASSWORD)
        assert _refused(lambda u=username, p=password: desk_a(u, p)).code == LOCKED_OUT
    assert no_sleep == [0.5, 1.0, 2.0, 4.0, 4.0] * 2
    assert len(_failures_of(admin, "nobody")) == MAX_FAILURES + 1
    assert admin.call("verifyAuditLog", {})["ok"] is True


@pytest.fixture
def owner(db_files: DatabaseFiles, pg: pg_server.PgServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(
        host=str(pg.sockets), port=pg.port, user=pg_server.SUPERUSER,
        dbname=_database(db_files), autocommit=True,
    ) as conn:  # fmt: skip
        yield conn


@pytest.fixture
def gate(db_files: DatabaseFiles, pg: pg_server.PgServer) -> Iterator[psycopg.Connection]:
    """The sign-in gate login, as anyone who knows its (derived) password connects."""
    name = _database(db_files)
    with psycopg.connect(
        host="127.0.0.1", port=pg.port, dbname=name, user=pg_roles.gate_role(name),
        password=pg_signin_sql.gate_password(name), autocommit=True,
    ) as conn:  # fmt: skip
        yield conn


@pytest.mark.usefixtures("femi")
def test_the_gate_login_is_refused_every_table_by_the_server_itself(
    gate: psycopg.Connection, db_files: DatabaseFiles, admin: DeskSession
) -> None:
    admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031234501"})
    with admin.db.transaction() as tx:
        tables = [
            str(t)
            for t in tx.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        ]
    assert {"customer", "staff", "audit_entry", "sign_in_counter", "setting"} <= set(tables)
    refused = [f'SELECT * FROM "{table}" LIMIT 1' for table in tables] + [
        "UPDATE staff SET role = 'admin'",
        "DELETE FROM sign_in_counter",
        "CREATE TABLE mine (x int)",
        "CREATE TEMPORARY TABLE mine (x int)",
        "SELECT * FROM pharmdesk_audit_head()",
        "SELECT * FROM pharmdesk_backup_history(10)",
        "SELECT pharmdesk_sign_in_clear('femi')",
        "SELECT pharmdesk_staff_login('femi', NULL)",
        "SELECT * FROM pharmdesk_audit_append(now()::timestamp, 'femi', "
        """'[{"action": "signInFailed", "outcome": "failed"}]'::jsonb)""",
    ]
    for statement in refused:
        with pytest.raises(errors.InsufficientPrivilege):
            gate.execute(statement)  # type: ignore[arg-type]
    # What it may do: what any desk's sign-in screen does.
    row = gate.execute("SELECT * FROM pharmdesk_sign_in_check('femi')")
    assert row.fetchone() == (None, 0)
    # Its functions take no time: the server's clock decides, whatever the session says.
    gate.execute("SET TimeZone = 'Pacific/Kiritimati'")
    for _ in range(MAX_FAILURES):
        gate.execute("SELECT * FROM pharmdesk_sign_in_failed('femi')")
    locked = gate.execute("SELECT * FROM pharmdesk_sign_in_check('femi')").fetchone()
    assert locked is not None and locked[0] is not None
    lasts = locked[0] - dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert dt.timedelta(minutes=14) < lasts <= LOCKOUT
    assert admin.call("verifyAuditLog", {})["ok"] is True


def test_the_gate_cannot_forge_other_entries_through_its_functions(
    gate: psycopg.Connection, admin: DeskSession
) -> None:
    """The username is only ever the name tried: text that looks like JSON stays text."""
    forged = 'x", "outcome": "success'
    gate.execute("SELECT * FROM pharmdesk_sign_in_failed(%s)", (forged,)).fetchone()
    (entry,) = admin.call("fetchAuditLog", {"user": forged})["entries"]
    assert entry["action"] == "signInFailed" and entry["outcome"] == "failed"
    assert set(entry["detail"]) == {"at"}
    assert admin.call("verifyAuditLog", {})["ok"] is True


def test_a_server_from_before_the_gate_counts_at_the_desk_until_upgraded(
    db_files: DatabaseFiles,
    pg: pg_server.PgServer,
    desks: tuple[Desk, Desk],
    admin: DeskSession,
    login: Callable[[str, str], DeskSession],
    no_sleep: list[float],
) -> None:
    """A database made by an older PharmDesk has no gate: the desk counts in its own
    file as before; the first sign-in upgrades the database, which then has it."""
    name = _database(db_files)
    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": FEMI_PASSWORD},
    )
    with psycopg.connect(
        host=str(pg.sockets), port=pg.port, user=pg_server.SUPERUSER, dbname=name,
        autocommit=True,
    ) as owner:  # fmt: skip
        for function in (  # 0011's kept counts, with their triggers
            "customer_search_count_statement", "customer_search_count_row",
            "customer_condition_count_statement", "customer_condition_count_row",
            "customer_condition_count_archived",
        ):  # fmt: skip
            owner.execute(f"DROP FUNCTION {function}() CASCADE")  # type: ignore[arg-type]
        owner.execute("DROP FUNCTION customer_search_tokens(text)")
        owner.execute("DROP TABLE customer_search_count, customer_condition_count")
        for function in ("check", "failed", "clear"):
            owner.execute(f"DROP FUNCTION pharmdesk_sign_in_{function}(text)")  # type: ignore[arg-type]
        owner.execute("DROP TABLE sign_in_counter")
        owner.execute("UPDATE alembic_version SET version_num = '0009'")
        gate = pg_roles.gate_role(name)
        owner.execute(f'DROP OWNED BY "{gate}"')  # type: ignore[arg-type]
        owner.execute(f'DROP ROLE "{gate}"')  # type: ignore[arg-type]
    desk_a, _desk_b = desks
    error = _refused(lambda: desk_a("femi", WRONG))
    assert (error.code, error.message) == (AUTH_FAILED, WRONG_PASSWORD)
    assert no_sleep == [0.5]
    # The next sign-in at the desk that keeps the admin's key slots upgrades the server
    # (after a verified backup sealed to them), as any upgrade; then the failure counted
    # at the first desk enters the log at that desk's next sign-in.
    login(ADMIN, ADMIN_PASSWORD)
    assert not _failures_of(admin, "femi")
    assert desk_a("femi", FEMI_PASSWORD).own_server_login
    found = _failures_of(admin, "femi")
    assert [e["action"] for e in found] == ["signInFailed"]
    with psycopg.connect(
        host="127.0.0.1", port=pg.port, dbname=name, user=pg_roles.gate_role(name),
        password=pg_signin_sql.gate_password(name), autocommit=True,
    ) as gate:  # fmt: skip
        row = gate.execute("SELECT * FROM pharmdesk_sign_in_check('femi')")
        assert row.fetchone() == (None, 0)
    assert admin.call("verifyAuditLog", {})["ok"] is True


@pytest.mark.usefixtures("femi")
def test_while_someone_holds_every_gate_connection_desks_still_sign_in(
    desks: tuple[Desk, Desk],
    db_files: DatabaseFiles,
    owner: psycopg.Connection,
    gate: psycopg.Connection,
    admin: DeskSession,
    no_sleep: list[float],
) -> None:
    """The gate's connection limit keeps it from taking the server's every connection;
    reaching it must not keep the branch from signing in: the desk counts itself."""
    owner.execute(f'ALTER ROLE "{pg_roles.gate_role(_database(db_files))}" CONNECTION LIMIT 1')  # type: ignore[arg-type]
    desk_a, _desk_b = desks
    assert _refused(lambda: desk_a("femi", WRONG)).code == AUTH_FAILED
    assert no_sleep == [0.5]
    assert desk_a("femi", FEMI_PASSWORD).own_server_login
    assert [e["action"] for e in _failures_of(admin, "femi")] == ["signInFailed"]


def _add_backup_entry(admin: DeskSession, clock: FixedClock) -> None:
    with admin.db.transaction() as tx:
        audit.append(
            tx,
            at=clock.now(),
            user=ADMIN,
            action="backup",
            detail={"file": "pharmdesk-2026-04-18.pdbak", "scheduled": True},
        )
        audit.append(tx, at=clock.now(), user=ADMIN, action="view", detail={"note": "x"})


@pytest.mark.parametrize("role", ["frontdesk", "pharmacist"])
def test_get_backup_status_works_for_every_role(
    role: str, admin: DeskSession, desks: tuple[Desk, Desk], clock: FixedClock
) -> None:
    _add_backup_entry(admin, clock)
    admin.call(
        "addStaff",
        {"username": "kemi", "fullName": "Kemi", "role": role, "password": FEMI_PASSWORD},
    )
    desk = desks[0]("kemi", FEMI_PASSWORD)
    status = desk.call("getBackupStatus", {})
    assert status == admin.call("getBackupStatus", {})
    assert status["lastVerified"]["file"] == "pharmdesk-2026-04-18.pdbak"
    assert status["lastScheduledAttempt"]["scheduled"] is True
    # The function hands out the backup entries' facts, and no other entry.
    with desk.db.transaction() as tx:
        rows = tx.execute(text("SELECT * FROM pharmdesk_backup_history(1000)")).all()
    assert len(rows) == 1 and rows[0].file == "pharmdesk-2026-04-18.pdbak"
    assert "note" not in json.dumps([list(map(str, r)) for r in rows])


def test_the_gate_password_is_the_same_at_every_desk_and_per_database() -> None:
    assert pg_signin_sql.gate_password("lekki") == pg_signin_sql.gate_password("lekki")
    assert pg_signin_sql.gate_password("lekki") != pg_signin_sql.gate_password("ikeja")
    assert pg_roles.gate_role("lekki") == "pd_lekki:signin"
    assert pg_roles.gate_role("lekki") not in {
        pg_roles.group_role("lekki", role) for role in pg_roles.ROLES
    }
