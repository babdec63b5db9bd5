"""Merge then undo puts both records back exactly, whatever they held (Hypothesis)."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pharmdesk.controllers.session import DeskSession
from tests.record.test_merge import _state

ALLERGIES = ["Penicillin", "Sulfonamides", "Aspirin", "Codeine"]
CONDITIONS = ["Hypertension", "Asthma", "Diabetes Type 2"]
CHANNELS = ["sms", "whatsapp"]
_serial = itertools.count()

record = st.fixed_dictionaries(
    {
        "allergies": st.lists(st.sampled_from(ALLERGIES), unique=True, max_size=3),
        "conditions": st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=2),
        "orders": st.lists(
            st.tuples(st.integers(0, 50_000), st.sampled_from(["completed", "pending"])),
            max_size=3,
        ),
        "consents": st.lists(st.tuples(st.sampled_from(CHANNELS), st.booleans()), max_size=3),
        "payer": st.booleans(),
        "email": st.sampled_from([None, "a@example.com", "b@example.com"]),
    }
)


def _make(admin: DeskSession, data: dict[str, Any], name: str) -> str:
    n = next(_serial)
    params: dict[str, Any] = {"name": name, "phone": f"0803{n:07d}"}
    if data["allergies"]:
        params["allergies"] = data["allergies"]
    if data["conditions"]:
        params["medicalConditions"] = data["conditions"]
    if data["email"]:
        params["email"] = data["email"]
    cid = str(admin.call("addProviderCustomer", params)["customerId"])
    for total, status in data["orders"]:
        admin.call("recordOrder", {"customerId": cid, "total": total, "status": status})
    for channel, granted in data["consents"]:
        admin.call(
            "setConsent",
            {
                "customerId": cid,
                "purpose": "reminders",
                "channel": channel,
                "granted": granted,
                "method": "verbal",
            },
        )
    if data["payer"]:
        admin.call("setPayer", {"customerId": cid, "payer": "Leadway Health", "memberId": f"L{n}"})
    return cid


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(keep=record, other=record, take_other=st.booleans())
def test_merge_and_undo_restore_both_records(
    admin: DeskSession, keep: dict[str, Any], other: dict[str, Any], take_other: bool
) -> None:
    a = _make(admin, keep, "Ngozi Eze")
    b = _make(admin, other, "Ngozi Ezeh")
    before = _state(admin, a, b)
    view_a = admin.call("viewProviderCustomerDetails", {"customerId": a})
    view_b = admin.call("viewProviderCustomerDetails", {"customerId": b})
    fields = {
        f: ("merge" if take_other else "keep")
        for f in ("name", "phone", "email", "payer")
        if view_a.get(f) != view_b.get(f)
    }
    merge = admin.call(
        "mergeCustomers", {"keepId": a, "mergeId": b, "fields": fields, "reason": "property"}
    )["mergeId"]
    merged = admin.call("viewProviderCustomerDetails", {"customerId": a})
    completed = [t for t, s in keep["orders"] + other["orders"] if s == "completed"]
    assert merged["stats"]["totalOrders"] == len(completed)
    assert merged["stats"]["totalSpent"] == sum(completed)
    assert set(merged["allergies"]) == set(keep["allergies"]) | set(other["allergies"])
    admin.call("undoMerge", {"mergeId": merge, "reason": "property"})
    assert _state(admin, a, b) == before
