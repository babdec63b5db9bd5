"""getSettings / updateSettings: every key, each validation rule, the session's cached
settings, and the audit entry with old and new values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PERMISSION_DENIED, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry
from tests.conftest import inspection

DEFAULTS = {
    "branchName": "Lekki Branch",
    "defaultRegion": "NG",
    "currency": "NGN",
    "idleLockMinutes": 5,
    "backupFolder": None,
    "backupEveryHours": 24,
    "backupKeep": {"daily": 7, "weekly": 4, "monthly": 12},
    "backupReminderDays": 7,
    "branchPhone": None,
    "messageSender": "whatsapp",
    "modemPort": None,
    "modemBaud": 115200,
    "gatewayUrl": None,
    "gatewayToken": None,
    "gatewayFields": {"to": "to", "text": "message", "reference": "reference"},
    "reminderTemplates": {},
}


def refused(desk: DeskSession, name: str, params: Any = None) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def settings_entries(desk: DeskSession) -> list[AuditEntry]:
    with inspection(desk) as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == "settings").order_by(AuditEntry.id)
            )
        )


def test_everyone_reads_the_settings(
    admin: DeskSession, frontdesk: DeskSession, pharmacist: DeskSession
) -> None:
    for desk in (admin, frontdesk, pharmacist):
        assert desk.call("getSettings") == {"settings": DEFAULTS}
    assert refused(admin, "getSettings", {"branchName": "x"}).code == VALIDATION_ERROR


def test_update_every_key(admin: DeskSession, frontdesk: DeskSession, tmp_path: Any) -> None:
    folder = str(tmp_path / "backups")
    wanted = {
        "branchName": "  Ikeja   Branch ",
        "defaultRegion": "gh",
        "currency": "ghs",
        "idleLockMinutes": 10,
        "backupFolder": folder,
        "backupEveryHours": 12,
        "backupKeep": {"daily": 3, "weekly": 2, "monthly": 0},
        "backupReminderDays": 14,
        "branchPhone": "024 123 4567",
        "messageSender": "gateway",
        "modemPort": "COM3",
        "modemBaud": 9600,
        "gatewayUrl": "https://sms.example.com/api/send",
        "gatewayToken": "secret-token-123",
        "gatewayFields": {"to": "msisdn", "text": "body", "reference": "ref"},
        "reminderTemplates": {"reminders": {"en": "Hi {firstName}, {plan} is due {dueDate}."}},
    }
    expected = {
        "branchName": "Ikeja Branch",
        "defaultRegion": "GH",
        "currency": "GHS",
        "idleLockMinutes": 10,
        "backupFolder": folder,
        "backupEveryHours": 12,
        "backupKeep": {"daily": 3, "weekly": 2, "monthly": 0},
        "backupReminderDays": 14,
        # Read in the branch's new region (GH), stored in E.164.
        "branchPhone": "+233241234567",
        "messageSender": "gateway",
        "modemPort": "COM3",
        "modemBaud": 9600,
        "gatewayUrl": "https://sms.example.com/api/send",
        # The token is kept but never shown back (nor written to the audit log).
        "gatewayToken": "********",
        "gatewayFields": {"to": "msisdn", "text": "body", "reference": "ref"},
        "reminderTemplates": {"reminders": {"en": "Hi {firstName}, {plan} is due {dueDate}."}},
    }
    assert admin.call("updateSettings", wanted) == {"settings": expected}
    assert admin.call("getSettings") == {"settings": expected}
    assert frontdesk.call("getSettings") == {"settings": expected}
    (entry,) = settings_entries(admin)
    assert (entry.user, entry.entity_type, entry.outcome) == ("admin", "settings", "success")
    changes = json.loads(entry.detail)["changes"]
    assert set(changes) == set(expected)
    assert changes["idleLockMinutes"] == {"old": 5, "new": 10}
    assert changes["gatewayToken"] == {"old": None, "new": "********"}
    assert "secret-token-123" not in entry.detail
    assert admin.settings()["gatewayToken"] == "secret-token-123"
    assert changes["backupFolder"] == {"old": None, "new": folder}
    assert changes["backupKeep"] == {
        "old": {"daily": 7, "weekly": 4, "monthly": 12},
        "new": {"daily": 3, "weekly": 2, "monthly": 0},
    }


def test_partial_update_keeps_the_rest(admin: DeskSession) -> None:
    answer = admin.call("updateSettings", {"backupKeep": {"weekly": 8}, "idleLockMinutes": 1})
    assert answer["settings"] == {
        **DEFAULTS,
        "idleLockMinutes": 1,
        "backupKeep": {"daily": 7, "weekly": 8, "monthly": 12},
    }
    changes = json.loads(settings_entries(admin)[-1].detail)["changes"]
    assert set(changes) == {"idleLockMinutes", "backupKeep"}


def test_an_update_that_changes_nothing_writes_nothing(admin: DeskSession) -> None:
    assert admin.call("updateSettings", {}) == {"settings": DEFAULTS}
    assert admin.call("updateSettings", {"currency": "NGN", "backupKeep": {"daily": 7}}) == {
        "settings": DEFAULTS
    }
    assert settings_entries(admin) == []


def test_backup_folder_null_clears_it(admin: DeskSession, tmp_path: Any) -> None:
    admin.call("updateSettings", {"backupFolder": str(tmp_path)})
    assert admin.call("updateSettings", {"backupFolder": None})["settings"]["backupFolder"] is None
    changes = json.loads(settings_entries(admin)[-1].detail)["changes"]
    assert changes == {"backupFolder": {"old": str(tmp_path), "new": None}}


def test_the_session_sees_a_change_at_once(admin: DeskSession) -> None:
    assert admin.settings()["defaultRegion"] == "NG"  # now cached by the session
    admin.call("updateSettings", {"defaultRegion": "GH", "idleLockMinutes": 7})
    assert admin.settings()["idleLockMinutes"] == 7
    # The region reaches phone parsing: a Ghanaian local number is now valid.
    created = admin.call("addProviderCustomer", {"name": "Kwame Mensah", "phone": "024 123 4567"})
    view = admin.call("viewProviderCustomerDetails", {"customerId": created["customerId"]})
    assert view["phone"] == "+233241234567"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"branchName": ""}, "branchName"),
        ({"branchName": "   "}, "branchName"),
        ({"branchName": "b" * 121}, "branchName"),
        ({"branchName": 5}, "branchName"),
        ({"defaultRegion": "XX"}, "defaultRegion"),
        ({"defaultRegion": "Nigeria"}, "defaultRegion"),
        ({"defaultRegion": "001"}, "defaultRegion"),
        ({"defaultRegion": 234}, "defaultRegion"),
        ({"currency": "NAIRA"}, "currency"),
        ({"currency": "N1N"}, "currency"),
        ({"currency": "ZZZ"}, "currency"),
        ({"currency": "₦"}, "currency"),
        ({"idleLockMinutes": 0}, "idleLockMinutes"),
        ({"idleLockMinutes": 61}, "idleLockMinutes"),
        ({"idleLockMinutes": "5"}, "idleLockMinutes"),
        ({"idleLockMinutes": 5.5}, "idleLockMinutes"),
        ({"idleLockMinutes": True}, "idleLockMinutes"),
        ({"backupReminderDays": 0}, "backupReminderDays"),
        ({"backupReminderDays": 366}, "backupReminderDays"),
        ({"backupReminderDays": "7"}, "backupReminderDays"),
        ({"backupEveryHours": 0}, "backupEveryHours"),
        ({"backupEveryHours": 721}, "backupEveryHours"),
        ({"backupFolder": ""}, "backupFolder"),
        ({"backupFolder": "relative/folder"}, "backupFolder"),
        ({"backupFolder": 7}, "backupFolder"),
        ({"backupKeep": 7}, "backupKeep"),
        ({"backupKeep": {"daily": 101}}, "backupKeep.daily"),
        ({"backupKeep": {"weekly": -1}}, "backupKeep.weekly"),
        ({"backupKeep": {"monthly": "12"}}, "backupKeep.monthly"),
        ({"backupKeep": {"hourly": 1}}, "backupKeep.hourly"),
        ({"idleLock": 5}, "idleLock"),
    ],
)
def test_update_validation(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    # A valid change alongside the bad one is not saved either.
    error = refused(admin, "updateSettings", {"idleLockMinutes": 9, **params})
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert admin.call("getSettings") == {"settings": DEFAULTS}
    assert settings_entries(admin) == []


@pytest.mark.parametrize("value", [1, 60])
def test_idle_lock_bounds(admin: DeskSession, value: int) -> None:
    assert (
        admin.call("updateSettings", {"idleLockMinutes": value})["settings"]["idleLockMinutes"]
        == value
    )


@pytest.mark.parametrize(("hours", "keep"), [(1, 0), (720, 100)])
def test_backup_bounds(admin: DeskSession, hours: int, keep: int) -> None:
    params = {"backupEveryHours": hours, "backupKeep": {"daily": keep, "monthly": keep}}
    settings = admin.call("updateSettings", params)["settings"]
    assert settings["backupEveryHours"] == hours
    assert settings["backupKeep"] == {"daily": keep, "weekly": 4, "monthly": keep}


def test_only_admins_change_settings(frontdesk: DeskSession, pharmacist: DeskSession) -> None:
    for desk in (frontdesk, pharmacist):
        error = refused(desk, "updateSettings", {"idleLockMinutes": 30})
        assert error.code == PERMISSION_DENIED
        with inspection(desk) as tx:
            last = tx.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert last is not None
        assert (last.action, last.outcome, last.user) == ("denied", "denied", desk.staff.username)
        assert json.loads(last.detail) == {"operation": "updateSettings"}
    assert frontdesk.call("getSettings")["settings"]["idleLockMinutes"] == 5
