"""Staff accounts: listStaff, addStaff, disable/enable/unlock, roles, password resets and
changes; the order of the database and keyslot writes; the audit entries they leave."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import (
    AUTH_FAILED,
    DISK_FULL,
    DUPLICATE,
    LOCKED_OUT,
    NOT_FOUND,
    PASSWORD_CHANGE_REQUIRED,
    PERMISSION_DENIED,
    VALIDATION_ERROR,
    PharmDeskError,
)
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import AuditEntry, Staff
from pharmdesk.store.vault import Vault
from tests.conftest import ADMIN_PASSWORD, inspection

Login = Callable[..., DeskSession]
NEW_PASSWORD = "a brand new passphrase for the desk"
OTHER_PASSWORD = "yet another long passphrase here"


def refused(desk: DeskSession, name: str, params: Any = None) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def staff_entries(desk: DeskSession) -> list[AuditEntry]:
    with inspection(desk) as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == "staff").order_by(AuditEntry.id)
            )
        )


def staff_event(desk: DeskSession, event: str) -> AuditEntry:
    """The newest ``staff`` entry of one kind (listStaff writes entries too)."""
    found = [e for e in staff_entries(desk) if json.loads(e.detail)["event"] == event]
    assert found, f"no staff entry for {event}"
    return found[-1]


def all_entries(desk: DeskSession) -> list[AuditEntry]:
    with inspection(desk) as tx:
        return list(tx.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def staff_row(desk: DeskSession, username: str) -> Staff | None:
    with inspection(desk) as tx:
        return tx.scalar(select(Staff).where(Staff.username == username))


def add(desk: DeskSession, username: str, role: str = "frontdesk", **extra: Any) -> None:
    params = {
        "username": username,
        "fullName": username.title(),
        "role": role,
        "password": f"{username} likes long walks 2026",
        **extra,
    }
    assert desk.call("addStaff", params) == {"success": True}


def listed(desk: DeskSession) -> dict[str, dict[str, Any]]:
    return {s["username"]: s for s in desk.call("listStaff")["staff"]}


# -- addStaff / listStaff ------------------------------------------------------------------
def test_add_staff_then_sign_in_and_list(admin: DeskSession, login: Login) -> None:
    assert admin.call(
        "addStaff",
        {
            "username": "  Femi.O ",
            "fullName": "  Femi   Okafor ",
            "role": "pharmacist",
            "password": NEW_PASSWORD,
        },
    ) == {"success": True}
    femi = login("femi.o", NEW_PASSWORD)
    assert femi.staff.role == "pharmacist"
    assert femi.staff.full_name == "Femi Okafor"
    assert femi.staff.must_change_password is False
    staff = admin.call("listStaff")["staff"]
    assert [s["username"] for s in staff] == ["admin", "femi.o"]
    # In branch server mode each person is a PostgreSQL login role (tests/server).
    db_role = staff[1].pop("dbRole", None)
    assert (db_role is None) == (admin.files.server is None)
    if db_role is not None:
        assert db_role.startswith("pd_") and db_role.endswith(".femi.o")
    assert staff[1] == {
        "username": "femi.o",
        "fullName": "Femi Okafor",
        "role": "pharmacist",
        "disabled": False,
        "lockedOut": False,
        "lastSignIn": "2026-04-18T12:00:00Z",
    }
    added = [e for e in staff_entries(admin) if json.loads(e.detail)["event"] == "add"]
    assert len(added) == 1
    assert added[0].entity_type == "staff" and added[0].entity_id == "femi.o"
    assert added[0].user == "admin"
    assert json.loads(added[0].detail) == {
        "event": "add",
        "role": "pharmacist",
        "mustChangePassword": False,
    }


def test_list_staff_order_fields_and_audit(admin: DeskSession, login: Login, clock: Any) -> None:
    for name in ("zainab", "bola", "chidi"):
        add(admin, name)
    staff = admin.call("listStaff")["staff"]
    assert [s["username"] for s in staff] == ["admin", "bola", "chidi", "zainab"]
    fields = {"username", "fullName", "role", "disabled", "lockedOut", "lastSignIn"}
    assert set(staff[0]) == fields | ({"dbRole"} if admin.files.server else set())
    assert staff[1]["lastSignIn"] is None  # never signed in
    clock.advance(minutes=3)
    login("chidi", "chidi likes long walks 2026")
    assert listed(admin)["chidi"]["lastSignIn"] == "2026-04-18T12:03:00Z"
    listing = [e for e in staff_entries(admin) if json.loads(e.detail)["event"] == "list"]
    assert len(listing) == 2
    assert listing[0].entity_id is None
    assert json.loads(listing[0].detail)["shown"] == 4


def test_add_staff_with_must_change_password(admin: DeskSession, login: Login) -> None:
    add(admin, "temi", mustChangePassword=True)
    temi = login("temi", "temi likes long walks 2026")
    assert temi.staff.must_change_password is True
    assert refused(temi, "fetchCustomers").code == PASSWORD_CHANGE_REQUIRED


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"username": "x"}, "username"),
        ({"username": "bad name"}, "username"),
        ({"username": "-dash"}, "username"),
        ({"username": 12}, "username"),
        ({"fullName": "   "}, "fullName"),
        ({"fullName": "x" * 121}, "fullName"),
        ({"role": "owner"}, "role"),
        ({"role": "Admin"}, "role"),
        ({"password": "too short 14ch"}, "password"),
        ({"password": "p" * 1025}, "password"),
        ({"password": "aaaaaaaaaaaaaaaaaaaa"}, "password"),
        ({"password": "password123456789"}, "password"),
        ({"password": "newbie newbie newbie"}, "password"),
        ({"mustChangePassword": "yes"}, "mustChangePassword"),
        ({"mustChangePassword": 1}, "mustChangePassword"),
        ({"pasword": NEW_PASSWORD}, "pasword"),
    ],
)
def test_add_staff_validation(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    base = {"username": "newbie", "fullName": "New Bie", "role": "frontdesk"}
    base["password"] = NEW_PASSWORD
    error = refused(admin, "addStaff", {**base, **params})
    assert error.code == VALIDATION_ERROR
    assert error.field == field
    assert staff_row(admin, "newbie") is None
    assert not Vault(admin.files.vault).has_staff_slot("newbie")


@pytest.mark.parametrize("missing", ["username", "fullName", "role", "password"])
def test_add_staff_required_params(admin: DeskSession, missing: str) -> None:
    params = {"username": "newbie", "fullName": "New Bie", "role": "frontdesk"}
    params["password"] = NEW_PASSWORD
    del params[missing]
    error = refused(admin, "addStaff", params)
    assert (error.code, error.field) == (VALIDATION_ERROR, missing)


def test_add_staff_duplicate_username(admin: DeskSession) -> None:
    add(admin, "femi")
    error = refused(
        admin,
        "addStaff",
        {"username": "FEMI", "fullName": "Other", "role": "admin", "password": NEW_PASSWORD},
    )
    assert (error.code, error.field) == (DUPLICATE, "username")
    assert "femi" in error.message
    assert staff_row(admin, "femi").role == "frontdesk"  # type: ignore[union-attr]
    # Disabled accounts still hold their name.
    admin.call("disableStaff", {"username": "femi"})
    params = {"username": "femi", "fullName": "F", "role": "frontdesk", "password": NEW_PASSWORD}
    assert refused(admin, "addStaff", params).code == DUPLICATE


STAFF_OPS: list[tuple[str, dict[str, Any]]] = [
    ("listStaff", {}),
    (
        "addStaff",
        {"username": "x1", "fullName": "X", "role": "admin", "password": NEW_PASSWORD},
    ),
    ("disableStaff", {"username": "admin"}),
    ("enableStaff", {"username": "admin", "password": NEW_PASSWORD}),
    ("unlockStaff", {"username": "admin"}),
    ("setStaffRole", {"username": "admin", "role": "frontdesk"}),
    ("resetStaffPassword", {"username": "admin", "password": NEW_PASSWORD}),
]


@pytest.mark.parametrize(("name", "params"), STAFF_OPS)
def test_staff_operations_are_for_admins_only(
    frontdesk: DeskSession, pharmacist: DeskSession, name: str, params: dict[str, Any]
) -> None:
    for desk in (frontdesk, pharmacist):
        error = refused(desk, name, params)
        assert error.code == PERMISSION_DENIED
        last = all_entries(desk)[-1]
        assert (last.action, last.outcome, last.user) == ("denied", "denied", desk.staff.username)
        assert json.loads(last.detail) == {"operation": name}
    assert staff_row(frontdesk, "admin").role == "admin"  # type: ignore[union-attr]
    assert staff_row(frontdesk, "x1") is None


def test_passwords_never_reach_the_audit_log(admin: DeskSession, login: Login) -> None:
    add(admin, "femi")
    admin.call("resetStaffPassword", {"username": "femi", "password": NEW_PASSWORD})
    admin.call("disableStaff", {"username": "femi"})
    admin.call("enableStaff", {"username": "femi", "password": OTHER_PASSWORD})
    femi = login("femi", OTHER_PASSWORD)
    femi.call("changeMyPassword", {"oldPassword": OTHER_PASSWORD, "newPassword": NEW_PASSWORD})
    events = [json.loads(e.detail)["event"] for e in staff_entries(admin)]
    assert events == [
        "init",
        "add",
        "resetPassword",
        "disable",
        "rekey",
        "enable",
        "changePassword",
    ]
    text = " ".join(e.detail for e in all_entries(admin))
    for secret in (NEW_PASSWORD, OTHER_PASSWORD, "femi likes long walks 2026", ADMIN_PASSWORD):
        assert secret not in text


# -- disableStaff / enableStaff --------------------------------------------------------------
def test_disable_removes_slot_and_blocks_sign_in(admin: DeskSession, login: Login) -> None:
    add(admin, "femi")
    assert admin.call("disableStaff", {"username": "femi"}) == {"success": True, "rekeyed": True}
    assert not admin.vault.has_staff_slot("femi")
    assert staff_row(admin, "femi").disabled is True  # type: ignore[union-attr]
    assert listed(admin)["femi"]["disabled"] is True
    with pytest.raises(PharmDeskError) as info:
        login("femi", "femi likes long walks 2026")
    assert info.value.code == AUTH_FAILED
    entry = staff_event(admin, "disable")
    assert (entry.entity_id, json.loads(entry.detail)) == ("femi", {"event": "disable"})


def test_disable_refusals(admin: DeskSession) -> None:
    error = refused(admin, "disableStaff", {"username": "admin"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "username")
    assert "your own account" in error.message
    assert refused(admin, "disableStaff", {"username": "nobody"}).code == NOT_FOUND
    assert refused(admin, "disableStaff", {"username": "No Body"}).code == VALIDATION_ERROR
    assert refused(admin, "disableStaff", {}).field == "username"
    add(admin, "femi")
    admin.call("disableStaff", {"username": "femi"})
    error = refused(admin, "disableStaff", {"username": "femi"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "username")
    assert admin.vault.has_staff_slot("admin")


def test_admin_can_disable_another_admin(admin: DeskSession, login: Login) -> None:
    add(admin, "second", role="admin")
    second = login("second", "second likes long walks 2026")
    second.call("disableStaff", {"username": "admin"})
    assert staff_row(second, "admin").disabled is True  # type: ignore[union-attr]
    # Now "second" is the only active admin: they may not demote themself.
    error = refused(second, "setStaffRole", {"username": "second", "role": "pharmacist"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "role")
    assert "only active admin" in error.message
    assert staff_row(second, "second").role == "admin"  # type: ignore[union-attr]


def test_enable_needs_a_new_password(admin: DeskSession, login: Login) -> None:
    add(admin, "femi")
    admin.call("disableStaff", {"username": "femi"})
    error = refused(admin, "enableStaff", {"username": "femi"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "password")
    error = refused(admin, "enableStaff", {"username": "femi", "password": "short"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "password")
    assert staff_row(admin, "femi").disabled is True  # type: ignore[union-attr]
    assert not admin.vault.has_staff_slot("femi")

    params = {"username": "femi", "password": NEW_PASSWORD, "mustChangePassword": True}
    assert admin.call("enableStaff", params) == {"success": True}
    assert listed(admin)["femi"]["disabled"] is False
    with pytest.raises(PharmDeskError) as info:
        login("femi", "femi likes long walks 2026")  # the old password is gone for good
    assert info.value.code == AUTH_FAILED
    femi = login("femi", NEW_PASSWORD)
    assert femi.staff.must_change_password is True
    entry = staff_event(admin, "enable")
    assert json.loads(entry.detail) == {"event": "enable", "mustChangePassword": True}


def test_enable_refusals(admin: DeskSession) -> None:
    add(admin, "femi")
    error = refused(admin, "enableStaff", {"username": "femi", "password": NEW_PASSWORD})
    assert (error.code, error.field) == (VALIDATION_ERROR, "username")
    assert "resetStaffPassword" in error.message
    error = refused(admin, "enableStaff", {"username": "ghost", "password": NEW_PASSWORD})
    assert error.code == NOT_FOUND


# -- unlockStaff ----------------------------------------------------------------------------
def test_unlock_lifts_a_lockout(admin: DeskSession, login: Login) -> None:
    add(admin, "femi")
    for _ in range(5):
        with pytest.raises(PharmDeskError):
            login("femi", "not the right password")
    assert listed(admin)["femi"]["lockedOut"] is True
    with pytest.raises(PharmDeskError) as info:
        login("femi", "femi likes long walks 2026")
    assert info.value.code == LOCKED_OUT
    assert admin.call("unlockStaff", {"username": "femi"}) == {"success": True}
    assert listed(admin)["femi"]["lockedOut"] is False
    assert login("femi", "femi likes long walks 2026").staff.username == "femi"
    unlock = [e for e in staff_entries(admin) if json.loads(e.detail)["event"] == "unlock"]
    assert json.loads(unlock[0].detail) == {"event": "unlock", "wasLockedOut": True}


def test_unlock_unknown_or_bad_username(admin: DeskSession) -> None:
    assert refused(admin, "unlockStaff", {"username": "ghost"}).code == NOT_FOUND
    assert refused(admin, "unlockStaff", {"username": ""}).field == "username"
    # Unlocking someone who is not locked is harmless and still recorded.
    add(admin, "femi")
    admin.call("unlockStaff", {"username": "femi"})
    assert json.loads(staff_entries(admin)[-1].detail) == {
        "event": "unlock",
        "wasLockedOut": False,
    }


# -- setStaffRole ---------------------------------------------------------------------------
def test_set_role(admin: DeskSession, login: Login) -> None:
    add(admin, "femi")
    femi = login("femi", "femi likes long walks 2026")
    assert refused(femi, "getCampaignAudience", {"segment": "highValue", "minSpend": 1}).code == (
        PERMISSION_DENIED
    )
    params = {"username": "femi", "role": "pharmacist"}
    assert admin.call("setStaffRole", params) == {"success": True}
    assert listed(admin)["femi"]["role"] == "pharmacist"
    femi = login("femi", "femi likes long walks 2026")
    femi.call("getCampaignAudience", {"segment": "highValue", "minSpend": 1})
    entry = staff_event(admin, "setRole")
    assert json.loads(entry.detail) == {"event": "setRole", "old": "frontdesk", "new": "pharmacist"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"username": "femi"}, "role"),
        ({"username": "femi", "role": "boss"}, "role"),
        ({"username": "femi", "role": None}, "role"),
        ({"role": "admin"}, "username"),
    ],
)
def test_set_role_validation(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    add(admin, "femi")
    error = refused(admin, "setStaffRole", params)
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert staff_row(admin, "femi").role == "frontdesk"  # type: ignore[union-attr]


def test_last_admin_cannot_be_demoted(admin: DeskSession) -> None:
    error = refused(admin, "setStaffRole", {"username": "admin", "role": "pharmacist"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "role")
    assert staff_row(admin, "admin").role == "admin"  # type: ignore[union-attr]
    # Keeping the role is not a demotion.
    admin.call("setStaffRole", {"username": "admin", "role": "admin"})
    assert refused(admin, "setStaffRole", {"username": "ghost", "role": "admin"}).code == (
        NOT_FOUND
    )


def test_demoting_yourself_takes_effect_at_once(admin: DeskSession) -> None:
    add(admin, "second", role="admin")
    admin.call("setStaffRole", {"username": "admin", "role": "pharmacist"})
    assert admin.staff.role == "pharmacist"
    assert refused(admin, "listStaff").code == PERMISSION_DENIED


# -- resetStaffPassword ---------------------------------------------------------------------
def test_reset_password(admin: DeskSession, login: Login) -> None:
    add(admin, "femi")
    params = {"username": "femi", "password": NEW_PASSWORD, "mustChangePassword": True}
    assert admin.call("resetStaffPassword", params) == {"success": True}
    with pytest.raises(PharmDeskError) as info:
        login("femi", "femi likes long walks 2026")
    assert info.value.code == AUTH_FAILED
    femi = login("femi", NEW_PASSWORD)
    assert femi.staff.must_change_password is True
    assert refused(femi, "getSettings").code == PASSWORD_CHANGE_REQUIRED
    entry = staff_event(admin, "resetPassword")
    assert json.loads(entry.detail) == {"event": "resetPassword", "mustChangePassword": True}
    # Without mustChangePassword the flag is cleared again.
    admin.call("resetStaffPassword", {"username": "femi", "password": OTHER_PASSWORD})
    assert login("femi", OTHER_PASSWORD).staff.must_change_password is False


def test_reset_password_refusals(admin: DeskSession) -> None:
    add(admin, "femi")
    error = refused(admin, "resetStaffPassword", {"username": "femi", "password": "femi"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "password")
    error = refused(
        admin, "resetStaffPassword", {"username": "femi", "password": "femi femi femi femi"}
    )
    assert (error.code, error.field) == (VALIDATION_ERROR, "password")
    error = refused(admin, "resetStaffPassword", {"username": "ghost", "password": NEW_PASSWORD})
    assert error.code == NOT_FOUND
    admin.call("disableStaff", {"username": "femi"})
    error = refused(admin, "resetStaffPassword", {"username": "femi", "password": NEW_PASSWORD})
    assert (error.code, error.field) == (VALIDATION_ERROR, "username")
    assert "enableStaff" in error.message
    assert not admin.vault.has_staff_slot("femi")


# -- changeMyPassword -----------------------------------------------------------------------
def test_change_my_password(frontdesk: DeskSession, login: Login) -> None:
    old = "femi likes long walks 2026"
    params = {"oldPassword": old, "newPassword": NEW_PASSWORD}
    assert frontdesk.call("changeMyPassword", params) == {"success": True}
    with pytest.raises(PharmDeskError):
        login("femi", old)
    assert login("femi", NEW_PASSWORD).staff.username == "femi"
    entry = staff_event(frontdesk, "changePassword")
    assert (entry.user, entry.entity_id) == ("femi", "femi")
    assert json.loads(entry.detail) == {"event": "changePassword"}


def test_change_my_password_clears_the_must_change_flag(admin: DeskSession, login: Login) -> None:
    add(admin, "temi", mustChangePassword=True)
    temi = login("temi", "temi likes long walks 2026")
    temi.call(
        "changeMyPassword",
        {"oldPassword": "temi likes long walks 2026", "newPassword": NEW_PASSWORD},
    )
    assert temi.staff.must_change_password is False
    assert temi.call("getSettings")["settings"]["currency"] == "NGN"
    assert staff_row(admin, "temi").must_change_password is False  # type: ignore[union-attr]
    assert login("temi", NEW_PASSWORD).staff.must_change_password is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"oldPassword": "not my password at all"}, "oldPassword"),
        ({"newPassword": "femi likes long walks 2026"}, "newPassword"),
        ({"newPassword": "short"}, "newPassword"),
        ({"newPassword": "femi femi femi femi"}, "newPassword"),
        ({"newPassword": "passwordpassword"}, "newPassword"),
        ({"oldPassword": None}, "oldPassword"),
        ({"newPassword": 123456789012345}, "newPassword"),
        ({"extra": True}, "extra"),
    ],
)
def test_change_my_password_refusals(
    frontdesk: DeskSession, login: Login, params: dict[str, Any], field: str
) -> None:
    base = {"oldPassword": "femi likes long walks 2026", "newPassword": NEW_PASSWORD}
    error = refused(frontdesk, "changeMyPassword", {**base, **params})
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    # Nothing changed: the old password still opens the account, the new one does not.
    assert login("femi", "femi likes long walks 2026").staff.username == "femi"
    with pytest.raises(PharmDeskError):
        login("femi", NEW_PASSWORD)
    assert not [e for e in staff_entries(frontdesk) if e.user == "femi"]


@pytest.mark.single_pc(
    "key slots of people who are no admins exist on a file only; a server's logins change "
    "in the operation's own transaction (tests/server/test_pg_roles.py)"
)
def test_change_my_password_checks_the_old_one_with_one_derivation(
    frontdesk: DeskSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pharmdesk.store.vault as vault_module

    calls: list[int] = []
    real = vault_module.derive

    def counting(*args: Any) -> bytes:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(vault_module, "derive", counting)
    with pytest.raises(PharmDeskError):
        frontdesk.call(
            "changeMyPassword",
            {"oldPassword": "a wrong old password", "newPassword": NEW_PASSWORD},
        )
    assert len(calls) == 1  # checked by unlocking the slot, no slot written
    frontdesk.call(
        "changeMyPassword",
        {"oldPassword": "femi likes long walks 2026", "newPassword": NEW_PASSWORD},
    )
    assert len(calls) == 3  # unlock the old slot, wrap the new one


# -- order of writes: database and keyslot file ---------------------------------------------
def _failing_write(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_failed_vault_write_leaves_the_database_unchanged(
    admin: DeskSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(all_entries(admin))
    monkeypatch.setattr(admin.vault, "set_staff_password", _failing_write)
    # An admin: the role that keeps a key slot on either store (at a branch server's first
    # desk only admins do).
    params = {"username": "femi", "fullName": "F", "role": "admin", "password": NEW_PASSWORD}
    assert refused(admin, "addStaff", params).code == DISK_FULL
    assert staff_row(admin, "femi") is None
    assert len(all_entries(admin)) == before
    monkeypatch.undo()
    admin.call("addStaff", params)  # a retry completes it
    assert staff_row(admin, "femi") is not None


def test_failed_slot_removal_leaves_the_account_working(
    admin: DeskSession, login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(admin, "femi")
    # The one write that removes the slot (and seals a new key to the others) fails.
    monkeypatch.setattr(admin.vault, "begin_rekey", _failing_write)
    assert refused(admin, "disableStaff", {"username": "femi"}).code == DISK_FULL
    assert staff_row(admin, "femi").disabled is False  # type: ignore[union-attr]
    assert login("femi", "femi likes long walks 2026").staff.username == "femi"


@pytest.mark.single_pc(
    "key slots of people who are no admins exist on a file only; a server's logins change "
    "in the operation's own transaction (tests/server/test_pg_roles.py)"
)
def test_failed_password_change_keeps_the_old_password(
    frontdesk: DeskSession, login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frontdesk.vault, "set_staff_password", _failing_write)
    old = "femi likes long walks 2026"
    error = refused(
        frontdesk, "changeMyPassword", {"oldPassword": old, "newPassword": NEW_PASSWORD}
    )
    assert error.code == DISK_FULL
    assert login("femi", old).staff.username == "femi"
    assert not [e for e in staff_entries(frontdesk) if e.user == "femi"]


@pytest.mark.single_pc(
    "key slots of people who are no admins exist on a file only; a server's logins change "
    "in the operation's own transaction (tests/server/test_pg_roles.py)"
)
def test_crash_windows_err_safe(admin: DeskSession, db_files: DatabaseFiles, login: Login) -> None:
    """Vault written, commit lost: what each operation would leave behind still works."""
    vault = Vault(db_files.vault)
    # addStaff: a slot without its row signs nobody in.
    vault.set_staff_password("ghost", NEW_PASSWORD, admin.key)
    with pytest.raises(PharmDeskError) as info:
        login("ghost", NEW_PASSWORD)
    assert info.value.code == AUTH_FAILED
    # enableStaff: a slot while the row still says disabled signs nobody in.
    add(admin, "femi")
    admin.call("disableStaff", {"username": "femi"})
    vault.set_staff_password("femi", NEW_PASSWORD, admin.key)
    with pytest.raises(PharmDeskError) as info:
        login("femi", NEW_PASSWORD)
    assert info.value.code == AUTH_FAILED
    # ...and running the operation again completes it.
    admin.call("enableStaff", {"username": "femi", "password": OTHER_PASSWORD})
    assert login("femi", OTHER_PASSWORD).staff.username == "femi"
    # disableStaff: the slot is gone while the row says active: already shut out, and
    # disabling again completes it.
    add(admin, "bola")
    vault.remove_staff("bola")
    with pytest.raises(PharmDeskError) as info:
        login("bola", "bola likes long walks 2026")
    assert info.value.code == AUTH_FAILED
    admin.call("disableStaff", {"username": "bola"})
    assert staff_row(admin, "bola").disabled is True  # type: ignore[union-attr]
