"""Signing in at a desk that joined the branch server with its URL only: each person
connects as their own PostgreSQL login, and the server enforces their role."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FunctionType, ModuleType

import psycopg
import pytest
from sqlalchemy import text

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.quick_unlock import QuickUnlock
from pharmdesk.controllers.session import WRONG_PASSWORD, DeskSession, sign_in
from pharmdesk.errors import (
    AUTH_FAILED,
    LOCKED_OUT,
    PERMISSION_DENIED,
    VALIDATION_ERROR,
    PharmDeskError,
)
from pharmdesk.paths import DatabaseFiles, server_files
from pharmdesk.store import pg_roles
from tests import pg_server
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

FEMI_PASSWORD = "femi likes long walks 2026"
Desk = Callable[..., DeskSession]


@pytest.fixture
def store() -> str:
    return "postgresql"


@pytest.fixture
def new_desk(db_files: DatabaseFiles, tmp_path: Path) -> DatabaseFiles:
    """Another PC of the branch, joined with the server's URL only: no key slots."""
    assert db_files.server is not None
    files = server_files(db_files.server, base=tmp_path / "second-desk")
    assert not files.vault.exists()
    return files


@pytest.fixture
def at_desk(new_desk: DatabaseFiles, clock: FixedClock, no_sleep: list[float]) -> Iterator[Desk]:
    opened: list[DeskSession] = []

    def _sign_in(username: str, password: str) -> DeskSession:
        desk = sign_in(
            new_desk, username, password, clock=clock, sleep=no_sleep.append, kdf=TEST_KDF
        )
        opened.append(desk)
        return desk

    yield _sign_in
    for desk in opened:
        desk.close()


@pytest.fixture
def femi(admin: DeskSession) -> None:
    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": FEMI_PASSWORD},
    )


def _reaches(root: object, secret: str) -> bool:
    """Whether the secret (text or bytes) is reachable from ``root`` through attributes
    and containers (modules, classes and functions aside)."""
    wanted = (secret, secret.encode())
    seen: set[int] = set()
    todo: list[object] = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, type | ModuleType | FunctionType):
            continue
        seen.add(id(obj))
        if isinstance(obj, str | bytes | bytearray):
            if any(isinstance(obj, type(w)) and w in obj for w in wanted):  # type: ignore[operator]
                return True
            continue
        if isinstance(obj, dict):
            todo += [*obj.keys(), *obj.values()]
        elif isinstance(obj, list | tuple | set | frozenset):
            todo += list(obj)
        if hasattr(obj, "__dict__"):
            todo += list(vars(obj).values())
    return False


def _refused(call: Callable[[], object]) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        call()
    return info.value


def _database(files: DatabaseFiles) -> str:
    assert files.server is not None
    return files.server.split("?")[0].rsplit("/", 1)[-1]


@pytest.mark.usefixtures("femi")
def test_a_person_signs_in_as_their_own_login_and_the_server_enforces_the_role(
    at_desk: Desk, new_desk: DatabaseFiles, admin: DeskSession
) -> None:
    desk = at_desk("femi", FEMI_PASSWORD)
    assert desk.own_server_login and desk.staff.role == "frontdesk"
    added = desk.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031234501"})
    assert desk.call("fetchCustomers", {})["total"] == 1 and added["success"]
    with desk.db.transaction() as tx:
        who = tx.execute(text("SELECT session_user")).scalar_one()
    assert who == pg_roles.login_role(_database(new_desk), "femi")
    # PharmDesk refuses first, with a clear answer; the server refuses too.
    assert _refused(lambda: desk.call("fetchAuditLog", {})).code == PERMISSION_DENIED
    with pytest.raises(PharmDeskError), desk.db.transaction() as tx:
        tx.execute(text("SELECT count(*) FROM audit_entry"))
    with pytest.raises(PharmDeskError), desk.db.transaction() as tx:
        tx.execute(text("UPDATE staff SET role = 'admin' WHERE username = 'femi'"))
    # Every entry names the person the server let in.
    log = admin.call("fetchAuditLog", {"user": "femi"})["entries"]
    assert {e["action"] for e in log} >= {"signIn", "create", "list", "denied"}
    assert admin.call("verifyAuditLog", {})["ok"] is True
    assert not new_desk.vault.exists()  # nothing to keep at this desk
    listed = {p["username"]: p for p in admin.call("listStaff", {})["staff"]}
    assert listed["femi"]["lastSignIn"] is not None


def test_at_the_first_desk_only_admins_keep_key_slots(
    admin: DeskSession, db_files: DatabaseFiles, login: Desk
) -> None:
    """The desk that ran init keeps its admins' key slots (backups, the recovery key);
    everyone else signs in there as their own login too, so the server's GRANTs hold at
    that desk as well. A slot left for someone who is no admin goes at their sign-in."""
    assert db_files.vault.exists() and not admin.own_server_login
    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": FEMI_PASSWORD},
    )
    assert not admin.vault.has_staff_slot("femi")
    femi = login("femi", FEMI_PASSWORD)
    assert femi.own_server_login
    with femi.db.transaction() as tx:
        who = tx.execute(text("SELECT session_user")).scalar_one()
    assert who == pg_roles.login_role(_database(db_files), "femi")
    with pytest.raises(PharmDeskError), femi.db.transaction() as tx:
        tx.execute(text("SELECT count(*) FROM audit_entry"))
    femi.close()

    # An admin made here has a slot; demoted, it goes, and they sign in as their login.
    admin.call(
        "addStaff",
        {"username": "bola", "fullName": "Bola", "role": "admin", "password": FEMI_PASSWORD},
    )
    assert admin.vault.has_staff_slot("bola")
    admin.call("setStaffRole", {"username": "bola", "role": "pharmacist"})
    assert not admin.vault.has_staff_slot("bola")
    assert login("bola", FEMI_PASSWORD).own_server_login

    # A slot an older PharmDesk made for a front-desk person: removed at their sign-in.
    admin.vault.set_staff_password("femi", FEMI_PASSWORD, admin.key)
    again = login("femi", FEMI_PASSWORD)
    assert again.own_server_login and not admin.vault.has_staff_slot("femi")
    assert again.call("fetchCustomers", {})["total"] == 0


@pytest.mark.usefixtures("femi")
def test_wrong_password_unknown_user_and_disabled_look_the_same(
    at_desk: Desk, admin: DeskSession
) -> None:
    for username, password in (("femi", "not femi's password 123"), ("nobody", FEMI_PASSWORD)):
        error = _refused(lambda u=username, p=password: at_desk(u, p))
        assert (error.code, error.message) == (AUTH_FAILED, WRONG_PASSWORD)
    admin.call("disableStaff", {"username": "femi"})
    error = _refused(lambda: at_desk("femi", FEMI_PASSWORD))
    assert (error.code, error.message) == (AUTH_FAILED, WRONG_PASSWORD)


@pytest.mark.usefixtures("femi")
def test_failures_lock_out_and_are_audited_at_the_next_sign_in(
    at_desk: Desk, admin: DeskSession, no_sleep: list[float]
) -> None:
    for _ in range(4):
        assert _refused(lambda: at_desk("femi", "a wrong password 12345")).code == AUTH_FAILED
    assert _refused(lambda: at_desk("femi", "a wrong password 12345")).code == LOCKED_OUT
    # Locked out at this desk: not even the right password gets in now.
    assert _refused(lambda: at_desk("femi", FEMI_PASSWORD)).code == LOCKED_OUT
    assert len(no_sleep) == 5 and no_sleep == sorted(no_sleep)
    at_desk(ADMIN, ADMIN_PASSWORD)  # the next sign-in here enters them
    failed = admin.call("fetchAuditLog", {"user": "femi"})["entries"]
    assert [e["action"] for e in failed].count("signInFailed") == 5
    assert [e["action"] for e in failed].count("lockedOut") >= 1


@pytest.mark.usefixtures("femi")
def test_change_my_password_on_the_server(
    at_desk: Desk, pg: pg_server.PgServer, new_desk: DatabaseFiles
) -> None:
    desk = at_desk("femi", FEMI_PASSWORD)
    wrong = _refused(
        lambda: desk.call(
            "changeMyPassword",
            {"oldPassword": "not the right one 123", "newPassword": "a new phrase for femi 9"},
        )
    )
    assert (wrong.code, wrong.field) == (VALIDATION_ERROR, "oldPassword")
    new = "a new phrase for femi 9"
    desk.call("changeMyPassword", {"oldPassword": FEMI_PASSWORD, "newPassword": new})
    assert desk.call("fetchCustomers", {})["total"] == 0  # the session carries on
    role = pg_roles.login_role(_database(new_desk), "femi")
    psycopg.connect(
        host="127.0.0.1", port=pg.port, dbname=_database(new_desk), user=role, password=new
    ).close()
    assert _refused(lambda: at_desk("femi", FEMI_PASSWORD)).code == AUTH_FAILED
    assert at_desk("femi", new).is_open


def test_an_admin_at_a_desk_without_slots_manages_logins_without_writing_slots(
    at_desk: Desk, new_desk: DatabaseFiles
) -> None:
    boss = at_desk(ADMIN, ADMIN_PASSWORD)
    # No tamper alarms about files this desk never had; its own checkpoint is there.
    checked = boss.call("verifyAuditLog", {})
    assert checked["ok"] is True, checked
    actions = {e["action"] for e in boss.call("fetchAuditLog", {})["entries"]}
    assert "tamper" not in actions
    boss.call(
        "addStaff",
        {"username": "kemi", "fullName": "Kemi", "role": "pharmacist", "password": FEMI_PASSWORD},
    )
    assert at_desk("kemi", FEMI_PASSWORD).staff.role == "pharmacist"
    assert not new_desk.vault.exists()
    refused = _refused(
        lambda: boss.call("replaceRecoveryKey", {"reason": "the paper was read at the desk"})
    )
    assert refused.code == VALIDATION_ERROR


@pytest.mark.usefixtures("femi")
def test_locking_drops_the_login_and_a_pin_brings_it_back(
    at_desk: Desk, new_desk: DatabaseFiles, clock: FixedClock
) -> None:
    desk = at_desk("femi", FEMI_PASSWORD)
    quick = QuickUnlock(new_desk, clock=clock, kdf=TEST_KDF, pin_kdf=TEST_KDF)
    quick.started(desk)
    quick.set_pin(desk, "204719", "204719")
    assert quick.seal(desk) is True
    desk.lock()
    assert not desk.is_open
    assert not _reaches(desk, FEMI_PASSWORD), "a locked session still holds the password"
    back = quick.unlock("204719")
    assert back.own_server_login and back.call("fetchCustomers", {})["total"] == 0
    back.close()


def test_every_operation_works_for_an_admin_signed_in_as_their_own_login(
    at_desk: Desk, clock: FixedClock
) -> None:
    """The GRANTs and server functions give an admin's login all that API.md gives the
    role: the command-line contract's working day, in one own-login session."""
    from tests.cli.test_every_operation import SCRIPT

    boss = at_desk(ADMIN, ADMIN_PASSWORD)
    failures = []
    for name, params in SCRIPT:
        try:
            boss.call(name, params)
        except PharmDeskError as exc:
            failures.append((name, exc.code, exc.message[:120]))
    # No recovery key on a server (people sign in with their own logins).
    assert failures == [("replaceRecoveryKey", VALIDATION_ERROR, failures[0][2])]


def test_a_frontdesk_login_runs_the_frontdesk_operations(at_desk: Desk, admin: DeskSession) -> None:
    """Every operation frontdesk may use works on their own login: no GRANT is missing
    (a server refusal would be a DATABASE_ERROR, not PharmDesk's PERMISSION_DENIED)."""
    from pharmdesk.controllers.registry import allowed
    from pharmdesk.errors import DATABASE_ERROR
    from tests.cli.test_every_operation import SCRIPT

    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": FEMI_PASSWORD},
    )
    for name, params in SCRIPT:  # the admin's lines (plans, staff) make the data to use
        if not allowed(name, "frontdesk") and name != "replaceRecoveryKey":
            if name in ("disableStaff", "eraseCustomer", "archiveCustomer", "changeMyPassword"):
                continue
            with contextlib.suppress(PharmDeskError):
                admin.call(name, params)
    desk = at_desk("femi", FEMI_PASSWORD)
    refused_by_server = []
    succeeded = []
    pending = ("changeMyPassword",)
    for name, params in SCRIPT:
        if not allowed(name, "frontdesk") or name in pending:
            continue
        try:
            desk.call(name, params)
            succeeded.append(name)
        except PharmDeskError as exc:
            if exc.code == DATABASE_ERROR:
                refused_by_server.append(name)
    assert refused_by_server == []
    assert {"addProviderCustomer", "addCustomerPlan", "recordOrder", "setConsent"} <= set(succeeded)
