"""Backups, restore checks and restores are registered jobs with declared roles, run
through the session's one dispatcher: the same checks as an operation (sign-in, role,
params), refusals audited, and ``may`` answering from the same rule for the screens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from pharmdesk.controllers import backups
from pharmdesk.controllers.registry import JOBS, REGISTRY, allowed
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import AUTH_FAILED, PERMISSION_DENIED, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry
from tests.conftest import ADMIN, ADMIN_PASSWORD, inspection

UI = Path(__file__).resolve().parents[2] / "pharmdesk" / "ui"


def denied(desk: DeskSession) -> list[str]:
    with inspection(desk) as tx:
        rows = tx.scalars(select(AuditEntry).where(AuditEntry.action == "denied")).all()
        return [json.loads(row.detail)["operation"] for row in rows if row.user == "femi"]


def test_the_backup_jobs_declare_their_roles() -> None:
    assert {name: sorted(JOBS[name].roles) for name in JOBS} == {
        "backup": ["admin", "pharmacist"],
        "scheduledBackup": ["admin", "pharmacist"],
        "dueBackup": ["admin", "frontdesk", "pharmacist"],
        "checkBackup": ["admin"],
        "restoreBackup": ["admin"],
        "scanDuplicateCustomers": ["admin", "pharmacist"],
    }
    assert not set(JOBS) & set(REGISTRY)  # one name space: a job is never also an operation
    assert allowed("getBackupStatus", "frontdesk")
    assert not allowed("backup", "frontdesk") and not allowed("no such thing", "admin")


def test_a_front_desk_person_cannot_back_up_through_any_path(
    frontdesk: DeskSession, tmp_path: Path
) -> None:
    target = tmp_path / "copy.pdbak"
    attempts = [
        lambda: frontdesk.prepare_job("backup", {"file": str(target)}),
        lambda: frontdesk.run_job("backup", {"file": str(target)}),
        lambda: backups.run_backup(frontdesk, target),
        lambda: frontdesk.run_job("scheduledBackup", {"force": True}),
        lambda: backups.run_scheduled_for(frontdesk, force=True),
        lambda: frontdesk.prepare_job(
            "checkBackup", {"file": "x", "username": "a", "password": "b"}
        ),
        lambda: frontdesk.prepare_job(
            "restoreBackup", {"file": "x", "username": "a", "password": "b", "db": "y"}
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PharmDeskError) as refused:
            attempt()
        assert refused.value.code == PERMISSION_DENIED
        assert "frontdesk" in refused.value.message
    # Not an operation either: `pharmdesk call backup` and desk.call are no way in.
    with pytest.raises(PharmDeskError) as unknown:
        frontdesk.call("backup", {"file": str(target)})
    assert unknown.value.code == VALIDATION_ERROR
    # The one job everyone has takes no file: it writes only where and when an admin set.
    with pytest.raises(PharmDeskError) as no_file:
        frontdesk.prepare_job("dueBackup", {"file": str(target)})
    assert no_file.value.code == VALIDATION_ERROR
    assert frontdesk.run_job("dueBackup").status == "off"  # no folder set: nothing written
    assert list(tmp_path.rglob("*.pdbak")) == [] and [p.name for p in tmp_path.iterdir()] == ["db"]
    assert denied(frontdesk) == [
        "backup",
        "backup",
        "backup",
        "scheduledBackup",
        "scheduledBackup",
        "checkBackup",
        "restoreBackup",
    ]
    assert not frontdesk.may("backup") and not frontdesk.may("restoreBackup")
    assert frontdesk.may("dueBackup") and frontdesk.may("getBackupStatus")


@pytest.mark.single_pc("a backup file of the SQLCipher file")
def test_a_pharmacist_backs_up_but_does_not_restore(
    pharmacist: DeskSession, tmp_path: Path
) -> None:
    target = tmp_path / "copy.pdbak"
    assert pharmacist.may("backup") and not pharmacist.may("restoreBackup")
    answer = pharmacist.run_job("backup", {"file": str(target)})
    assert answer["verified"] is True and target.is_file()
    with pytest.raises(PharmDeskError) as refused:
        pharmacist.prepare_job(
            "checkBackup", {"file": str(target), "username": ADMIN, "password": ADMIN_PASSWORD}
        )
    assert refused.value.code == PERMISSION_DENIED


def test_a_bound_job_needs_an_open_session_and_valid_params(
    admin: DeskSession, tmp_path: Path
) -> None:
    with pytest.raises(PharmDeskError) as unknown:
        admin.prepare_job("backupEverything")
    assert unknown.value.code == VALIDATION_ERROR
    with pytest.raises(PharmDeskError) as missing:
        admin.prepare_job("backup", {})
    assert missing.value.code == VALIDATION_ERROR and missing.value.field == "file"
    admin.lock()
    assert not admin.may("getBackupStatus")
    with pytest.raises(PharmDeskError) as locked:
        admin.prepare_job("backup", {"file": str(tmp_path / "b.pdbak")})
    assert locked.value.code == AUTH_FAILED


def test_no_screen_holds_the_key_or_opens_the_store() -> None:
    """A grep-level guard on the layer rule: ui → controllers → store."""
    forbidden = ("session.key", "open_engine", "make_engine", "open_for_worker", "store.engine")
    found = [
        (path.name, word)
        for path in sorted(UI.glob("*.py"))
        for word in forbidden
        if word in path.read_text(encoding="utf-8")
    ]
    assert found == []
