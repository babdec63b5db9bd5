"""On a branch server an operation that only reads runs beside the other desks' instead
of after them: it takes the desks' transaction lock only where it writes (its audit
entry, appended by the server's function, or a pause it ends). Every change still starts
by taking it. On a file every transaction holds SQLite's write lock from its BEGIN."""

from __future__ import annotations

import pytest

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.registry import REGISTRY
from pharmdesk.controllers.session import DeskSession
from pharmdesk.store.desk_lock import TRANSACTION_LOCK
from tests.controllers.conftest import StatementsOf

LOCK = f"SELECT pg_advisory_xact_lock({TRANSACTION_LOCK})"
READS = (
    "fetchCustomers",
    "viewProviderCustomerDetails",
    "getCustomersByCondition",
    "getCustomersWithUpcomingRefills",
    "getHighValueCustomers",
    "getCampaignAudience",
)


def _begins(store: str, statements: list[str]) -> int:
    return statements.count(LOCK if store == "postgresql" else "BEGIN IMMEDIATE")


def test_the_searches_profile_and_segments_are_the_reading_operations() -> None:
    assert {name for name, op in REGISTRY.items() if op.reads} == set(READS)


def test_a_search_and_a_profile_read_without_the_lock_a_change_takes_it(
    admin: DeskSession, store: str, statements_of: StatementsOf
) -> None:
    customer = admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031112222"})
    number = customer["customerId"]
    searched = statements_of(admin, lambda: admin.call("fetchCustomers", {"search": "ada"}))
    viewed = statements_of(
        admin, lambda: admin.call("viewProviderCustomerDetails", {"customerId": number})
    )
    changed = statements_of(
        admin,
        lambda: admin.call("updateProviderCustomer", {"customerId": number, "address": "Lekki"}),
    )
    if store == "postgresql":
        assert _begins(store, searched) == _begins(store, viewed) == 0
        # ... and their audit entries still go through the server's append (which locks).
        assert any("pharmdesk_audit_append" in s for s in searched)
        assert any("pharmdesk_audit_append" in s for s in viewed)
    else:
        assert _begins(store, searched) == _begins(store, viewed) == 1
    assert _begins(store, changed) == 1


def test_a_profile_that_ends_a_pause_takes_the_lock_before_it_writes(
    admin: DeskSession, store: str, statements_of: StatementsOf, clock: FixedClock
) -> None:
    plan = admin.call(
        "addPlan",
        {"name": "Hypertension Care", "medications": ["Amlodipine 5mg"], "frequency": "monthly",
         "price": 15000},
    )["planId"]  # fmt: skip
    customer = admin.call(
        "addProviderCustomer",
        {"name": "Kemi Bello", "phone": "08032223333", "noKnownAllergies": True},
    )["customerId"]
    sub = admin.call("addCustomerPlan", {"customerId": customer, "planId": plan})["subscriptionId"]
    admin.call("pauseCustomerPlan", {"subscriptionId": sub, "resumeDate": "2026-06-03"})
    clock.advance(days=46)  # the resume date
    admin.call("listPlans", {})  # (and the audit checkpoint that time is due for)
    sent = statements_of(
        admin, lambda: admin.call("viewProviderCustomerDetails", {"customerId": customer})
    )
    answer = admin.call("viewProviderCustomerDetails", {"customerId": customer})
    assert answer["plans"][0]["status"] == "active"
    writes = [i for i, s in enumerate(sent) if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert writes
    if store == "postgresql":
        assert sent.count(LOCK) == 1
        assert sent.index(LOCK) < writes[0]
    else:
        assert sent.count("BEGIN IMMEDIATE") == 1


@pytest.mark.parametrize("name", READS)
def test_reading_operations_write_nothing_but_their_audit_entry(
    admin: DeskSession, store: str, statements_of: StatementsOf, name: str
) -> None:
    """What ``reads`` promises: without a pause to end, no statement of theirs writes."""
    admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031112222"})
    params = {
        "fetchCustomers": {"search": "ada"},
        "viewProviderCustomerDetails": {"customerId": "CUST-1"},
        "getCustomersByCondition": {"condition": "diabetes"},
        "getCustomersWithUpcomingRefills": {"days": 7},
        "getHighValueCustomers": {"minSpend": 0},
        "getCampaignAudience": {"segment": "highValue", "minSpend": 0},
    }[name]
    sent = statements_of(admin, lambda: admin.call(name, params))
    writes = [s for s in sent if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    audit_writes = [s for s in writes if "audit_entry" in s or "audit_customer" in s]
    assert writes == audit_writes
