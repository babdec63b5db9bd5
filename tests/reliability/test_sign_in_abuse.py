"""Item 12: guessing passwords does not work, and does not tell who exists.

100 wrong passwords lock the account after the fifth, with growing delays, and every
attempt is in the audit log after the next good sign-in. "Unknown user" and "wrong
password" cost the same Argon2 work (same parameters, once per attempt) and take the same
time. Guesses from two processes at once all count (the counter file is locked).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

import pharmdesk.store.vault as vault_module
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession, create_database, sign_in
from pharmdesk.errors import AUTH_FAILED, LOCKED_OUT, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.attempts import MAX_DELAY_SECONDS, SignInAttempts
from pharmdesk.store.schema import AuditEntry
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

FEMI_PASSWORD = "femi likes long walks 2026"
GUESSES = 100


def _attempt(
    files: DatabaseFiles,
    username: str,
    password: str,
    clock: FixedClock,
    delays: list[float],
    kdf: KdfParams = TEST_KDF,
) -> str:
    try:
        sign_in(files, username, password, clock=clock, sleep=delays.append, kdf=kdf).close()
    except PharmDeskError as exc:
        return exc.code
    return "OK"


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[KdfParams]]:
    """The Argon2 parameters of every key derivation, in order."""
    seen: list[KdfParams] = []
    real = vault_module.derive

    def counting(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
        seen.append(params)
        return real(secret, salt, params)

    monkeypatch.setattr(vault_module, "derive", counting)
    yield seen


def _entries(desk: DeskSession, *actions: str) -> list[AuditEntry]:
    with desk.db.transaction() as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)
            )
        )


def test_a_hundred_wrong_passwords(
    frontdesk: DeskSession,
    db_files: DatabaseFiles,
    clock: FixedClock,
    derivations: list[KdfParams],
) -> None:
    frontdesk.close()
    delays: list[float] = []
    codes = [
        _attempt(db_files, "femi", f"guess number {i} is wrong", clock, delays)
        for i in range(GUESSES)
    ]
    first_lock = codes.index(LOCKED_OUT) + 1
    assert first_lock <= 5, "the account must lock well before the 100th guess"
    assert codes[: first_lock - 1] == [AUTH_FAILED] * (first_lock - 1)
    assert set(codes[first_lock:]) == {LOCKED_OUT}
    # The delay grows with each failure, to a few seconds at most.
    assert delays == sorted(delays) and delays[0] < delays[-1] <= MAX_DELAY_SECONDS
    # Once locked, guesses cost no key derivation (they cannot succeed anyway).
    assert len(derivations) == first_lock
    # The right password is refused too while locked.
    assert _attempt(db_files, "femi", FEMI_PASSWORD, clock, delays) == LOCKED_OUT

    # The next good sign-in by anyone enters every attempt into the audit log.
    admin = sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=clock, kdf=TEST_KDF)
    try:
        logged = _entries(admin, "signInFailed", "lockedOut")
        assert [e.user for e in logged] == ["femi"] * len(logged)
        failed = [e for e in logged if e.action == "signInFailed"]
        locked = [e for e in logged if e.action == "lockedOut"]
        assert len(failed) == first_lock
        # One "locked out" when the lock started, one per refused attempt after it.
        assert len(locked) == 1 + (GUESSES - first_lock) + 1
        assert {e.outcome for e in logged} == {"failed"}
        assert not any("guess number" in e.detail for e in logged)  # no password text
        assert SignInAttempts(db_files.attempts).pending() == []
    finally:
        admin.close()
    # The lock lifts after its time, and the right password works again.
    clock.advance(minutes=15, seconds=1)
    assert _attempt(db_files, "femi", FEMI_PASSWORD, clock, delays) == "OK"


def test_unknown_user_and_wrong_password_do_the_same_work(
    db_files: DatabaseFiles, clock: FixedClock, derivations: list[KdfParams]
) -> None:
    delays: list[float] = []
    assert _attempt(db_files, ADMIN, "not the admin password", clock, delays) == AUTH_FAILED
    assert _attempt(db_files, "nobody", "not the admin password", clock, delays) == AUTH_FAILED
    assert derivations == [TEST_KDF, TEST_KDF]
    assert delays == [0.5, 0.5]


def test_unknown_user_costs_what_a_real_slot_costs_after_the_defaults_change(
    db_files: DatabaseFiles, clock: FixedClock, derivations: list[KdfParams]
) -> None:
    """The slots of this database were made with a cheaper cost than today's default."""
    delays: list[float] = []
    _attempt(db_files, ADMIN, "not the admin password", clock, delays, kdf=DEFAULT_KDF)
    _attempt(db_files, "nobody", "not the admin password", clock, delays, kdf=DEFAULT_KDF)
    assert derivations[0] == derivations[1]


def test_unknown_user_and_wrong_password_take_the_same_time(tmp_path: Path) -> None:
    """Measured with the real Argon2id cost (64 MiB, 3 passes)."""
    files = DatabaseFiles(tmp_path / "real.db")
    clock = FixedClock()
    create_database(
        files, admin=ADMIN, full_name="Ada", password=ADMIN_PASSWORD, clock=clock, kdf=DEFAULT_KDF
    )
    attempts = SignInAttempts(files.attempts)
    wrong: list[float] = []
    unknown: list[float] = []
    for i in range(5):
        for username, times in ((ADMIN, wrong), (f"ghost{i}", unknown)):
            attempts.clear(username)  # stay under the lock-out
            started = time.perf_counter()
            code = _attempt(files, username, "not it at all", clock, [], kdf=DEFAULT_KDF)
            times.append(time.perf_counter() - started)
            assert code == AUTH_FAILED
    # The fastest of each: the least disturbed by whatever else the machine is doing.
    fast, slow = sorted((min(wrong), min(unknown)))
    assert fast > 0.02, "no real key derivation happened"
    assert slow / fast < 1.3, f"wrong password {wrong} vs unknown user {unknown}"


def test_guesses_from_two_processes_all_count(
    frontdesk: DeskSession, db_files: DatabaseFiles
) -> None:
    frontdesk.close()
    per_process = 4
    children = []
    for worker in range(2):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for i in range(per_process):
                    _attempt(db_files, "femi", f"worker {worker} guess {i}", FixedClock(), [])
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    pending = SignInAttempts(db_files.attempts).pending()
    # Every guess left one event (a failure, or a refusal while locked): none lost.
    assert len([e for e in pending if "until" not in e]) == 2 * per_process
    assert SignInAttempts(db_files.attempts).state("femi", FixedClock().now()).locked_until
    assert json.dumps(pending).count("worker") == 0  # no password text in the counter file
