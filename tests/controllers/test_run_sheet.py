"""getRefillRunSheet: one line per delivery due, in run order, audited as a print."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry

_phones = iter(range(1_000_000, 9_999_999))


def customer(desk: DeskSession, name: str, **extra: Any) -> str:
    params = {"name": name, "phone": f"0803{next(_phones)}", "noKnownAllergies": True, **extra}
    return str(desk.call("addProviderCustomer", params)["customerId"])


def plan(desk: DeskSession, name: str, frequency: str = "weekly") -> str:
    params = {"name": name, "medications": [f"{name} 5mg"], "frequency": frequency, "price": 100}
    return str(desk.call("addPlan", params)["planId"])


def enroll(
    desk: DeskSession,
    cust: str,
    plan_id: str,
    start: str,
    day: str | None = None,
    time: str | None = None,
) -> str:
    preferences = {k: v for k, v in (("deliveryDay", day), ("deliveryTime", time)) if v}
    answer = desk.call(
        "addCustomerPlan",
        {"customerId": cust, "planId": plan_id, "startDate": start, "preferences": preferences},
    )
    return str(answer["subscriptionId"])


def prints(desk: DeskSession) -> list[dict[str, Any]]:
    with desk.db.transaction() as tx:
        rows = tx.scalars(select(AuditEntry).where(AuditEntry.action == "print"))
        return [json.loads(e.detail) if isinstance(e.detail, str) else e.detail for e in rows]


def test_run_order_date_then_time_then_name(admin: DeskSession, frontdesk: DeskSession) -> None:
    a, b = plan(admin, "Alpha"), plan(admin, "Beta", "monthly")
    zara = customer(admin, "Zara Eze", address="1 Marina, Lagos")
    ade = customer(admin, "Ade Bello")
    kemi = customer(admin, "Kemi Obi")
    enroll(admin, zara, a, "2026-04-18", time="morning")
    enroll(admin, ade, a, "2026-04-18", time="evening")
    enroll(admin, kemi, a, "2026-04-18")  # any time: after evening
    enroll(admin, ade, b, "2026-04-18", time="morning")
    enroll(admin, kemi, b, "2026-04-20", "Monday", "afternoon")
    enroll(admin, zara, b, "2026-05-01")  # outside 7 days
    answer = frontdesk.call("getRefillRunSheet", {"days": 7})
    assert (answer["today"], answer["days"], answer["truncated"]) == ("2026-04-18", 7, False)
    lines = [
        (d["nextDelivery"], d["deliveryTime"], d["name"], d["planName"])
        for d in answer["deliveries"]
    ]
    assert lines == [
        ("2026-04-18", "morning", "Ade Bello", "Beta"),
        ("2026-04-18", "morning", "Zara Eze", "Alpha"),
        ("2026-04-18", "evening", "Ade Bello", "Alpha"),
        ("2026-04-18", None, "Kemi Obi", "Alpha"),
        ("2026-04-20", "afternoon", "Kemi Obi", "Beta"),
    ]
    zara_line = answer["deliveries"][1]
    assert zara_line == {
        "nextDelivery": "2026-04-18",
        "deliveryTime": "morning",
        "subscriptionId": "SUB-1",
        "planName": "Alpha",
        "medications": ["Alpha 5mg"],
        "customerId": zara,
        "name": "Zara Eze",
        "phone": zara_line["phone"],
        "address": "1 Marina, Lagos",
        "collectedBy": [],
    }
    assert zara_line["phone"].startswith("+234803")
    assert prints(admin) == [
        {
            "document": "refillRunSheet",
            "days": 7,
            "deliveries": 5,
            "truncated": False,
            "customerIds": [ade, zara, kemi],  # each once, in run order
        }
    ]


def test_only_active_unarchived_and_overdue_included(admin: DeskSession) -> None:
    a = plan(admin, "Alpha")
    paused, cancelled, archived, done = (
        customer(admin, n) for n in ("Paused P", "Cancel C", "Archive A", "Done D")
    )
    sub = enroll(admin, paused, a, "2026-04-18")
    admin.call("pauseCustomerPlan", {"subscriptionId": sub})
    sub = enroll(admin, cancelled, a, "2026-04-18")
    admin.call("cancelCustomerPlan", {"subscriptionId": sub})
    enroll(admin, archived, a, "2026-04-18")
    admin.call("archiveCustomer", {"customerId": archived})
    sub = enroll(admin, done, a, "2026-04-18")
    assert [d["name"] for d in admin.call("getRefillRunSheet", {"days": 0})["deliveries"]] == [
        "Done D"
    ]
    admin.call("recordOrder", {"customerId": done, "total": 100, "subscriptionId": sub})
    assert admin.call("getRefillRunSheet", {"days": 0})["deliveries"] == []
    assert [
        d["nextDelivery"] for d in admin.call("getRefillRunSheet", {"days": 7})["deliveries"]
    ] == ["2026-04-25"]


@pytest.mark.parametrize(
    "params", [{}, {"days": -1}, {"days": 366}, {"days": "7"}, {"days": 7, "page": 1}]
)
def test_params(admin: DeskSession, params: dict[str, Any]) -> None:
    with pytest.raises(PharmDeskError) as info:
        admin.call("getRefillRunSheet", params)
    assert info.value.code == VALIDATION_ERROR
    assert prints(admin) == []
