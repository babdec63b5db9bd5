"""The demo generator applies the text rules of API.md v3 like the operations: a catalog
medication pasted with an invisible character keeps its drug class, so the demo never
enrolls a penicillin-allergic customer in it and the desk still flags it for review."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pharmdesk import demo
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import sign_in
from pharmdesk.errors import VALIDATION_ERROR, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import CustomerAllergy, Plan, Subscription
from pharmdesk.store.vault import KdfParams

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
CATALOG = [
    {
        "name": "Chest Infection\u00a0Course\u200b",
        "medications": ["Amoxi\u200bcil\u00adlin 500mg", "Paracetamol 500mg"],
        "frequency": "monthly",
        "price": 4000,
    },
    {
        "name": "Hypertension Care",
        "medications": ["Amlodipine 5mg"],
        "frequency": "monthly",
        "price": 15000,
    },
]


def test_a_zero_width_catalog_medication_still_triggers_the_allergy_check(
    tmp_path: Path,
) -> None:
    files = DatabaseFiles(tmp_path / "demo.db")
    demo.create_demo(
        files, customers=300, seed=3, clock=FixedClock(), kdf=FAST, workers=1, catalog=CATALOG
    )
    desk = sign_in(files, demo.DEMO_USER, demo.DEMO_PASSWORD, clock=FixedClock())
    try:
        with desk.db.transaction() as tx:
            course = tx.scalars(select(Plan).where(Plan.name == "Chest Infection Course")).one()
            assert list(course.medications) == ["Amoxicillin 500mg", "Paracetamol 500mg"]
            allergic = set(
                tx.scalars(
                    select(CustomerAllergy.customer_id).where(CustomerAllergy.label == "Penicillin")
                )
            )
            enrolled = set(
                tx.scalars(
                    select(Subscription.customer_id).where(Subscription.plan_id == course.id)
                )
            )
        assert allergic and enrolled  # both kinds of customer exist...
        assert not allergic & enrolled  # ...and the demo kept them apart
        customer = f"CUST-{min(allergic)}"
        plan = f"PLAN-{course.id}"
        answer = desk.call("addCustomerPlan", {"customerId": customer, "planId": plan})
        assert answer["status"] == "pendingReview"
        assert [w["kind"] for w in answer["warnings"]] == ["allergyConflict"]
    finally:
        desk.close()


def test_a_catalog_with_a_look_alike_letter_is_refused(tmp_path: Path) -> None:
    catalog = [{**CATALOG[1], "medications": ["Aml\u043edipine 5mg"]}]
    with pytest.raises(PharmDeskError) as caught:
        demo.create_demo(
            DatabaseFiles(tmp_path / "demo.db"), customers=5, kdf=FAST, workers=1, catalog=catalog
        )
    assert caught.value.code == VALIDATION_ERROR
    assert "'\u043e' (Cyrillic, U+043E)" in caught.value.message
    assert not (tmp_path / "demo.db").exists()
