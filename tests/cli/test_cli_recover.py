"""``pharmdesk recover``: break-glass from the command line, audited with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.recovery import REASON_RULE, RECOVERY_USER, WRONG_KEY
from pharmdesk.controllers.session import sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import AuditEntry
from pharmdesk.store.vault import Vault
from tests.cli.conftest import Run
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

NEW_PASSWORD = "the lagoon is calm at night 2027"
REASON = "Ada, our only admin, forgot her password"


@pytest.fixture
def recovery_key(db_files: DatabaseFiles) -> str:
    vault = Vault(db_files.vault, TEST_KDF)
    key = vault.unlock_staff(ADMIN, ADMIN_PASSWORD)
    assert key is not None
    return vault.replace_recovery(key)


def _signs_in(files: DatabaseFiles, username: str, password: str) -> bool:
    try:
        desk = sign_in(files, username, password, clock=FixedClock(), sleep=lambda _s: None)
    except PharmDeskError:
        return False
    desk.close()
    return True


def test_recover_gives_the_admin_a_new_password_and_audits_the_reason(
    run: Run,
    db_arg: str,
    db_files: DatabaseFiles,
    recovery_key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(recovery_key + "\n", encoding="utf-8")
    monkeypatch.setenv("PHARMDESK_PASSWORD", NEW_PASSWORD)  # the new password, here
    result = run("recover", db_arg, "--reason", REASON, "--admin", ADMIN,
                 "--recovery-key-file", str(key_file))  # fmt: skip
    assert result.code == 0, result.out
    assert result.json == {"success": True, "admin": ADMIN, "rekeyed": True}
    assert recovery_key not in result.out + result.err
    assert not _signs_in(db_files, ADMIN, ADMIN_PASSWORD)
    desk = sign_in(db_files, ADMIN, NEW_PASSWORD, clock=FixedClock())
    try:
        with desk.db.transaction() as tx:
            entry = tx.scalar(select(AuditEntry).where(AuditEntry.action == "emergencyAccess"))
            assert entry is not None and entry.user == RECOVERY_USER
            assert json.loads(entry.detail) == {"reason": REASON}
    finally:
        desk.close()


def test_recover_can_create_a_new_admin_from_the_environment_key(
    run: Run,
    db_arg: str,
    db_files: DatabaseFiles,
    recovery_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PHARMDESK_RECOVERY_KEY", recovery_key.lower())
    monkeypatch.setenv("PHARMDESK_PASSWORD", NEW_PASSWORD)
    result = run("recover", db_arg, "--reason", REASON, "--admin", "it.support", "--create",
                 "--full-name", "Tunde Bakare (IT)")  # fmt: skip
    assert result.code == 0, result.out
    assert _signs_in(db_files, "it.support", NEW_PASSWORD)
    assert _signs_in(db_files, ADMIN, ADMIN_PASSWORD)  # untouched


def test_recover_refusals(
    run: Run,
    db_arg: str,
    db_files: DatabaseFiles,
    recovery_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    short = run("recover", db_arg, "--reason", "forgot", "--admin", ADMIN)
    assert short.code == 1
    assert short.error["field"] == "reason" and short.error["message"] == REASON_RULE
    no_key = run("recover", db_arg, "--reason", REASON, "--admin", ADMIN)
    assert no_key.code == 1 and no_key.error["field"] == "recoveryKey"
    monkeypatch.setenv("PHARMDESK_RECOVERY_KEY", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    wrong = run("recover", db_arg, "--reason", REASON, "--admin", ADMIN)
    assert wrong.code == 1
    assert (wrong.error["code"], wrong.error["message"]) == ("AUTH_FAILED", WRONG_KEY)
    monkeypatch.setenv("PHARMDESK_RECOVERY_KEY", recovery_key)
    monkeypatch.setenv("PHARMDESK_PASSWORD", "too short")
    weak = run("recover", db_arg, "--reason", REASON, "--admin", ADMIN)
    assert weak.code == 1 and weak.error["field"] == "password"
    assert _signs_in(db_files, ADMIN, ADMIN_PASSWORD)
