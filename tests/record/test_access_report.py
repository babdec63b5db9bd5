"""getAccessReport: every entry that showed or changed the customer, with who and when,
list pages included; admins only; dates bound it."""

from __future__ import annotations

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession
from tests.record.helpers import customer, last_entry, refused


def test_who_saw_and_changed_the_record(
    admin: DeskSession, frontdesk: DeskSession, clock: FixedClock
) -> None:
    cid = customer(frontdesk, "Obinna Eze", "08030005555")
    customer(frontdesk, "Someone Else", "08030005556")
    frontdesk.call("fetchCustomers", {"search": "Obinna"})
    frontdesk.call("fetchCustomers", {"search": "Someone"})  # did not show him
    frontdesk.call("viewProviderCustomerDetails", {"customerId": cid})
    admin.call("updateProviderCustomer", {"customerId": cid, "address": "2 Broad St"})
    report = admin.call("getAccessReport", {"customerId": cid})
    assert report["customerId"] == cid
    actions = [(e["user"], e["action"], e["kind"]) for e in report["entries"]]
    assert actions == [
        ("femi", "create", "changed"),
        ("femi", "list", "seen"),
        ("femi", "view", "seen"),
        ("admin", "update", "changed"),
    ]
    people = {p["user"]: p for p in report["people"]}
    assert (people["femi"]["seen"], people["femi"]["changed"]) == (2, 1)
    assert (people["admin"]["seen"], people["admin"]["changed"]) == (0, 1)
    entry = last_entry(admin, "export")
    assert entry["entityId"] == cid and entry["detail"]["kind"] == "accessReport"
    # bounded by dates (branch-local days)
    today = clock.local_date(clock.now()).isoformat()
    assert admin.call("getAccessReport", {"customerId": cid, "to": "2000-01-01"})["entries"] == []
    bounded = admin.call("getAccessReport", {"customerId": cid, "from": today, "to": today})
    assert len(bounded["entries"]) == 6  # the two earlier reports are in it too


def test_errors(admin: DeskSession, pharmacist: DeskSession) -> None:
    cid = customer(admin, "Zainab Lawal", "08030006666")
    assert refused(pharmacist, "getAccessReport", {"customerId": cid}).code == "PERMISSION_DENIED"
    for params, code, field in [
        ({}, "VALIDATION_ERROR", "customerId"),
        ({"customerId": cid, "from": "2026-02-02", "to": "2026-02-01"}, "VALIDATION_ERROR", "to"),
        ({"customerId": cid, "from": "yesterday"}, "VALIDATION_ERROR", "from"),
        ({"customerId": "CUST-999"}, "NOT_FOUND", "customerId"),
    ]:
        error = refused(admin, "getAccessReport", params)
        assert (error.code, error.field) == (code, field)
