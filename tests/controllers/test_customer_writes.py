"""The customer write paths as plain statements: an import batch writes what the form
writes, one audit entry per customer in the chain; the profile and the update read and
write only what they need (customers.create_customers, read_customer, update_customer)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.audit import Entry, append_many, chain_head, verify_chain
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry, CustomerAllergy

IMPORT_ID = "IMP-test-writes"
FULL = {
    "email": "ada@example.com",
    "address": "  12  Allen   Avenue ",
    "dateOfBirth": "1985-06-15",
    "allergies": ["Penicillin", "Sulfa"],
    "medicalConditions": ["Hypertension"],
    "notes": " Prefers calls ",
    "marketingConsent": True,
}
SAME_EVERY_TIME = ("id", "name", "phone")


def imported(desk: DeskSession, *customers: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"row": n + 2, "customer": c} for n, c in enumerate(customers)]
    return list(desk.call("importCustomers", {"importId": IMPORT_ID, "rows": rows})["results"])


def creates(desk: DeskSession) -> list[tuple[int, str | None, dict[str, Any]]]:
    with desk.db.transaction() as tx:
        found = tx.execute(
            select(AuditEntry.id, AuditEntry.entity_id, AuditEntry.detail)
            .where(AuditEntry.action == "create", AuditEntry.entity_type == "customer")
            .order_by(AuditEntry.id)
        ).all()
    return [(number, entity, json.loads(detail)) for number, entity, detail in found]


def chain_ok(desk: DeskSession) -> bool:
    with desk.db.transaction() as tx:
        return verify_chain(tx, None).ok


def profile(desk: DeskSession, customer: str) -> dict[str, Any]:
    return dict(desk.call("viewProviderCustomerDetails", {"customerId": customer}))


def test_an_imported_customer_is_stored_as_the_form_stores_one(admin: DeskSession) -> None:
    typed = admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031234567", **FULL})
    [row] = imported(admin, {"name": "Bola Ade", "phone": "08059998888", **FULL})
    assert row["outcome"] == "created"
    by_form = profile(admin, typed["customerId"])
    by_import = profile(admin, row["customerId"])
    # Consent is the same, except for how it was given (its proof): the form or the import.
    assert {k: v for k, v in by_import.items() if k not in SAME_EVERY_TIME} == {
        k: v
        for k, v in by_form.items()
        if k not in SAME_EVERY_TIME
        for v in [
            [{**c, "method": "import"} if c["granted"] else c for c in v] if k == "consents" else v
        ]
    }
    assert {c["method"] for c in by_form["consents"] if c["granted"]} == {"form"}
    assert by_import["allergies"] == ["Penicillin", "Sulfa"]
    assert by_import["address"] == "12 Allen Avenue"
    assert by_import["marketingConsentRecordedBy"] == admin.staff.username
    history = admin.call("exportCustomerData", {"customerId": row["customerId"]})
    assert [c["consent"] for c in history["consentHistory"]] == [True]
    # The search index triggers fired for the batch insert.
    found = admin.call("fetchCustomers", {"search": "bola"})["customers"]
    assert [c["id"] for c in found] == [row["customerId"]]


def test_a_batch_writes_one_create_entry_per_customer_in_the_chain(admin: DeskSession) -> None:
    results = imported(
        admin,
        {"name": "Ada Obi", "phone": "08031234567", "allergies": ["Latex"]},
        {"name": "Bola Ade", "phone": "08059998888"},
        {"name": "ada  obi", "phone": "0803 123 4567"},  # row 4 repeats row 2
        {"name": "Chidi Eze", "phone": "0801"},
        {"name": "Dayo Ige", "phone": "08057776666", "medicalConditions": ["Asthma"]},
    )
    assert [r["outcome"] for r in results] == [
        "created",
        "created",
        "duplicate",
        "error",
        "created",
    ]
    assert results[2]["message"].startswith("This customer is already on file as CUST-1 ")
    assert [r.get("customerId") for r in results] == ["CUST-1", "CUST-2", None, None, "CUST-3"]
    entries = creates(admin)
    assert [(entity, detail["importRow"]) for _n, entity, detail in entries] == [
        ("CUST-1", 2),
        ("CUST-2", 3),
        ("CUST-3", 6),
    ]
    assert all(detail["importId"] == IMPORT_ID for _n, _e, detail in entries)
    assert entries[2][2]["fields"] == ["medicalConditions", "name", "phone"]
    assert chain_ok(admin)
    assert profile(admin, "CUST-3")["medicalConditions"] == ["Asthma"]
    assert profile(admin, "CUST-1")["allergies"] == ["Latex"]


def test_a_batch_of_exact_duplicates_writes_nothing(admin: DeskSession) -> None:
    imported(admin, {"name": "Ada Obi", "phone": "08031234567"})
    before = creates(admin)
    again = imported(admin, {"name": "Ada Obi", "phone": "+2348031234567"})
    assert again[0]["outcome"] == "duplicate"
    assert creates(admin) == before


def test_append_many_chains_entries_in_order(admin: DeskSession) -> None:
    with admin.db.transaction() as tx:
        start = chain_head(tx)
        assert start is not None
        head = append_many(
            tx,
            at=admin.clock.now(),
            user="ada",
            entries=[Entry("note", detail={"n": 1}), Entry("note", "customer", "CUST-9")],
        )
        assert head.entry_id == start.entry_id + 2
        with pytest.raises(ValueError):
            append_many(tx, at=admin.clock.now(), user="ada", entries=[])
    assert chain_ok(admin)


def test_profile_shows_a_plan_resumed_as_it_is_read(admin: DeskSession, clock: FixedClock) -> None:
    customer = admin.call("addProviderCustomer", {"name": "Kemi Bello", "phone": "08035550001"})
    plan = admin.call(
        "addPlan",
        {"name": "BP Care", "medications": ["Amlodipine 5mg"], "frequency": "monthly", "price": 9},
    )["planId"]
    sub = admin.call(
        "addCustomerPlan",
        {
            "customerId": customer["customerId"],
            "planId": plan,
            "preferences": {"deliveryDay": "Monday"},
        },
    )["subscriptionId"]
    admin.call("pauseCustomerPlan", {"subscriptionId": sub, "resumeDate": "2026-06-03"})
    assert profile(admin, customer["customerId"])["stats"]["activePlans"] == 0
    clock.advance(days=46)  # Wednesday 3 June: the pause ends when the profile is read
    shown = profile(admin, customer["customerId"])
    assert shown["stats"]["activePlans"] == 1
    assert [p["status"] for p in shown["plans"]] == ["active"]


def test_update_reads_the_allergies_it_is_asked_to_judge(admin: DeskSession) -> None:
    customer = admin.call(
        "addProviderCustomer",
        {"name": "Ada Obi", "phone": "08031234567", "allergies": ["Penicillin"]},
    )["customerId"]
    with pytest.raises(PharmDeskError) as info:
        admin.call("updateProviderCustomer", {"customerId": customer, "noKnownAllergies": True})
    assert (info.value.code, info.value.field) == (VALIDATION_ERROR, "noKnownAllergies")
    answer = admin.call(
        "updateProviderCustomer",
        {"customerId": customer, "address": "3 Broad Street", "medicalConditions": []},
    )
    assert (answer["updatedFields"], answer["version"]) == (["address"], 2)
    shown = profile(admin, customer)
    assert (shown["allergies"], shown["allergyStatus"], shown["version"]) == (
        ["Penicillin"],
        "recorded",
        2,
    )
    cleared = admin.call(
        "updateProviderCustomer",
        {"customerId": customer, "allergies": [], "noKnownAllergies": True, "expectedVersion": 2},
    )
    assert cleared["updatedFields"] == ["allergies", "noKnownAllergies"]
    with admin.db.transaction() as tx:
        assert tx.scalars(select(CustomerAllergy.label)).all() == []
    assert profile(admin, customer)["allergyStatus"] == "noneKnown"
    assert chain_ok(admin)
