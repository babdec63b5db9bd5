"""A kill at every step of a password change leaves the old or the new password working.

``test_vault_crash.py`` kills an admin's own ``changeMyPassword`` (and the staff
operations) at every file-system step of the keyslot rewrite. This file covers the two
password changes added with the staff screens, with the same kill switch (every call of
the atomic writer in ``pharmdesk.store.files`` is a numbered step, and so is each
database commit; the forked child SIGKILLs itself at step k, for k = 1, 2, ... until the
change completes untouched):

- the forced change at a first sign-in (a front-desk person with a one-time password);
- break-glass: the recovery key gives the admin a new password.

After every kill: exactly one of the two passwords signs in (never neither, never
both), the slots nobody touched (the recovery key, the other staff) still open the
database, the database is healthy, and running the change again completes it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.recovery import recovery_sign_in
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import DatabaseOpenError, open_engine
from pharmdesk.store.vault import Vault
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reliability.checks import check_database
from tests.reliability.test_vault_crash import KillSwitch, _install, _opens, _restore

FEMI = "femi"
ONE_TIME = "one time pass for femi 11"
FEMI_OWN = "femi picks a blue kettle 42"
ADMIN_NEW = "the lagoon is calm at night 2027"
REASON = "Ada, our only admin, forgot her password"
MAX_STEPS = 90

# The child: sign in (unarmed), then run the change with the kill switch armed.
Start = Callable[[DatabaseFiles], tuple[DeskSession, Callable[[], Any]]]


def _run_child(files: DatabaseFiles, kill_at: int, start: Start) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            desk, change = start(files)
            switch = KillSwitch(kill_at)
            _install(switch, desk)
            switch.armed = True
            change()
            switch.armed = False
            desk.close()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


def _first_sign_in_change(files: DatabaseFiles) -> tuple[DeskSession, Callable[[], Any]]:
    desk = sign_in(files, FEMI, ONE_TIME, clock=FixedClock(), kdf=TEST_KDF)
    assert desk.staff.must_change_password
    return desk, lambda: desk.call(
        "changeMyPassword", {"oldPassword": ONE_TIME, "newPassword": FEMI_OWN}
    )


def _recovery_reset(key: str) -> Start:
    def start(files: DatabaseFiles) -> tuple[DeskSession, Callable[[], Any]]:
        recovery = recovery_sign_in(files, key, REASON, clock=FixedClock(), kdf=TEST_KDF)
        desk = recovery._session  # the kill switch watches its database commits
        return desk, lambda: recovery.set_admin_password(ADMIN, ADMIN_NEW)

    return start


def _prepare(admin: DeskSession) -> tuple[bytes, str]:
    """femi (front desk, one-time password) and a known recovery key; then closed."""
    admin.call(
        "addStaff",
        {
            "username": FEMI,
            "fullName": "Femi",
            "role": "frontdesk",
            "password": ONE_TIME,
            "mustChangePassword": True,
        },
    )
    key = admin.key
    recovery = Vault(admin.files.vault, TEST_KDF).replace_recovery(key)
    admin.close()
    return key, recovery


def _key_opens(files: DatabaseFiles, key: bytes) -> bool:
    try:
        open_engine(files.db, key).dispose()
    except DatabaseOpenError:
        return False
    return True


def _live_key(files: DatabaseFiles, recovery_key: str) -> bytes:
    vault = Vault(files.vault, TEST_KDF)
    opened = vault.open_recovery(recovery_key)
    assert opened is not None, "the recovery slot no longer opens"
    working = [k for k in vault.keys(opened) if k is not None and _key_opens(files, k)]
    assert len(working) == 1, "the recovery slot does not hold the working key"
    return working[0]


def _kill_at_every_step(
    pristine: Path,
    tmp_path: Path,
    key: bytes,
    start: Start,
    passwords: tuple[str, str, str],
    untouched: list[tuple[str, str]],
    recovery_key: str,
) -> list[str]:
    """Returns the outcome after each kill ("old" or "new"), the last one a clean run."""
    username, old_password, new_password = passwords
    outcomes: list[str] = []
    for kill_at in range(1, MAX_STEPS + 1):
        work = _restore(pristine, tmp_path / "work")
        status = _run_child(work, kill_at, start)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        if not killed:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        # A recovery-key sign-in changes the database key (revocation): the recovery
        # slot holds the one key that opens the database, as current or pending key.
        live = _live_key(work, recovery_key)
        health = check_database(work, live)
        assert health.ok, health.describe()
        for other, password in untouched:
            assert _opens(work, other, password), f"step {kill_at}: {other} is locked out"
        old = _opens(work, username, old_password)
        new = _opens(work, username, new_password)
        assert old or new, f"step {kill_at}: neither password opens the database"
        assert not (old and new), f"step {kill_at}: both passwords open the database"
        outcomes.append("new" if new else "old")
        if not killed:
            return outcomes
        if old:
            # Whatever the crash left, doing the change again completes it.
            desk, change = start(work)
            try:
                change()
            finally:
                desk.close()
            assert _opens(work, username, new_password)
            assert not _opens(work, username, old_password)
    raise AssertionError(f"the change never completed within {MAX_STEPS} steps")


def test_kill_at_every_step_of_the_first_sign_in_password_change(
    admin: DeskSession, tmp_path: Path
) -> None:
    key, recovery = _prepare(admin)
    outcomes = _kill_at_every_step(
        admin.files.db.parent,
        tmp_path,
        key,
        _first_sign_in_change,
        (FEMI, ONE_TIME, FEMI_OWN),
        [(ADMIN, ADMIN_PASSWORD)],
        recovery,
    )
    assert len(outcomes) > 8, f"only {len(outcomes)} crash points: the switch is not wired in"
    assert outcomes[0] == "old" and outcomes[-1] == "new", outcomes
    # Once the new password works it keeps working at every later crash point.
    assert outcomes == sorted(outcomes, key=lambda o: o == "new"), outcomes


def test_after_a_lost_commit_the_person_is_asked_once_more(
    admin: DeskSession, tmp_path: Path
) -> None:
    """The one window the vault file and the database cannot share: the new slot is
    written, the commit is lost. The new password works; the must-change flag is still
    set, so the person is asked to choose again (never locked out)."""
    _key, _recovery = _prepare(admin)
    pristine = admin.files.db.parent
    for kill_at in range(1, MAX_STEPS + 1):
        work = _restore(pristine, tmp_path / "work")
        status = _run_child(work, kill_at, _first_sign_in_change)
        if not os.WIFSIGNALED(status):
            break
        if _opens(work, FEMI, FEMI_OWN):
            desk = sign_in(work, FEMI, FEMI_OWN, clock=FixedClock(), kdf=TEST_KDF)
            try:
                assert desk.staff.must_change_password  # the commit was the last step
                desk.call(
                    "changeMyPassword",
                    {"oldPassword": FEMI_OWN, "newPassword": "femi settles on this one 9"},
                )
            finally:
                desk.close()
            assert _opens(work, FEMI, "femi settles on this one 9")
            return
    raise AssertionError("no crash point between the key file write and the commit")


def test_kill_at_every_step_of_a_recovery_key_admin_reset(
    admin: DeskSession, tmp_path: Path
) -> None:
    key, recovery = _prepare(admin)
    outcomes = _kill_at_every_step(
        admin.files.db.parent,
        tmp_path,
        key,
        _recovery_reset(recovery),
        (ADMIN, ADMIN_PASSWORD, ADMIN_NEW),
        [(FEMI, ONE_TIME)],
        recovery,
    )
    assert len(outcomes) > 8, f"only {len(outcomes)} crash points: the switch is not wired in"
    assert outcomes[0] == "old" and outcomes[-1] == "new", outcomes
    assert outcomes == sorted(outcomes, key=lambda o: o == "new"), outcomes
