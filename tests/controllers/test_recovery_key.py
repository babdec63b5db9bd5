"""replaceRecoveryKey: a new recovery key replaces the old one, which then opens nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.recovery import recovery_sign_in
from pharmdesk.controllers.session import DeskSession, create_database, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import AuditEntry
from pharmdesk.store.vault import Vault
from tests.conftest import ADMIN_PASSWORD, TEST_KDF

REASON = "The paper was read during last week's break-glass sign-in"


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[DatabaseFiles, str, FixedClock]:
    """A database of its own, with the recovery key printed at setup."""
    files = DatabaseFiles(tmp_path / "pharmdesk.db")
    clock = FixedClock()
    recovery = create_database(
        files, admin="ada", full_name="Ada", password=ADMIN_PASSWORD, clock=clock, kdf=TEST_KDF
    )
    return files, recovery, clock


def _admin(files: DatabaseFiles, clock: FixedClock) -> DeskSession:
    return sign_in(files, "ada", ADMIN_PASSWORD, clock=clock, sleep=lambda _s: None, kdf=TEST_KDF)


def test_the_new_key_opens_and_the_old_one_no_longer_does(
    fresh: tuple[DatabaseFiles, str, FixedClock],
) -> None:
    files, old, clock = fresh
    desk = _admin(files, clock)
    try:
        answer = desk.call("replaceRecoveryKey", {"reason": REASON})
    finally:
        desk.close()
    new = answer["recoveryKey"]
    assert answer["success"] is True and new != old
    vault = Vault(files.vault, TEST_KDF)
    assert vault.unlock_recovery(old) is None
    assert vault.unlock_recovery(new) is not None
    # The new key carries the audit seal's root, like the one printed at setup.
    session = recovery_sign_in(
        files, new, "Ada forgot her password today", clock=clock, kdf=TEST_KDF
    )
    try:
        assert session._session.seal is not None
        verified = session._session.call("verifyAuditLog")
        assert verified["ok"] is True and verified["sealed"] == verified["checked"]
    finally:
        session.close()


def test_it_is_audited_without_the_key(fresh: tuple[DatabaseFiles, str, FixedClock]) -> None:
    files, _old, clock = fresh
    desk = _admin(files, clock)
    try:
        new = desk.call("replaceRecoveryKey", {"reason": REASON})["recoveryKey"]
        with desk.db.transaction() as tx:
            entry = tx.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "staff")
                .order_by(AuditEntry.id.desc())
            ).first()
    finally:
        desk.close()
    assert entry is not None and entry.user == "ada" and entry.outcome == "success"
    detail = json.loads(entry.detail)
    assert detail == {"event": "replaceRecoveryKey", "reason": REASON}
    assert new not in entry.detail


@pytest.mark.parametrize("reason", [None, "", "lost", 7])
def test_a_reason_is_required_and_nothing_changes_without_one(
    fresh: tuple[DatabaseFiles, str, FixedClock], reason: object
) -> None:
    files, old, clock = fresh
    desk = _admin(files, clock)
    params = {} if reason is None else {"reason": reason}
    try:
        with pytest.raises(PharmDeskError) as caught:
            desk.call("replaceRecoveryKey", params)
    finally:
        desk.close()
    assert caught.value.code == "VALIDATION_ERROR" and caught.value.field == "reason"
    assert "replaced" in caught.value.message or reason in (None, 7)
    assert Vault(files.vault, TEST_KDF).unlock_recovery(old) is not None


@pytest.mark.parametrize("role", ["frontdesk", "pharmacist"])
def test_only_an_admin_may(make_staff: Callable[[str, str], DeskSession], role: str) -> None:
    desk = make_staff("kemi", role)
    vault_before = desk.files.vault.read_bytes()
    with pytest.raises(PharmDeskError) as caught:
        desk.call("replaceRecoveryKey", {"reason": REASON})
    assert caught.value.code == "PERMISSION_DENIED"
    assert desk.files.vault.read_bytes() == vault_before
