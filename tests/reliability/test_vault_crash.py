"""Item 9: a kill at every step of a keyslot rewrite leaves the database openable.

A forked child signs in and runs one staff operation with a *kill switch*: every file
system call of the atomic writer (``pharmdesk.store.files``: temp file, each half of the
data, flush, fsync, close, rename, folder fsync) and the database commit that follows the
vault write is a numbered step, and the child SIGKILLs itself at step k. The parent runs
k = 1, 2, ... until the operation completes untouched, and after every kill checks that
the vault still parses, every untouched slot (other staff, the recovery key) still
opens, and the person's old or new password signs in.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import pharmdesk.store.files as files_module
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.vault import RECOVERY, Vault
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reliability.checks import check_database

FEMI = "femi"
FEMI_OLD = "femi likes long walks 2026"
FEMI_NEW = "femi now prefers swimming 2027"
ADMIN_NEW = "a brand new admin passphrase 77"
BOLA = "bola"
BOLA_PASSWORD = "bola joins the night shift 2026"
MAX_STEPS = 60


class KillSwitch:
    """Counts steps; SIGKILLs this process at the chosen one (or at a named call)."""

    def __init__(self, kill_at: int, kill_on: str | None = None) -> None:
        self.kill_at = kill_at
        self.kill_on = kill_on
        self.steps = 0
        self.armed = False

    def step(self, name: str = "") -> None:
        if not self.armed:
            return
        self.steps += 1
        if self.steps == self.kill_at or (name and name == self.kill_on):
            os.kill(os.getpid(), signal.SIGKILL)


class _Handle:
    """A file object whose writes are two steps (so a torn temp file is a crash point)."""

    def __init__(self, handle: Any, switch: KillSwitch) -> None:
        self._handle = handle
        self._switch = switch

    def write(self, data: bytes) -> int:
        half = len(data) // 2
        self._switch.step()
        self._handle.write(data[:half])
        self._handle.flush()
        self._switch.step()
        return int(self._handle.write(data[half:])) + half

    def flush(self) -> None:
        self._switch.step()
        self._handle.flush()

    def fileno(self) -> int:
        return int(self._handle.fileno())

    def __enter__(self) -> _Handle:
        return self

    def __exit__(self, *exc: object) -> None:
        self._switch.step()
        self._handle.close()


class _Stepping:
    """Stands in for a module (``os``, ``tempfile``) inside ``pharmdesk.store.files``."""

    def __init__(self, module: Any, switch: KillSwitch) -> None:
        self._module = module
        self._switch = switch

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if not callable(value):
            return value
        switch = self._switch

        def stepped(*args: Any, **kwargs: Any) -> Any:
            switch.step(name)
            result = value(*args, **kwargs)
            if name == "fdopen":
                return _Handle(result, switch)
            return result

        return stepped


def _install(switch: KillSwitch, desk: DeskSession) -> None:
    files_module.os = _Stepping(os, switch)  # type: ignore[assignment]
    files_module.tempfile = _Stepping(files_module.tempfile, switch)  # type: ignore[assignment]
    # The last crash point: vault written, database commit not yet made.
    event.listen(desk.db.engine, "commit", lambda _conn: switch.step())


def _run_child(
    files: DatabaseFiles,
    kill_at: int,
    action: Callable[[DeskSession], Any],
    kill_on: str | None = None,
) -> int:
    """Fork; the child signs in, arms the switch, runs the action. Returns its wait status."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            desk = sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
            switch = KillSwitch(kill_at, kill_on)
            _install(switch, desk)
            switch.armed = True
            action(desk)
            switch.armed = False
            desk.close()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


def _opens(files: DatabaseFiles, username: str, password: str) -> bool:
    """A full sign-in (slot, database, active staff row) succeeds."""
    try:
        desk = sign_in(
            files, username, password, clock=FixedClock(), kdf=TEST_KDF, sleep=lambda _s: None
        )
    except PharmDeskError as exc:
        assert exc.code == "AUTH_FAILED", exc.message
        return False
    desk.close()
    return True


def _slot_opens(files: DatabaseFiles, username: str, password: str) -> bool:
    return Vault(files.vault, TEST_KDF).unlock_staff(username, password) is not None


def _prepare(db_files: DatabaseFiles, admin: DeskSession) -> tuple[DatabaseFiles, bytes]:
    """A database with an admin, femi (front desk) and a recovery key; then closed."""
    admin.call(
        "addStaff",
        {"username": FEMI, "fullName": "Femi", "role": "frontdesk", "password": FEMI_OLD},
    )
    key = admin.key
    admin.close()
    return db_files, key


def _restore(pristine: Path, work: Path) -> DatabaseFiles:
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(pristine, work)
    return DatabaseFiles(work / "pharmdesk.db")


OPERATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "changeMyPassword": (
        "changeMyPassword",
        {"oldPassword": ADMIN_PASSWORD, "newPassword": ADMIN_NEW},
    ),
    "addStaff": (
        "addStaff",
        {"username": BOLA, "fullName": "Bola", "role": "pharmacist", "password": BOLA_PASSWORD},
    ),
    "resetStaffPassword": ("resetStaffPassword", {"username": FEMI, "password": FEMI_NEW}),
}
# disableStaff also changes the database key: test_rekey_crash.py kills it at every step.


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_kill_at_every_step_of_a_keyslot_rewrite(
    name: str, db_files: DatabaseFiles, admin: DeskSession, tmp_path: Path
) -> None:
    files, key = _prepare(db_files, admin)
    recovery_slot = next(s for s in Vault(files.vault).slots() if s["kind"] == RECOVERY)
    operation, params = OPERATIONS[name]
    pristine = files.db.parent
    outcomes: list[str] = []
    for kill_at in range(1, MAX_STEPS + 1):
        work = _restore(pristine, tmp_path / "work")
        status = _run_child(work, kill_at, lambda desk: desk.call(operation, params))
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        if not killed:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        # The vault parses and the slots nobody touched still open the database.
        slots = Vault(work.vault).slots()
        assert recovery_slot in slots
        health = check_database(work, key)
        assert health.ok, health.describe()
        admin_old = _opens(work, ADMIN, ADMIN_PASSWORD)
        if name == "changeMyPassword":
            admin_new = _opens(work, ADMIN, ADMIN_NEW)
            assert admin_old or admin_new, f"step {kill_at}: neither password opens"
            outcomes.append("new" if admin_new else "old")
        else:
            assert admin_old, f"step {kill_at}: the admin is locked out"
            assert _opens(work, FEMI, FEMI_OLD) or name != "addStaff"
        if name == "addStaff":
            # Old state (no bola) or new (bola signs in); a slot without its row opens
            # nothing, and running the operation again completes it.
            outcomes.append("new" if _opens(work, BOLA, BOLA_PASSWORD) else "old")
        if name == "resetStaffPassword":
            old, new = _opens(work, FEMI, FEMI_OLD), _opens(work, FEMI, FEMI_NEW)
            assert old or new, f"step {kill_at}: femi can sign in with neither password"
            outcomes.append("new" if new else "old")
        if not killed:
            break
        # Whatever the crash left, running the operation again completes it.
        if outcomes[-1] == "old":
            again = sign_in(work, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
            try:
                again.call(operation, params)
            finally:
                again.close()
    else:
        pytest.fail(f"{name} never completed within {MAX_STEPS} steps")
    assert kill_at > 8, f"only {kill_at} crash points: the kill switch is not wired in"
    assert outcomes[0] == "old" and outcomes[-1] == "new", outcomes


def test_a_key_file_left_by_a_killed_write_is_removed_by_the_next_write(
    db_files: DatabaseFiles, admin: DeskSession
) -> None:
    """A killed write leaves a whole keyslot file behind (here: a slot for a password that
    never took effect); a later write of the key file deletes it, so no stray copy of a
    slot outlives a revocation."""
    files, _key = _prepare(db_files, admin)
    params = {"username": FEMI, "password": FEMI_NEW}
    # Killed at the rename: the temp file is complete, the rename never happens.
    status = _run_child(
        files, MAX_STEPS + 1, lambda desk: desk.call("resetStaffPassword", params), "replace"
    )
    assert os.WIFSIGNALED(status)
    leftovers = list(files.db.parent.glob(f".{files.vault.name}.*.tmp"))
    assert len(leftovers) == 1
    assert FEMI in leftovers[0].read_text(encoding="utf-8")  # a whole slot file
    # A fresh temp file may belong to a write in progress: it is left alone...
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        desk.call("resetStaffPassword", params)
        assert leftovers[0].exists()
        # ...one from a write that died a while ago is removed by the next write.
        old = leftovers[0].stat().st_mtime - 3600
        os.utime(leftovers[0], (old, old))
        desk.call("resetStaffPassword", {"username": FEMI, "password": FEMI_OLD})
    finally:
        desk.close()
    assert not leftovers[0].exists()
    assert _opens(files, FEMI, FEMI_OLD)
