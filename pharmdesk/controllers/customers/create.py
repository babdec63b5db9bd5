"""Registering customers: ``addProviderCustomer`` and the batch writer an import
shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert

from pharmdesk.clock import to_iso
from pharmdesk.controllers import audit
from pharmdesk.controllers.consent import records as consent_records
from pharmdesk.controllers.consent.languages import DEFAULT_LANGUAGE
from pharmdesk.controllers.customers.labels import UNKNOWN, allergy_state, insert_labels, label_rows
from pharmdesk.controllers.customers.lookup import cust_id
from pharmdesk.controllers.customers.marketing_consent import consent_events, consent_values
from pharmdesk.controllers.customers.rules import customer_fields, duplicate_check, normalise
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import phone_search_forms, search_key
from pharmdesk.store.schema import Customer, CustomerAllergy, CustomerCondition


# -- addProviderCustomer -----------------------------------------------------------------
@dataclass(frozen=True)
class NewCustomer:
    """A customer to create: fields already through ``normalise`` and ``duplicate_check``
    (or ``existing_duplicates``), and what its ``create`` audit entry says."""

    data: dict[str, Any]
    audit_detail: dict[str, Any]


_NO_CONSENT = {"marketing_consent": False, "consent_recorded_at": None, "consent_recorded_by": None}


def _new_customer_values(op: Op, data: dict[str, Any]) -> dict[str, Any]:
    status = allergy_state(data.get("allergies") or [], bool(data.get("noKnownAllergies")))
    now = op.naive_now
    consent = bool(data.get("marketingConsent"))
    return {
        "name": data["name"],
        "name_key": search_key(data["name"]),
        "phone": data["phone"],
        "phone_search": phone_search_forms(data["phone"]),
        "email": data.get("email"),
        "address": data.get("address"),
        "date_of_birth": data.get("dateOfBirth"),
        "allergy_status": status,
        "allergies_confirmed_at": now if status != UNKNOWN else None,
        "allergies_confirmed_by": op.user if status != UNKNOWN else None,
        "notes": data.get("notes"),
        "language": data.get("language") or DEFAULT_LANGUAGE,
        **(consent_values(op, True) if consent else _NO_CONSENT),
        "archived": False,
        "version": 1,
        "total_orders": 0,
        "total_spent": 0,
        "last_order": None,
        "active_plans": 0,
        "created_at": now,
        "updated_at": now,
    }


_INSERT_CUSTOMERS = insert(Customer).returning(Customer.id, sort_by_parameter_order=True)


def create_customers(op: Op, new: list[NewCustomer]) -> list[int]:
    """Write customers as ``addProviderCustomer`` creates them, in their order: the
    customer rows (the search-index triggers fire per row), their allergy and condition
    lists, consent history, and one ``create`` audit entry each. A batch is a few
    statements whatever its size (an import sends hundreds at a time). Returns the ids."""
    if not new:
        return []
    conn = op.tx.connection()
    values = [_new_customer_values(op, c.data) for c in new]
    numbers = [int(n) for n in conn.scalars(_INSERT_CUSTOMERS, values)]
    for label_table, field in (
        (CustomerAllergy, "allergies"),
        (CustomerCondition, "medicalConditions"),
    ):
        insert_labels(
            op.tx,
            label_table,
            [
                row
                for number, c in zip(numbers, new, strict=True)
                for row in label_rows(number, c.data.get(field) or [])
            ],
        )
    agreed = [(n, c) for n, c in zip(numbers, new, strict=True) if c.data.get("marketingConsent")]
    consent_events(op, [n for n, _c in agreed], True)
    for method in ("form", "import"):
        consent_records.record(
            op,
            [n for n, c in agreed if ("importId" in c.audit_detail) == (method == "import")],
            consent_records.MARKETING,
            consent_records.CHANNELS,
            True,
            method,
            sync_summary=False,
        )
    consent_records.record_new(
        op,
        [
            (n, c.data["consents"], "import" if "importId" in c.audit_detail else "form")
            for n, c in zip(numbers, new, strict=True)
            if c.data.get("consents")
        ],
    )
    audit.append_many(
        op.tx,
        at=op.now,
        user=op.user,
        entries=[
            audit.Entry("create", "customer", cust_id(n), c.audit_detail)
            for n, c in zip(numbers, new, strict=True)
        ],
    )
    return numbers


@operation("addProviderCustomer", params=customer_fields(for_update=False))
def add_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    data = normalise(op, p)
    duplicate_check(op.tx, data["name"], data["phone"], None)
    (number,) = create_customers(op, [NewCustomer(data, {"fields": sorted(p)})])
    return {
        "success": True,
        "customerId": cust_id(number),
        "message": "Customer created successfully",
        "createdAt": to_iso(op.now),
    }
