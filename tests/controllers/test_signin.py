"""Sign-in: one answer for a wrong password and an unknown user, growing delays, lockout
and unlock, the audit of failed attempts, disabled accounts, forced password changes,
refusals, and passwords made of awkward characters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

import pharmdesk.store.vault as vault_module
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.registry import REGISTRY
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import (
    AUTH_FAILED,
    LOCKED_OUT,
    PASSWORD_CHANGE_REQUIRED,
    PERMISSION_DENIED,
    PharmDeskError,
)
from pharmdesk.store.schema import AuditEntry
from tests.conftest import ADMIN, ADMIN_PASSWORD, inspection

Login = Callable[..., DeskSession]
FEMI_PASSWORD = "femi likes long walks 2026"


def sign_in_error(login: Login, username: str, password: str) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        login(username, password)
    return info.value


def entries(desk: DeskSession, *actions: str) -> list[AuditEntry]:
    with inspection(desk) as tx:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if actions:
            query = query.where(AuditEntry.action.in_(actions))
        return list(tx.scalars(query))


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts Argon2id key derivations (one per slot opened or written)."""
    calls: list[int] = []
    real = vault_module.derive

    def counting(*args: Any) -> bytes:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(vault_module, "derive", counting)
    return calls


def test_sign_in_opens_a_session_and_is_audited(login: Login) -> None:
    desk = login(ADMIN, ADMIN_PASSWORD)
    assert desk.is_open
    assert (desk.staff.username, desk.staff.role) == ("admin", "admin")
    (entry,) = entries(desk, "signIn")
    assert (entry.user, entry.outcome) == ("admin", "success")
    assert desk.call("listStaff")["staff"][0]["lastSignIn"] == "2026-04-18T12:00:00Z"


def test_sign_in_folds_the_username(login: Login) -> None:
    assert login("  ADMIN ", ADMIN_PASSWORD).staff.username == "admin"


@pytest.mark.single_pc(
    "the desk's own key derivation and counter file; a server counts at once, for every "
    "desk: tests/server/test_pg_lockout.py"
)
def test_wrong_password_and_unknown_user_look_the_same(
    frontdesk: DeskSession, login: Login, derivations: list[int]
) -> None:
    wrong = sign_in_error(login, "femi", "not femi's password at all")
    assert len(derivations) == 1
    unknown = sign_in_error(login, "nobody", "not femi's password at all")
    assert len(derivations) == 2
    assert wrong.code == unknown.code == AUTH_FAILED
    assert wrong.message == unknown.message
    assert wrong.field == unknown.field is None
    assert "femi" not in wrong.message and "nobody" not in unknown.message
    login("femi", FEMI_PASSWORD)
    assert len(derivations) == 3  # a good password: one derivation too


def test_failures_add_growing_delays(
    frontdesk: DeskSession, login: Login, no_sleep: list[float]
) -> None:
    for _ in range(4):
        sign_in_error(login, "femi", "wrong wrong wrong wrong")
    assert no_sleep == [0.5, 1.0, 2.0, 4.0]
    assert max(no_sleep) <= 5  # a few seconds at most
    # A success starts the count again.
    login("femi", FEMI_PASSWORD)
    sign_in_error(login, "femi", "wrong wrong wrong wrong")
    assert no_sleep[-1] == 0.5


@pytest.mark.single_pc(
    "the desk's own key derivation and counter file; a server counts at once, for every "
    "desk: tests/server/test_pg_lockout.py"
)
def test_five_failures_lock_the_account_for_15_minutes(
    frontdesk: DeskSession,
    login: Login,
    clock: FixedClock,
    no_sleep: list[float],
    derivations: list[int],
) -> None:
    codes = [sign_in_error(login, "femi", "wrong wrong wrong wrong").code for _ in range(5)]
    assert codes == [AUTH_FAILED] * 4 + [LOCKED_OUT]
    assert len(derivations) == 5
    # While locked, even the right password is refused, without deriving a key.
    error = sign_in_error(login, "femi", FEMI_PASSWORD)
    assert error.code == LOCKED_OUT
    assert "locked until 13:15" in error.message  # 12:00Z + 15 min, Lagos time
    assert len(derivations) == 5
    clock.advance(minutes=14, seconds=59)
    assert sign_in_error(login, "femi", FEMI_PASSWORD).code == LOCKED_OUT
    clock.advance(seconds=1)
    assert login("femi", FEMI_PASSWORD).staff.username == "femi"
    # The lock only touched femi.
    assert login(ADMIN, ADMIN_PASSWORD).is_open


def test_unknown_usernames_lock_out_the_same_way(login: Login) -> None:
    codes = [sign_in_error(login, "ghost", "wrong wrong wrong wrong").code for _ in range(5)]
    assert codes == [AUTH_FAILED] * 4 + [LOCKED_OUT]


def test_an_admin_unlock_lifts_the_lockout(
    admin: DeskSession, frontdesk: DeskSession, login: Login
) -> None:
    for _ in range(5):
        sign_in_error(login, "femi", "wrong wrong wrong wrong")
    assert sign_in_error(login, "femi", FEMI_PASSWORD).code == LOCKED_OUT
    admin.call("unlockStaff", {"username": "femi"})
    assert login("femi", FEMI_PASSWORD).staff.username == "femi"


@pytest.mark.single_pc(
    "the desk's own key derivation and counter file; a server counts at once, for every "
    "desk: tests/server/test_pg_lockout.py"
)
def test_failed_attempts_are_audited_at_the_next_sign_in_by_anyone(
    admin: DeskSession, frontdesk: DeskSession, login: Login, clock: FixedClock
) -> None:
    sign_in_error(login, "femi", "wrong wrong wrong wrong")
    clock.advance(minutes=1)
    sign_in_error(login, "ghost", "wrong wrong wrong wrong")
    for _ in range(4):
        sign_in_error(login, "femi", "wrong wrong wrong wrong")  # the 5th locks
    sign_in_error(login, "femi", FEMI_PASSWORD)  # refused while locked
    # Nothing is in the database yet: it was locked while these happened.
    assert entries(admin, "signInFailed", "lockedOut") == []

    clock.advance(minutes=2)
    ngozi_password = "ngozi likes long walks 2026"
    admin.call(
        "addStaff",
        {
            "username": "ngozi",
            "fullName": "Ngozi",
            "role": "pharmacist",
            "password": ngozi_password,
        },
    )
    ngozi = login("ngozi", ngozi_password)
    failed = entries(ngozi, "signInFailed", "lockedOut")
    assert [(e.action, e.user) for e in failed] == [
        ("signInFailed", "femi"),
        ("signInFailed", "ghost"),
        ("signInFailed", "femi"),
        ("signInFailed", "femi"),
        ("signInFailed", "femi"),
        ("signInFailed", "femi"),
        ("lockedOut", "femi"),
        ("lockedOut", "femi"),
    ]
    assert {(e.outcome, e.entity_type) for e in failed} == {("failed", "staff")}
    assert json.loads(failed[0].detail) == {"at": "2026-04-18T12:00:00Z"}
    assert json.loads(failed[6].detail) == {
        "at": "2026-04-18T12:01:00Z",
        "until": "2026-04-18T12:16:00Z",
    }
    # Entered once, before the sign-in that found them, and not again.
    sign_in = entries(ngozi, "signIn")[-1]
    assert failed[-1].id < sign_in.id and sign_in.user == "ngozi"
    login(ADMIN, ADMIN_PASSWORD)
    assert len(entries(ngozi, "signInFailed", "lockedOut")) == 8
    # The admin can find them in the log.
    found = admin.call("fetchAuditLog", {"action": "signInFailed", "user": "ghost"})["entries"]
    assert [e["outcome"] for e in found] == ["failed"]


def test_a_disabled_person_cannot_sign_in(
    admin: DeskSession, frontdesk: DeskSession, login: Login
) -> None:
    admin.call("disableStaff", {"username": "femi"})
    error = sign_in_error(login, "femi", FEMI_PASSWORD)
    assert error.code == AUTH_FAILED
    assert error.message == sign_in_error(login, "nobody", FEMI_PASSWORD).message


def test_password_change_required_for_every_operation_but_one(
    admin: DeskSession, login: Login
) -> None:
    admin.call(
        "addStaff",
        {
            "username": "temi",
            "fullName": "Temi",
            "role": "admin",
            "password": "a one-time password from the admin",
            "mustChangePassword": True,
        },
    )
    temi = login("temi", "a one-time password from the admin")
    others = sorted(name for name in REGISTRY if name != "changeMyPassword")
    assert len(others) >= 20
    before = len(entries(admin))
    for name in others:
        with pytest.raises(PharmDeskError) as info:
            temi.call(name, {})
        assert info.value.code == PASSWORD_CHANGE_REQUIRED, name
        assert "changeMyPassword" in info.value.message
    assert len(entries(admin)) == before  # refused before anything ran
    temi.call(
        "changeMyPassword",
        {
            "oldPassword": "a one-time password from the admin",
            "newPassword": "my own secret phrase",
        },
    )
    assert temi.call("listStaff")["staff"]
    assert login("temi", "my own secret phrase").staff.must_change_password is False


def test_permission_denied_is_audited(frontdesk: DeskSession, pharmacist: DeskSession) -> None:
    cases = [
        (frontdesk, "listStaff"),
        (frontdesk, "getCampaignAudience"),
        (pharmacist, "updateSettings"),
        (pharmacist, "archiveCustomer"),
    ]
    for desk, name in cases:
        with pytest.raises(PharmDeskError) as info:
            desk.call(name, {})
        assert info.value.code == PERMISSION_DENIED
        assert desk.staff.role in info.value.message
    denied = entries(frontdesk, "denied")
    assert [(e.user, json.loads(e.detail)["operation"]) for e in denied] == [
        ("femi", "listStaff"),
        ("femi", "getCampaignAudience"),
        ("ngozi", "updateSettings"),
        ("ngozi", "archiveCustomer"),
    ]
    assert {e.outcome for e in denied} == {"denied"}


AWKWARD = [
    "she said \"hello\" 'twice' ok",
    "drop; table; staff; -- nope",
    "back\\slash\\path\\C:\\temp\\x",
    "   spaces   at both ends   ",
    "pill 💊 rocket 🚀 smile 🙂 x",
    "ẞtraße Ñandú ọ̀rẹ́ Ẹ̀kọ́ 2026",
]


@pytest.mark.parametrize("password", AWKWARD)
def test_awkward_passwords_work_everywhere(admin: DeskSession, login: Login, password: str) -> None:
    admin.call(
        "addStaff",
        {"username": "kemi", "fullName": "Kemi", "role": "frontdesk", "password": password},
    )
    kemi = login("kemi", password)
    # Spaces are part of the password, not trimmed away.
    if password != password.strip():
        assert sign_in_error(login, "kemi", password.strip()).code == AUTH_FAILED
    changed = password[::-1] + " and more"
    kemi.call("changeMyPassword", {"oldPassword": password, "newPassword": changed})
    assert sign_in_error(login, "kemi", password).code == AUTH_FAILED
    assert login("kemi", changed).staff.username == "kemi"
    admin.call("resetStaffPassword", {"username": "kemi", "password": password})
    assert login("kemi", password).is_open


def test_passwords_are_compared_after_nfkc(admin: DeskSession, login: Login) -> None:
    # Full-width letters and a ligature normalise to plain ASCII under NFKC.
    admin.call(
        "addStaff",
        {
            "username": "kemi",
            "fullName": "Kemi",
            "role": "frontdesk",
            "password": "ｆｕｌｌ ｗｉｄｔｈ ﬁne words",
        },
    )
    assert login("kemi", "full width fine words").staff.username == "kemi"
