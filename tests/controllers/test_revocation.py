"""Revocation and running sessions (API.md v3, "Revocation and sessions").

A disabled person's open session answers AUTH_FAILED from its next operation; a changed
role applies from the next one; disabling and the recovery key change the database key.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.recovery import recovery_sign_in
from pharmdesk.controllers.session import ACCOUNT_DISABLED, DeskSession, sign_in
from pharmdesk.errors import AUTH_FAILED, PERMISSION_DENIED, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.desk_lock import TRANSACTION_LOCK
from pharmdesk.store.engine import DatabaseOpenError, open_engine
from pharmdesk.store.schema import AuditEntry
from pharmdesk.store.vault import Vault
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.controllers.conftest import StatementsOf

FEMI_PASSWORD = "femi likes long walks 2026"
NGOZI_PASSWORD = "ngozi likes long walks 2026"
AUDIENCE = {"segment": "condition", "condition": "asth"}
REASON = "Ada, the only admin, forgot her password"


def refused(desk: DeskSession, name: str, params: Any = None) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def opens(files: DatabaseFiles, key: bytes) -> bool:
    try:
        open_engine(files.db, key).dispose()
    except DatabaseOpenError:
        return False
    return True


def test_a_disabled_persons_open_session_is_refused_from_its_next_operation(
    admin: DeskSession, frontdesk: DeskSession, store: str
) -> None:
    assert frontdesk.call("fetchCustomers", {"search": "ada"})["customers"] == []
    answer = admin.call("disableStaff", {"username": "femi"})
    # femi's session still has the file open, so its rekey is pending; on the branch
    # server only the key slots change, at once.
    assert answer == {"success": True, "rekeyed": store == "postgresql"}
    error = refused(frontdesk, "fetchCustomers", {"search": "ada"})
    assert (error.code, error.message) == (AUTH_FAILED, ACCOUNT_DISABLED)
    # The session is over: key dropped, database closed.
    assert not frontdesk.is_open
    assert refused(frontdesk, "listPlans", {}).code == AUTH_FAILED


def test_a_demoted_pharmacist_loses_the_campaign_audience_at_the_next_operation(
    admin: DeskSession, pharmacist: DeskSession
) -> None:
    pharmacist.call("getCampaignAudience", AUDIENCE)
    admin.call("setStaffRole", {"username": "ngozi", "role": "frontdesk"})
    error = refused(pharmacist, "getCampaignAudience", AUDIENCE)
    assert error.code == PERMISSION_DENIED
    assert "Your role (frontdesk) may not use getCampaignAudience" in error.message
    assert pharmacist.staff.role == "frontdesk"
    with admin.db.transaction() as tx:
        denied = tx.scalars(
            select(AuditEntry).where(AuditEntry.action == "denied", AuditEntry.user == "ngozi")
        ).all()
    assert len(denied) == 1
    # Promoted again: allowed from the next operation, no new sign-in.
    admin.call("setStaffRole", {"username": "ngozi", "role": "pharmacist"})
    pharmacist.call("getCampaignAudience", AUDIENCE)  # no refusal
    assert pharmacist.staff.role == "pharmacist"


def test_a_promoted_front_desk_person_may_use_admin_operations_at_once(
    admin: DeskSession, frontdesk: DeskSession
) -> None:
    assert refused(frontdesk, "listStaff", {}).code == PERMISSION_DENIED
    admin.call("setStaffRole", {"username": "femi", "role": "admin"})
    assert any(row["username"] == "femi" for row in frontdesk.call("listStaff", {})["staff"])


def test_the_staff_row_is_read_once_per_operation_in_its_own_transaction(
    admin: DeskSession, store: str, statements_of: StatementsOf
) -> None:
    admin.call("listPlans", {})  # settings are read once per session, then cached
    statements = statements_of(admin, lambda: admin.call("listPlans", {}))
    staff_reads = [s for s in statements if "FROM staff" in s]
    assert len(staff_reads) == 1
    assert re.search(r"WHERE (s|staff)\.username = (\?|'admin'|%\(\w+\)s)", staff_reads[0])
    # One transaction: the read comes after the operation's BEGIN, before its COMMIT.
    begin = "BEGIN IMMEDIATE"
    if store == "postgresql":  # the server's counterpart: one desk's transaction at a time
        begin = f"SELECT pg_advisory_xact_lock({TRANSACTION_LOCK})"
    assert statements.count(begin) == 1
    assert statements.index(begin) < statements.index(staff_reads[0])


@pytest.mark.single_pc("re-encrypting the SQLCipher file")
def test_disabling_rekeys_and_the_old_key_opens_nothing(
    admin: DeskSession, make_staff: Any, db_files: DatabaseFiles
) -> None:
    make_staff("femi", "frontdesk").close()
    old_key = admin.key
    femi_key = Vault(db_files.vault, TEST_KDF).unlock_staff("femi", FEMI_PASSWORD)
    assert femi_key == old_key
    assert admin.call("disableStaff", {"username": "femi"})["rekeyed"] is True
    assert admin.key != old_key
    assert not opens(db_files, old_key)
    assert opens(db_files, admin.key)
    # The admin's session goes on, and so do everyone else's slots.
    assert admin.call("listStaff", {})["staff"]
    assert Vault(db_files.vault, TEST_KDF).unlock_staff(ADMIN, ADMIN_PASSWORD) == admin.key
    entries = admin.call("fetchAuditLog", {"action": "staff"})["entries"]
    rekeys = [e for e in entries if e["detail"].get("event") == "rekey"]
    assert len(rekeys) == 1 and rekeys[0]["user"] == ADMIN
    assert rekeys[0]["detail"]["reason"] == "femi disabled"


@pytest.mark.single_pc("re-encrypting the SQLCipher file")
def test_a_pending_rekey_is_done_by_the_next_sign_in_that_finds_the_database_free(
    admin: DeskSession, pharmacist: DeskSession, db_files: DatabaseFiles, make_staff: Any
) -> None:
    make_staff("femi", "frontdesk").close()
    old_key = admin.key
    assert admin.call("disableStaff", {"username": "femi"})["rekeyed"] is False
    assert Vault(db_files.vault).pending_rekey() is not None
    assert opens(db_files, old_key)
    # A person added while the rekey waits is carried over too.
    admin.call(
        "addStaff",
        {"username": "tolu", "fullName": "Tolu", "role": "frontdesk", "password": NGOZI_PASSWORD},
    )
    pharmacist.close()
    admin.close()
    desk = sign_in(db_files, "tolu", NGOZI_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        assert desk.key != old_key
    finally:
        desk.close()
    assert Vault(db_files.vault).pending_rekey() is None
    assert not opens(db_files, old_key)
    for name, password in ((ADMIN, ADMIN_PASSWORD), ("ngozi", NGOZI_PASSWORD)):
        sign_in(db_files, name, password, clock=FixedClock(), kdf=TEST_KDF).close()


@pytest.mark.single_pc("re-encrypting the SQLCipher file")
def test_a_recovery_key_sign_in_rekeys(admin: DeskSession, db_files: DatabaseFiles) -> None:
    recovery = Vault(db_files.vault, TEST_KDF).replace_recovery(admin.key)
    old_key = admin.key
    admin.close()
    session = recovery_sign_in(
        db_files, recovery, REASON, clock=FixedClock(), kdf=TEST_KDF, sleep=lambda _s: None
    )
    try:
        assert session.rekeyed is True
    finally:
        session.close()
    assert not opens(db_files, old_key)
    vault = Vault(db_files.vault, TEST_KDF)
    new_key = vault.unlock_recovery(recovery)
    assert new_key is not None and new_key != old_key and opens(db_files, new_key)
    assert vault.unlock_staff(ADMIN, ADMIN_PASSWORD) == new_key


def test_a_rekey_keeps_other_kinds_of_slots_and_sections_in_the_key_file(
    admin: DeskSession, db_files: DatabaseFiles, make_staff: Any
) -> None:
    """The key file may carry more than database-key slots (another wrapped secret per
    admin, another section): a rekey leaves them as they were."""
    import json

    make_staff("femi", "frontdesk").close()
    data = json.loads(db_files.vault.read_text())
    extra = {"kind": "seal", "owner": ADMIN, "wrapped": "opaque"}
    femi_extra = {"kind": "seal", "owner": "femi", "wrapped": "opaque"}
    data["slots"] += [extra, femi_extra]
    data["seal"] = {"epoch": 3}
    db_files.vault.write_text(json.dumps(data))
    assert admin.call("disableStaff", {"username": "femi"})["rekeyed"] is True
    after = json.loads(db_files.vault.read_text())
    assert extra in after["slots"]
    assert femi_extra not in after["slots"]  # everything femi owned went with him
    assert after["seal"] == {"epoch": 3}


def test_a_disable_names_old_keyslots_that_could_not_be_carried_over(
    admin: DeskSession, db_files: DatabaseFiles, make_staff: Any
) -> None:
    """A slot from an older PharmDesk that nobody used since cannot receive the new key
    (it is wrapped under a password PharmDesk never sees): the answer names its owner."""
    import json

    from tests.unit.test_keyslots import _legacy_slot

    make_staff("femi", "frontdesk").close()
    make_staff("tunde", "admin").close()  # an admin: a key slot on either store
    data = json.loads(db_files.vault.read_text())
    data["slots"] = [
        _legacy_slot("tunde", "tunde likes long walks 2026", admin.key)
        if s["owner"] == "tunde" and s["kind"] == "staff"
        else s
        for s in data["slots"]
    ]
    db_files.vault.write_text(json.dumps(data))
    answer = admin.call("disableStaff", {"username": "femi"})
    assert answer == {"success": True, "rekeyed": True, "needNewPassword": ["tunde"]}
    admin.call("resetStaffPassword", {"username": "tunde", "password": NGOZI_PASSWORD})
    sign_in(db_files, "tunde", NGOZI_PASSWORD, clock=FixedClock(), kdf=TEST_KDF).close()
