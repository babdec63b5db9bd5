"""Quick unlock, without Qt: the PIN rule, wrap at lock and unwrap with the PIN, three
strikes, every way the PIN ends, the plain key unreachable while locked, and the audit."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import shutil
import types
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.quick_unlock import (
    MAX_PIN_TRIES,
    PIN_CLEARED,
    PIN_EXPIRED,
    PIN_GONE,
    PIN_STALE,
    QuickUnlock,
    check_new_pin,
)
from pharmdesk.controllers.session import DeskSession, create_database
from pharmdesk.errors import AUTH_FAILED, LOCKED_OUT, VALIDATION_ERROR, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.attempts import SignInAttempts
from pharmdesk.store.schema import AuditEntry
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

Login = Callable[..., DeskSession]
PIN = "204719"


def entries(session: DeskSession, *actions: str) -> list[AuditEntry]:
    with session.db.transaction() as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)
            )
        )


def reachable_bytes(*roots: object) -> list[bytes]:
    """Every bytes object reachable from ``roots`` through attributes, containers and
    closures (not through modules or classes, which reach everything)."""
    seen: set[int] = set()
    found: list[bytes] = []
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, bytes | bytearray | memoryview):
            found.append(bytes(obj))
        elif isinstance(obj, type | types.ModuleType | str | int | float):
            continue
        elif isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                with contextlib.suppress(ValueError):  # an empty cell
                    stack.append(cell.cell_contents)
            stack.extend(obj.__defaults__ or ())
        else:
            stack.extend(gc.get_referents(obj))
    return found


@pytest.fixture
def quick(db_files: DatabaseFiles, clock: FixedClock) -> QuickUnlock:
    return QuickUnlock(db_files, clock=clock, kdf=TEST_KDF, pin_kdf=TEST_KDF)


def locked_with_pin(quick: QuickUnlock, session: DeskSession, pin: str = PIN) -> None:
    """What DeskContext.lock does: seal the key under the PIN, then lock the session."""
    quick.started(session)
    quick.set_pin(session, pin, pin)
    assert quick.seal(session) is True
    session.lock()


# -- the PIN rule -------------------------------------------------------------------------------
@pytest.mark.parametrize("pin", ["204719", " 204719 ", "55501234", "120119", "909090123456"])
def test_pins_that_are_accepted(pin: str) -> None:
    assert check_new_pin(pin, pin.strip()) == pin.strip()


@pytest.mark.parametrize(
    ("pin", "repeat", "field", "message"),
    [
        ("", "", "pin", "Type a PIN of at least 6 digits."),
        ("   ", "", "pin", "Type a PIN of at least 6 digits."),
        ("20a719", "20a719", "pin", "A PIN is made of digits only (0 to 9)."),
        ("2047-19", "2047-19", "pin", "A PIN is made of digits only (0 to 9)."),
        ("٢٠٤٧١٩", "٢٠٤٧١٩", "pin", "A PIN is made of digits only (0 to 9)."),
        ("20471", "20471", "pin", "A PIN needs at least 6 digits."),
        ("2047192047192", "2047192047192", "pin", "A PIN has at most 12 digits."),
        ("000000", "000000", "pin", "One digit over and over is the first thing anyone tries."),
        ("77777777", "77777777", "pin", "One digit over and over is the first thing anyone tries."),
        (
            "123456",
            "123456",
            "pin",
            "Counting up or down (like 123456) is the first thing anyone tries.",
        ),
        (
            "987654",
            "987654",
            "pin",
            "Counting up or down (like 123456) is the first thing anyone tries.",
        ),
        (
            "890123",
            "890123",
            "pin",
            "Counting up or down (like 123456) is the first thing anyone tries.",
        ),
        ("204719", "204718", "repeatPin", "The two PINs are different. Type them again."),
        ("204719", "", "repeatPin", "The two PINs are different. Type them again."),
    ],
)
def test_pins_that_are_refused(pin: str, repeat: str, field: str, message: str) -> None:
    with pytest.raises(PharmDeskError) as info:
        check_new_pin(pin, repeat)
    assert (info.value.code, info.value.field, info.value.message) == (
        VALIDATION_ERROR,
        field,
        message,
    )


# -- setting it ---------------------------------------------------------------------------------
def test_only_the_person_signed_in_with_a_password_may_set_it(
    quick: QuickUnlock, admin: DeskSession, frontdesk: DeskSession
) -> None:
    with pytest.raises(PharmDeskError) as info:
        quick.set_pin(admin, PIN, PIN)  # no full sign-in through this desk yet
    assert info.value.code == AUTH_FAILED
    quick.started(admin)
    with pytest.raises(PharmDeskError):
        quick.set_pin(frontdesk, PIN, PIN)  # someone else's session
    with pytest.raises(PharmDeskError):
        quick.set_pin(None, PIN, PIN)
    with pytest.raises(PharmDeskError) as info:
        quick.set_pin(admin, "123456", "123456")
    assert info.value.field == "pin"
    assert not quick.has_pin
    expires = quick.set_pin(admin, PIN, PIN)
    assert expires == dt.datetime(2026, 4, 19, 0, 0, tzinfo=dt.UTC)  # 12 h after sign-in
    assert quick.has_pin and quick.expires == expires
    quick.remove_pin()
    assert not quick.has_pin
    assert quick.seal(admin) is False  # no PIN: the password will be needed
    assert quick.locked_for is None


def test_no_pin_is_set_more_than_12_hours_after_the_password(
    quick: QuickUnlock, admin: DeskSession, clock: FixedClock
) -> None:
    quick.started(admin)
    clock.advance(hours=12)
    with pytest.raises(PharmDeskError) as info:
        quick.set_pin(admin, PIN, PIN)
    assert info.value.field == "pin"
    assert "more than 12 hours" in info.value.message


# -- unlocking ------------------------------------------------------------------------------
def test_the_right_pin_reopens_the_same_persons_session_and_is_audited(
    quick: QuickUnlock, login: Login, clock: FixedClock
) -> None:
    session = login()
    key = session.key
    locked_with_pin(quick, session)
    assert quick.locked_for == ADMIN and quick.locked_name == "Ada Admin"
    assert not quick.has_pin  # the plain PIN is dropped at lock
    clock.advance(minutes=7)
    back = quick.unlock(PIN)
    assert back.staff.username == ADMIN and back.key == key
    assert back.call("fetchCustomers", {})["total"] == 0
    assert quick.locked_for is None
    assert quick.has_pin  # the same PIN seals again at the next lock
    last = entries(back, "signIn", "lock")[-2:]
    assert [(e.action, e.user, json.loads(e.detail)) for e in last] == [
        ("lock", ADMIN, {}),
        ("signIn", ADMIN, {"method": "pin"}),
    ]
    assert last[1].at == dt.datetime(2026, 4, 18, 12, 7)
    # a password sign-in is not marked as one
    assert json.loads(entries(back, "signIn")[0].detail) == {}


def test_every_lock_wraps_with_a_fresh_salt(quick: QuickUnlock, login: Login) -> None:
    session = login()
    locked_with_pin(quick, session)
    first = quick._sealed
    back = quick.unlock(PIN)
    assert quick.seal(back) is True
    back.lock()
    second = quick._sealed
    assert first is not None and second is not None
    assert first.salt != second.salt and first.nonce != second.nonce
    assert first.wrapped != second.wrapped
    assert quick.unlock(PIN).staff.username == ADMIN


@pytest.mark.single_pc("the SQLCipher key in memory")
def test_the_plain_key_is_not_reachable_from_anything_locked(
    quick: QuickUnlock, login: Login
) -> None:
    session = login()
    key = session.key
    db = session.db
    # The walk finds the key while signed in, even down in the engine's connection factory.
    assert key in reachable_bytes(db)
    assert key in reachable_bytes(session)
    locked_with_pin(quick, session)
    assert key not in reachable_bytes(session, quick)
    assert session._key is None
    with pytest.raises(PharmDeskError) as info, session.db.transaction():
        pass
    assert info.value.code == AUTH_FAILED
    del db
    gc.collect()
    assert key not in reachable_bytes(session, quick)
    assert quick.unlock(PIN).key == key


def test_three_wrong_pins_destroy_it_and_are_audited_at_the_next_sign_in(
    quick: QuickUnlock, login: Login, db_files: DatabaseFiles, clock: FixedClock
) -> None:
    locked_with_pin(quick, login())
    messages = []
    for wrong in ("204710", "999999"):
        with pytest.raises(PharmDeskError) as info:
            quick.unlock(wrong)
        assert (info.value.code, info.value.field) == (AUTH_FAILED, "pin")
        messages.append(info.value.message)
        clock.advance(minutes=1)
    assert messages == [
        "Wrong PIN. 2 more tries, then your password will be needed.",
        "Wrong PIN. 1 more try, then your password will be needed.",
    ]
    assert quick.locked_for == ADMIN and quick.tries_left == 1
    with pytest.raises(PharmDeskError) as info:
        quick.unlock("my password")  # not even a PIN: a strike all the same
    assert (info.value.code, info.value.message) == (AUTH_FAILED, PIN_CLEARED)
    assert quick.locked_for is None and quick.tries_left == MAX_PIN_TRIES
    with pytest.raises(PharmDeskError) as info:
        quick.unlock(PIN)  # the right PIN no longer helps
    assert info.value.message == PIN_GONE
    # The password lockout counter is not touched by PINs.
    assert SignInAttempts(db_files.attempts).state(ADMIN, clock.now()).failures == 0
    session = login(ADMIN, ADMIN_PASSWORD)
    failed = entries(session, "signInFailed")
    assert [(e.user, e.outcome, json.loads(e.detail)) for e in failed] == [
        (ADMIN, "failed", {"at": "2026-04-18T12:00:00Z", "method": "pin"}),
        (ADMIN, "failed", {"at": "2026-04-18T12:01:00Z", "method": "pin"}),
        (ADMIN, "failed", {"at": "2026-04-18T12:02:00Z", "method": "pin", "pinCleared": True}),
    ]
    assert failed[-1].id < entries(session, "signIn")[-1].id


def test_an_empty_pin_costs_no_try(quick: QuickUnlock, login: Login) -> None:
    locked_with_pin(quick, login())
    with pytest.raises(PharmDeskError) as info:
        quick.unlock("  ")
    assert (info.value.code, info.value.field) == (VALIDATION_ERROR, "pin")
    assert quick.tries_left == MAX_PIN_TRIES


def test_wrong_pins_are_audited_at_the_pin_unlock_and_the_tries_start_again(
    quick: QuickUnlock, login: Login
) -> None:
    locked_with_pin(quick, login())
    with pytest.raises(PharmDeskError):
        quick.unlock("204710")
    session = quick.unlock(PIN)
    found = entries(session, "signInFailed", "signIn")[-2:]
    assert [(e.action, json.loads(e.detail)) for e in found] == [
        ("signInFailed", {"at": "2026-04-18T12:00:00Z", "method": "pin"}),
        ("signIn", {"method": "pin"}),
    ]
    assert quick.seal(session) is True
    session.lock()
    assert quick.tries_left == MAX_PIN_TRIES
    with pytest.raises(PharmDeskError):
        quick.unlock("204710")
    assert quick.tries_left == MAX_PIN_TRIES - 1  # not the one left over from before


# -- everything that ends it ---------------------------------------------------------------------
def test_another_persons_sign_in_destroys_it(
    quick: QuickUnlock, login: Login, frontdesk: DeskSession
) -> None:
    locked_with_pin(quick, login())
    quick.started(frontdesk)  # Femi signs in with her password on the lock screen
    assert quick.locked_for is None and not quick.has_pin
    with pytest.raises(PharmDeskError) as info:
        quick.unlock(PIN)
    assert info.value.message == PIN_GONE


def test_the_owners_own_password_sign_in_ends_it_too(quick: QuickUnlock, login: Login) -> None:
    locked_with_pin(quick, login())
    quick.started(login())
    assert quick.locked_for is None and not quick.has_pin


def test_sign_out_destroys_it(quick: QuickUnlock, login: Login) -> None:
    session = login()
    quick.started(session)
    quick.set_pin(session, PIN, PIN)
    quick.forget()
    assert not quick.has_pin
    assert quick.seal(session) is False
    locked_with_pin(quick, login())
    quick.forget()
    assert quick.locked_for is None


def test_a_pin_expires_12_hours_after_the_password_sign_in(
    quick: QuickUnlock, login: Login, clock: FixedClock
) -> None:
    locked_with_pin(quick, login())
    clock.advance(hours=11, minutes=59)
    session = quick.unlock(PIN)  # still fine, and unlocking does not extend it
    assert quick.seal(session) is True
    session.lock()
    clock.advance(minutes=1)
    with pytest.raises(PharmDeskError) as info:
        quick.unlock(PIN)
    assert (info.value.code, info.value.message) == (AUTH_FAILED, PIN_EXPIRED)
    assert quick.locked_for is None


def test_a_pin_set_before_expiry_does_not_seal_after_it(
    quick: QuickUnlock, login: Login, clock: FixedClock
) -> None:
    session = login()
    quick.started(session)
    quick.set_pin(session, PIN, PIN)
    clock.advance(hours=12)
    assert quick.seal(session) is False
    assert quick.locked_for is None


def test_a_locked_out_account_stays_locked_out(
    quick: QuickUnlock, login: Login, no_sleep: list[float]
) -> None:
    locked_with_pin(quick, login())
    for _ in range(5):
        with pytest.raises(PharmDeskError):
            login(ADMIN, "someone guessing the password")
    with pytest.raises(PharmDeskError) as info:
        quick.unlock(PIN)
    assert info.value.code == LOCKED_OUT
    assert quick.locked_for == ADMIN and quick.tries_left == MAX_PIN_TRIES


def test_a_disabled_account_cannot_come_back_with_its_pin(
    quick: QuickUnlock, admin: DeskSession, frontdesk: DeskSession
) -> None:
    locked_with_pin(quick, frontdesk)
    admin.call("disableStaff", {"username": "femi"})
    before = len(entries(admin, "signIn"))
    with pytest.raises(PharmDeskError) as info:
        quick.unlock(PIN)
    assert (info.value.code, info.value.message) == (AUTH_FAILED, PIN_STALE)
    assert quick.locked_for is None
    assert len(entries(admin, "signIn")) == before


def test_a_password_reset_while_locked_ends_the_pin(
    quick: QuickUnlock, admin: DeskSession, frontdesk: DeskSession
) -> None:
    locked_with_pin(quick, frontdesk)
    admin.call(
        "resetStaffPassword",
        {"username": "femi", "password": "a one time password 77", "mustChangePassword": True},
    )
    before = len(entries(admin, "signIn"))
    with pytest.raises(PharmDeskError) as info:
        quick.unlock(PIN)
    assert info.value.message == PIN_STALE
    assert quick.locked_for is None
    assert len(entries(admin, "signIn")) == before  # nothing written for the refused unlock


@pytest.mark.single_pc("the PIN wraps the SQLCipher key")
def test_a_database_with_another_key_is_not_opened(
    quick: QuickUnlock, login: Login, db_files: DatabaseFiles, tmp_path: Path
) -> None:
    """As after a key rotation while the screen was locked: the wrapped key is stale."""
    locked_with_pin(quick, login())
    other = DatabaseFiles(tmp_path / "other" / "pharmdesk.db")
    create_database(other, admin="zed", full_name="Zed", password=ADMIN_PASSWORD, kdf=TEST_KDF)
    shutil.copy2(other.db, db_files.db)
    with pytest.raises(PharmDeskError) as info:
        quick.unlock(PIN)
    assert info.value.message == PIN_STALE
    assert quick.locked_for is None


def test_the_pin_is_written_nowhere(
    quick: QuickUnlock, login: Login, db_files: DatabaseFiles
) -> None:
    pin = "86420975"
    locked_with_pin(quick, login(), pin)
    with pytest.raises(PharmDeskError):
        quick.unlock("204710")  # a wrong PIN is counted in a file: not its digits
    for path in db_files.db.parent.iterdir():
        if path.is_file():
            data = path.read_bytes()
            assert pin.encode() not in data and b"204710" not in data, path.name
    assert quick.unlock(pin).staff.username == ADMIN


@pytest.mark.single_pc("the forward-secure seal is single-PC mode's (docs/admin/server.md)")
def test_an_admins_seal_root_is_kept_under_the_pin_only(
    quick: QuickUnlock, admin: DeskSession
) -> None:
    """While locked the audit seal root is wrapped with the key (unreachable in plain);
    the PIN brings it back, so the admin's verify still checks every seal."""
    root = admin.seal
    assert root is not None
    locked_with_pin(quick, admin)
    assert all(root.root not in blob for blob in reachable_bytes(quick, admin))
    back = quick.unlock(PIN)
    try:
        assert back.seal == root
        answer = back.call("verifyAuditLog")
        assert answer["ok"] is True and answer["sealed"] == answer["checked"]
    finally:
        back.close()
