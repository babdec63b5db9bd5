"""recordAuditExport: the audit log written to a file is an ``export`` entry, admins only,
with the filters (checked as fetchAuditLog checks them) and the count."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PERMISSION_DENIED, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry
from tests.conftest import inspection


def refused(desk: DeskSession, params: Any) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call("recordAuditExport", params)
    return info.value


def last_entry(desk: DeskSession) -> AuditEntry:
    with inspection(desk) as tx:
        entry = tx.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        tx.expunge(entry)
        return entry


def test_records_the_filters_and_the_count(admin: DeskSession) -> None:
    answer = admin.call(
        "recordAuditExport",
        {
            "entries": 1234,
            "throughId": "AUD-2",
            "user": "FEMI",
            "action": "view",
            "from": "2026-04-01",
            "to": "2026-04-18",
        },
    )
    assert answer == {"success": True}
    entry = last_entry(admin)
    assert (entry.action, entry.user, entry.outcome) == ("export", "admin", "success")
    assert (entry.entity_type, entry.entity_id) == (None, None)
    assert json.loads(entry.detail) == {
        "kind": "auditLog",
        "format": "csv",
        "filters": {"user": "femi", "action": "view", "from": "2026-04-01", "to": "2026-04-18"},
        "entries": 1234,
        "throughId": "AUD-2",
    }


def test_a_customer_filter_puts_the_entry_on_that_customer(admin: DeskSession) -> None:
    admin.call("recordAuditExport", {"entries": 0, "customerId": "cust-7", "outcome": "failed"})
    entry = last_entry(admin)
    assert (entry.entity_type, entry.entity_id, entry.outcome) == ("customer", "CUST-7", "failed")
    assert json.loads(entry.detail)["filters"] == {"customerId": "CUST-7"}
    found = admin.call("fetchAuditLog", {"customerId": "CUST-7"})["entries"]
    assert [e["action"] for e in found] == ["export"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "entries"),
        ({"entries": -1}, "entries"),
        ({"entries": "3"}, "entries"),
        ({"entries": 3, "throughId": "CUST-3"}, "throughId"),
        ({"entries": 3, "action": "viewed"}, "action"),
        ({"entries": 3, "customerId": "AUD-1"}, "customerId"),
        ({"entries": 3, "from": "18/04/2026"}, "from"),
        ({"entries": 3, "from": "2026-04-19", "to": "2026-04-18"}, "to"),
        ({"entries": 3, "outcome": "denied"}, "outcome"),
        ({"entries": 3, "fileName": "x.csv"}, "fileName"),
    ],
)
def test_validation(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    before = last_entry(admin).id
    error = refused(admin, params)
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert last_entry(admin).id == before  # nothing recorded


def test_admins_only_and_the_refusal_is_audited(frontdesk: DeskSession) -> None:
    error = refused(frontdesk, {"entries": 1})
    assert error.code == PERMISSION_DENIED
    entry = last_entry(frontdesk)
    assert (entry.action, entry.outcome, entry.user) == ("denied", "denied", "femi")
    assert json.loads(entry.detail) == {"operation": "recordAuditExport"}
