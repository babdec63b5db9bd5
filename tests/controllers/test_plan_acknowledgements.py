"""acknowledgePlanConflicts: the audited record that staff saw an allergy conflict."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import NOT_FOUND, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry


def refused(desk: DeskSession, params: Any) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call("acknowledgePlanConflicts", params)
    return info.value


def enroll_entries(desk: DeskSession) -> list[AuditEntry]:
    with desk.db.transaction() as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == "enroll").order_by(AuditEntry.id)
            )
        )


@pytest.fixture
def plans(admin: DeskSession) -> dict[str, str]:
    def add(name: str, medications: list[str]) -> str:
        answer = admin.call(
            "addPlan",
            {"name": name, "medications": medications, "frequency": "monthly", "price": 9000},
        )
        return str(answer["planId"])

    return {
        "conflict": add("Chest Infection Pack", ["Amoxicillin 500mg", "Paracetamol 500mg"]),
        "safe": add("Hypertension Care", ["Amlodipine 5mg"]),
    }


def customer(desk: DeskSession, **extra: Any) -> str:
    answer = desk.call(
        "addProviderCustomer", {"name": "Kemi Bello", "phone": "08031110000", **extra}
    )
    return str(answer["customerId"])


def test_acknowledgement_is_audited_with_the_conflicts(
    frontdesk: DeskSession, admin: DeskSession, plans: dict[str, str]
) -> None:
    cust = customer(frontdesk, allergies=["Penicillin"])
    answer = frontdesk.call(
        "acknowledgePlanConflicts", {"customerId": cust, "planId": plans["conflict"]}
    )
    assert answer == {"success": True, "acknowledged": 1}
    [entry] = enroll_entries(admin)
    assert (entry.user, entry.entity_type, entry.entity_id, entry.outcome) == (
        "femi",
        "customer",
        cust,
        "success",
    )
    detail = json.loads(entry.detail) if isinstance(entry.detail, str) else entry.detail
    assert detail == {
        "event": "acknowledgeConflicts",
        "planId": plans["conflict"],
        "conflicts": [{"allergy": "Penicillin", "medication": "Amoxicillin 500mg"}],
    }


@pytest.mark.parametrize("extra", [{}, {"noKnownAllergies": True}, {"allergies": ["Sulfa"]}])
def test_nothing_to_acknowledge_is_refused_and_writes_nothing(
    admin: DeskSession, plans: dict[str, str], extra: dict[str, Any]
) -> None:
    cust = customer(admin, **extra)
    exc = refused(admin, {"customerId": cust, "planId": plans["safe"]})
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "planId")
    assert "nothing to acknowledge" in exc.message
    assert enroll_entries(admin) == []


def test_errors(admin: DeskSession, plans: dict[str, str]) -> None:
    cust = customer(admin, allergies=["Penicillin"])
    exc = refused(admin, {"customerId": cust, "planId": "PLAN-999"})
    assert (exc.code, exc.field) == (NOT_FOUND, "planId")
    exc = refused(admin, {"customerId": "CUST-999", "planId": plans["conflict"]})
    assert (exc.code, exc.field) == (NOT_FOUND, "customerId")
    exc = refused(admin, {"customerId": cust, "planId": "SUB-1"})
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "planId")
    exc = refused(admin, {"customerId": cust})
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "planId")
    exc = refused(admin, {"customerId": cust, "planId": plans["conflict"], "note": "x"})
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "note")
    assert enroll_entries(admin) == []
