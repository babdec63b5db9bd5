"""Revocation rekeys the database, crash-safely, and a copied key file opens nothing.

``disableStaff`` seals a new database key to every remaining slot, re-encrypts the
database (``PRAGMA rekey``) and makes the new key current. A forked child runs it with the
kill switch of ``test_vault_crash`` (every file-system call of the atomic vault writer,
the database commit, each step of the rekey) and SIGKILLs itself at step k, for
k = 1, 2, ... until the operation completes. After every kill:
- exactly one key opens the database and every active slot (admin, bola, the recovery
  key) holds it, as its current key or as the pending one;
- after the next sign-in (which finishes an interrupted rekey), every active slot's
  current key opens the database, and no journal is left;
- once the disable took effect, femi's copy of the key file from before, with his own
  password, no longer opens the live database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import pharmdesk.controllers.revocation as revocation_module
import pharmdesk.store.rekey as rekey_module
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import DatabaseOpenError, open_engine
from pharmdesk.store.schema import AuditEntry
from pharmdesk.store.vault import RECOVERY, STAFF, Vault
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reliability.checks import REPO, check_database, pharmdesk_env
from tests.reliability.test_vault_crash import KillSwitch, _install, _opens, _restore

FEMI = "femi"
FEMI_PASSWORD = "femi likes long walks 2026"
BOLA = "bola"
BOLA_PASSWORD = "bola joins the night shift 2026"
MAX_STEPS = 80


def _opens_with(files: DatabaseFiles, key: bytes | None) -> bool:
    if key is None:
        return False
    try:
        open_engine(files.db, key).dispose()
    except DatabaseOpenError:
        return False
    return True


def _held(files: DatabaseFiles, recovery_key: str) -> dict[str, tuple[bytes | None, ...]]:
    """The (current, next) keys each active slot holds, opened with its own secret."""
    vault = Vault(files.vault, TEST_KDF)
    held: dict[str, tuple[bytes | None, ...]] = {}
    for name, password in ((ADMIN, ADMIN_PASSWORD), (BOLA, BOLA_PASSWORD)):
        opened = vault.open_staff(name, password)
        assert opened is not None, f"{name}'s slot no longer opens with their password"
        held[name] = vault.keys(opened)
    opened = vault.open_recovery(recovery_key)
    assert opened is not None, "the recovery slot no longer opens"
    held[RECOVERY] = vault.keys(opened)
    return held


def _femi_copy_opens(files: DatabaseFiles, copied_vault: Path) -> bool:
    """The attack: femi's key file, copied before he was disabled, with his password."""
    key = Vault(copied_vault, TEST_KDF).unlock_staff(FEMI, FEMI_PASSWORD)
    assert key is not None
    return _opens_with(files, key)


@pytest.fixture
def prepared(db_files: DatabaseFiles, admin: DeskSession, tmp_path: Path) -> dict[str, Any]:
    """admin, femi (front desk, to be disabled), bola (pharmacist), a known recovery key;
    femi's copy of the key file taken now. Closed, so the tests can copy the folder."""
    for name, role, password in (
        (FEMI, "frontdesk", FEMI_PASSWORD),
        (BOLA, "pharmacist", BOLA_PASSWORD),
    ):
        admin.call(
            "addStaff",
            {"username": name, "fullName": name.title(), "role": role, "password": password},
        )
    recovery_key = Vault(db_files.vault, TEST_KDF).replace_recovery(admin.key)
    admin.close()
    copied = tmp_path / "femi-copy.vault"
    shutil.copy2(db_files.vault, copied)
    return {"files": db_files, "recovery": recovery_key, "copied": copied}


def _child(files: DatabaseFiles, kill_at: int, mid_rekey: bool = False) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            desk = sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
            switch = KillSwitch(kill_at)
            _install(switch, desk)
            real = rekey_module.rekey_database

            def stepping(db: Any, key: bytes, **kwargs: Any) -> bool:
                after = kwargs.pop("after_rekey")

                def progress(done: int, total: int) -> None:
                    if mid_rekey and 0 < done < total:
                        os.kill(os.getpid(), signal.SIGKILL)  # part of the pages re-encrypted
                    switch.step()

                def after_rekey() -> None:
                    switch.step()
                    after()
                    switch.step()

                switch.step()
                return real(
                    db,
                    key,
                    after_rekey=after_rekey,
                    progress=progress,
                    **{k: v for k, v in kwargs.items() if k != "progress"},
                )

            revocation_module.rekey_database = stepping  # type: ignore[assignment]
            switch.armed = True
            answer = desk.call("disableStaff", {"username": FEMI})
            switch.armed = False
            code = 0 if answer["rekeyed"] else 2
            desk.close()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


def _check_after_kill(work: DatabaseFiles, recovery: str, copied: Path) -> str:
    """The invariants of a killed rekey; returns "old" or "new" (did the disable happen)."""
    held = _held(work, recovery)
    candidates = {key for pair in held.values() for key in pair if key is not None}
    live = [key for key in candidates if _opens_with(work, key)]
    assert len(live) == 1, f"{len(live)} of the slots' keys open the database"
    for name, pair in held.items():
        assert live[0] in pair, f"{name}'s slot does not hold the working key"
    femi_slot = Vault(work.vault).has_staff_slot(FEMI)
    # The next sign-in finishes whatever was interrupted.
    desk = sign_in(work, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    desk.close()
    vault = Vault(work.vault, TEST_KDF)
    assert vault.pending_rekey() is None
    assert not any("next" in slot for slot in vault.slots())
    held = _held(work, recovery)
    keys = {pair[0] for pair in held.values()}
    assert len(keys) == 1 and _opens_with(work, next(iter(keys))), "slots disagree"
    health = check_database(work, next(iter(keys)))
    assert health.ok, health.describe()
    assert _opens(work, BOLA, BOLA_PASSWORD)
    if femi_slot:
        assert _femi_copy_opens(work, copied)  # not revoked yet: nothing changed
        return "old"
    assert not _femi_copy_opens(work, copied), "femi's copied key file still opens the database"
    assert not _opens(work, FEMI, FEMI_PASSWORD)
    return "new"


def test_kill_at_every_step_of_a_disable_leaves_one_key_held_by_every_slot(
    prepared: dict[str, Any], tmp_path: Path
) -> None:
    files, recovery, copied = prepared["files"], prepared["recovery"], prepared["copied"]
    outcomes: list[str] = []
    for kill_at in range(1, MAX_STEPS + 1):
        work = _restore(files.db.parent, tmp_path / "work")
        status = _child(work, kill_at)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        if not killed:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        outcomes.append(_check_after_kill(work, recovery, copied))
        if not killed:
            break
    else:
        pytest.fail(f"disableStaff never completed within {MAX_STEPS} steps")
    assert kill_at > 15, f"only {kill_at} crash points: the kill switch is not wired in"
    assert outcomes[0] == "old" and outcomes[-1] == "new", outcomes
    assert "old" not in outcomes[outcomes.index("new") :], outcomes


def test_a_kill_in_the_middle_of_the_re_encryption_rolls_back_to_one_key(
    prepared: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed with part of the pages re-encrypted: the journal brings back the old key,
    every slot still holds it, and the next sign-in does the rekey."""
    files, recovery, copied = prepared["files"], prepared["recovery"], prepared["copied"]
    key = Vault(files.vault, TEST_KDF).unlock_staff(ADMIN, ADMIN_PASSWORD)
    assert key is not None
    engine = open_engine(files.db, key)
    with engine.begin() as conn:  # some 3,000 pages, so the re-encryption takes a while
        conn.exec_driver_sql(
            "CREATE TABLE ballast AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
            "SELECT i + 1 FROM n WHERE i < 3000) SELECT randomblob(4000) AS x FROM n"
        )
    engine.dispose()
    monkeypatch.setattr(rekey_module, "PROGRESS_EVERY", 0.0005)
    killed_mid = 0
    for round_no in range(3):
        work = _restore(files.db.parent, tmp_path / f"mid{round_no}")
        status = _child(work, MAX_STEPS * 10, mid_rekey=True)
        if os.WIFSIGNALED(status):
            killed_mid += 1
        assert _check_after_kill(work, recovery, copied) == "new"
    assert killed_mid, "the rekey was never caught half-way"


def test_the_copied_key_file_of_a_disabled_person_opens_nothing(
    prepared: dict[str, Any],
) -> None:
    files, copied = prepared["files"], prepared["copied"]
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        assert desk.call("disableStaff", {"username": FEMI}) == {"success": True, "rekeyed": True}
        with desk.db.transaction() as tx:
            entry = tx.scalar(
                select(AuditEntry).where(
                    AuditEntry.action == "staff", AuditEntry.detail.contains('"rekey"')
                )
            )
            assert entry is not None and json.loads(entry.detail)["reason"] == "femi disabled"
        # The admin's session carries on with the new key.
        assert desk.call("listStaff")["staff"]
    finally:
        desk.close()
    assert not _femi_copy_opens(files, copied)
    with pytest.raises(PharmDeskError) as refused:
        sign_in(files, FEMI, FEMI_PASSWORD, clock=FixedClock(), kdf=TEST_KDF, sleep=lambda _s: None)
    assert refused.value.code == "AUTH_FAILED"
    # Even re-enabled with his old password, the copy stays useless: a new slot, new pair.
    assert all(
        slot["kind"] != STAFF or slot["owner"] != FEMI for slot in Vault(files.vault).slots()
    )


HOLDER = """
import sys
from pathlib import Path
from pharmdesk.store.engine import _connect
conn = _connect(Path(sys.argv[1]), bytes.fromhex(sys.argv[2]))  # as a desk's connection
conn.execute("SELECT count(*) FROM staff").fetchone()  # open, idle, no transaction
print("open", flush=True)
sys.stdin.readline()
"""


def test_a_rekey_waits_for_another_process_then_stays_pending_until_the_next_sign_in(
    prepared: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    files, copied = prepared["files"], prepared["copied"]
    monkeypatch.setattr(revocation_module, "REKEY_WAIT", 0.3)
    old_key = Vault(files.vault, TEST_KDF).unlock_staff(ADMIN, ADMIN_PASSWORD)
    assert old_key is not None
    holder = subprocess.Popen(  # another PharmDesk process with the database open
        [sys.executable, "-c", HOLDER, str(files.db), old_key.hex()],
        cwd=REPO,
        env=pharmdesk_env(ADMIN, ADMIN_PASSWORD),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        desk = sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
        try:
            answer = desk.call("disableStaff", {"username": FEMI})
        finally:
            desk.close()
        assert answer == {"success": True, "rekeyed": False}
        journal = Vault(files.vault).pending_rekey()
        assert journal is not None and journal["reason"] == "femi disabled"
        assert not Vault(files.vault).has_staff_slot(FEMI)  # shut out of sign-in already
        # A sign-in while the other process still holds the file leaves it pending.
        sign_in(files, BOLA, BOLA_PASSWORD, clock=FixedClock(), kdf=TEST_KDF).close()
        assert Vault(files.vault).pending_rekey() is not None
        assert _femi_copy_opens(files, copied)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    # The next sign-in that finds the database free does the rekey.
    desk = sign_in(files, BOLA, BOLA_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        with desk.db.transaction() as tx:
            entry = tx.scalar(
                select(AuditEntry).where(
                    AuditEntry.action == "staff", AuditEntry.detail.contains('"rekey"')
                )
            )
            assert entry is not None and entry.user == BOLA
    finally:
        desk.close()
    assert Vault(files.vault).pending_rekey() is None
    assert not _femi_copy_opens(files, copied)
    assert _opens(files, ADMIN, ADMIN_PASSWORD)
