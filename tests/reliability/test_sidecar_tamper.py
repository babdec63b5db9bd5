"""Files beside the database that vanish or go back in time are noticed (``tamper``), and
deleting the sign-in counter file does not buy a guesser five fresh tries (issue 16,
item 4). A wrong current password in changeMyPassword counts as a failed sign-in.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import LOCKED_OUT, VALIDATION_ERROR, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.attempts import MAX_FAILURES, SignInAttempts
from pharmdesk.store.schema import AuditEntry, AuditState
from tests.conftest import ADMIN_PASSWORD

Login = Callable[..., DeskSession]
FEMI_PASSWORD = "femi likes long walks 2026"


def logged(desk: DeskSession, action: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    with desk.db.transaction() as tx:
        rows = tx.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
        return [(r.user, r.entity_id, json.loads(r.detail)) for r in rows]


def wrong(login: Login, username: str = "femi") -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        login(username, "not the password at all 1")
    return info.value


@pytest.fixture
def femi(admin: DeskSession, login: Login) -> str:
    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": FEMI_PASSWORD},
    )
    admin.sign_out()
    return "femi"


# -- the sign-in counter file ---------------------------------------------------------------
def test_deleting_the_counter_file_after_a_lock_out_buys_one_guess_and_is_recorded(
    femi: str, login: Login, db_files: DatabaseFiles
) -> None:
    """Five wrong passwords lock the account; the guesser deletes the counter file. Safe
    choice: the file comes back with every account on its last try (one guess, not
    five, then locked again), and the next sign-in enters a ``tamper`` entry. The five
    failures it held are gone with it; the tamper entry says so, and the guess made
    afterwards is recorded."""
    for _ in range(MAX_FAILURES):
        error = wrong(login)
    assert error.code == LOCKED_OUT
    db_files.attempts.unlink()
    assert wrong(login).code == LOCKED_OUT  # one guess, and locked again
    with pytest.raises(PharmDeskError) as info:
        login("femi", FEMI_PASSWORD)  # even the right password waits for the lock-out
    assert info.value.code == LOCKED_OUT
    admin = login()  # someone else signs in: what happened is entered
    tamper = logged(admin, "tamper")
    assert [(u, d["file"], d["found"]) for u, _e, d in tamper] == [
        ("(pharmdesk)", "signInCounters", "missing")
    ]
    failed = [(u, e) for u, e, _d in logged(admin, "signInFailed")]
    assert ("femi", "femi") in failed
    assert [e for _u, e, _d in logged(admin, "lockedOut")][-1] == "femi"


def test_an_older_copy_of_the_counter_file_is_noticed(
    femi: str, login: Login, db_files: DatabaseFiles
) -> None:
    saved = db_files.attempts.with_name("saved-counters")
    shutil.copy2(db_files.attempts, saved)
    wrong(login)  # the file moves on
    login().sign_out()  # a sign-in notes where it stands
    shutil.copy2(saved, db_files.attempts)  # put back the copy from before the failure
    admin = login()
    ((user, entity, detail),) = logged(admin, "tamper")
    assert (user, entity, detail["file"], detail["found"]) == (
        "(pharmdesk)",
        "signInCounters",
        "signInCounters",
        "olderCopy",
    )


def test_a_database_that_never_had_a_counter_file_is_not_flagged(
    admin: DeskSession, login: Login, db_files: DatabaseFiles
) -> None:
    """Databases from before this version may have none (no failure ever): not tamper."""
    with admin.db.transaction() as tx:
        tx.execute(update(AuditState).values(attempts_seq=0))  # as migration 0005 leaves it
    admin.sign_out()
    db_files.attempts.unlink()
    desk = login()
    assert logged(desk, "tamper") == []
    state = SignInAttempts.beside(db_files).state("femi", FixedClock().now())
    assert state.failures == 0  # no one-try floor either


# -- the checkpoint --------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["missing", "unreadable", "olderCopy"])
def test_a_removed_or_rolled_back_checkpoint_is_recorded_at_the_next_sign_in(
    admin: DeskSession, login: Login, db_files: DatabaseFiles, damage: str
) -> None:
    old = db_files.checkpoint.read_bytes()
    admin.call("fetchCustomers")
    admin.sign_out()  # writes a newer checkpoint, remembered in the database
    if damage == "missing":
        db_files.checkpoint.unlink()
    elif damage == "unreadable":
        db_files.checkpoint.write_text("garbage")
    else:
        db_files.checkpoint.write_bytes(old)
    desk = login()
    ((user, entity, detail),) = logged(desk, "tamper")
    assert (user, entity, detail["found"]) == ("(pharmdesk)", "checkpoint", damage)
    answer = desk.call("verifyAuditLog")
    if damage != "olderCopy":  # an older checkpoint is still in the chain
        assert answer["ok"] is False
        assert answer["reason"] == f"checkpoint {damage}"


# -- changeMyPassword guesses ------------------------------------------------------------------
def test_a_wrong_current_password_counts_as_a_failed_sign_in(femi: str, login: Login) -> None:
    desk = login("femi", FEMI_PASSWORD)
    delays: list[float] = []
    desk.sleep = delays.append
    for n in range(1, MAX_FAILURES):
        with pytest.raises(PharmDeskError) as info:
            desk.call(
                "changeMyPassword",
                {"oldPassword": f"guess number {n} here", "newPassword": "a fine new phrase 2026"},
            )
        assert (info.value.code, info.value.field) == (VALIDATION_ERROR, "oldPassword")
    assert delays == [0.5, 1.0, 2.0, 4.0]  # the sign-in screen's delays
    failed = logged(desk, "signInFailed")
    assert [(u, e) for u, e, _d in failed] == [("femi", "femi")] * (MAX_FAILURES - 1)
    with pytest.raises(PharmDeskError) as info:
        desk.call(
            "changeMyPassword",
            {"oldPassword": "the fifth guess here", "newPassword": "a fine new phrase 2026"},
        )
    assert info.value.code == LOCKED_OUT
    assert not desk.is_open  # the screen locks: a guesser at an open desk goes no further
    with pytest.raises(PharmDeskError) as info:
        login("femi", FEMI_PASSWORD)
    assert info.value.code == LOCKED_OUT
    admin = login("admin", ADMIN_PASSWORD)
    # The lock-out itself, and the sign-in tried while locked out.
    assert [e for _u, e, _d in logged(admin, "lockedOut")] == ["femi", "femi"]
    assert len(logged(admin, "signInFailed")) == MAX_FAILURES


def test_the_right_current_password_clears_the_count(femi: str, login: Login) -> None:
    desk = login("femi", FEMI_PASSWORD)
    desk.sleep = lambda _s: None
    with pytest.raises(PharmDeskError):
        desk.call(
            "changeMyPassword",
            {"oldPassword": "one wrong guess here", "newPassword": "a fine new phrase 2026"},
        )
    desk.call(
        "changeMyPassword", {"oldPassword": FEMI_PASSWORD, "newPassword": "a fine new phrase 2026"}
    )
    state = SignInAttempts.beside(desk.files).state("femi", desk.clock.now())
    assert state.failures == 0
