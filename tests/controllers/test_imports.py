"""checkImportRows, importCustomers and recordImport: the import's operations."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from pharmdesk.controllers import imports
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry, Customer
from tests.conftest import inspection

IMPORT_ID = "IMP-20260418-120000-abc123"


def rows(*customers: dict[str, Any], first_row: int = 2) -> list[dict[str, Any]]:
    return [{"row": first_row + i, "customer": c} for i, c in enumerate(customers)]


def check(desk: DeskSession, *customers: dict[str, Any]) -> list[dict[str, Any]]:
    answer = desk.call("checkImportRows", {"importId": IMPORT_ID, "rows": rows(*customers)})
    return list(answer["results"])


def write(desk: DeskSession, *customers: dict[str, Any]) -> list[dict[str, Any]]:
    answer = desk.call("importCustomers", {"importId": IMPORT_ID, "rows": rows(*customers)})
    return list(answer["results"])


def error_of(desk: DeskSession, operation: str, params: Any) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(operation, params)
    return info.value


def entries(desk: DeskSession, action: str) -> list[tuple[str | None, dict[str, Any]]]:
    with inspection(desk) as tx:
        found = tx.execute(
            select(AuditEntry.entity_id, AuditEntry.detail)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        ).all()
    return [(entity, json.loads(detail)) for entity, detail in found]


def customer_count(desk: DeskSession) -> int:
    with inspection(desk) as tx:
        return int(tx.scalar(select(func.count()).select_from(Customer)) or 0)


def form_message(desk: DeskSession, customer: dict[str, Any]) -> tuple[str | None, str]:
    """What addProviderCustomer (the customer form's operation) says about these params."""
    exc = error_of(desk, "addProviderCustomer", customer)
    return exc.field, exc.message


# -- checkImportRows ------------------------------------------------------------------------
def test_check_classifies_each_row_and_writes_nothing(admin: DeskSession) -> None:
    admin.call("addProviderCustomer", {"name": "Ngozi Okeke", "phone": "08031234567"})
    admin.call(
        "addProviderCustomer",
        {"name": "Okafor Chinedu", "phone": "07035550000", "dateOfBirth": "1990-05-01"},
    )
    before = customer_count(admin)
    results = check(
        admin,
        {"name": "Adebayo Okafor", "phone": "0802 123 4567", "dateOfBirth": "1985-06-15"},
        {"name": "NGOZI  okeke", "phone": "+234 803 123 4567"},
        {"name": "Bisi Okeke", "phone": "0803 123 4567"},
        {"name": "Chinedu Okafor", "phone": "0809 000 1111", "dateOfBirth": "1990-05-01"},
        {"name": "Bad Row", "phone": "0801", "email": "x@"},
    )
    assert results[0] == {"row": 2, "outcome": "create", "phone": "+2348021234567"}
    assert results[1]["outcome"] == "duplicate"
    assert (
        results[1]["message"]
        == form_message(admin, {"name": "NGOZI  okeke", "phone": "+234 803 123 4567"})[1]
    )
    assert "CUST-1" in results[1]["message"]
    assert results[2]["outcome"] == "likelyDuplicate"
    assert results[2]["matches"] == [
        {"id": "CUST-1", "name": "Ngozi Okeke", "phone": "+2348031234567", "reason": "samePhone"}
    ]
    assert results[3]["outcome"] == "likelyDuplicate"
    assert [(m["id"], m["reason"]) for m in results[3]["matches"]] == [
        ("CUST-2", "similarNameSameBirthDate")
    ]
    assert results[4] == {
        "row": 6,
        "outcome": "error",
        "errors": [
            {"field": "phone", "message": "Phone number 0801 is not a valid number."},
            {
                "field": "email",
                "message": "'x@' is not a valid email address (expected name@example.com).",
            },
        ],
    }
    assert customer_count(admin) == before
    assert entries(admin, "list")[-1] == (
        None,
        {
            "purpose": "importCheck",
            "importId": IMPORT_ID,
            "rows": 5,
            "shown": 3,
            # Who was shown: the exact duplicate's customer and the likely duplicate.
            "customerIds": ["CUST-1", "CUST-2"],
        },
    )
    assert len(entries(admin, "create")) == 2  # only the two set up


@pytest.mark.parametrize(
    "customer",
    [
        {"name": "A", "phone": "08031234567"},
        {"name": "Ada Obi", "phone": ""},
        {"name": "Ada Obi", "phone": "12345"},
        {"name": "Ada Obi", "phone": "08031234567", "email": "ada@"},
        {"name": "Ada Obi", "phone": "08031234567", "dateOfBirth": "2030-01-01"},
        {"name": "Ada Obi", "phone": "08031234567", "dateOfBirth": "1899-12-31"},
        {
            "name": "Ada Obi",
            "phone": "08031234567",
            "allergies": ["Sulfa"],
            "noKnownAllergies": True,
        },
        {"name": "Ada Obi", "phone": "08031234567", "allergies": [" "]},
        {"name": "Ada Obi", "phone": "08031234567", "notes": "x" * 4001},
        {"name": "Ada Obi", "phone": "08031234567", "shoeSize": 42},
        {"name": "Ada Obi", "phone": "08031234567", "marketingConsent": "yes"},
        {"phone": "08031234567"},
    ],
)
def test_check_errors_carry_the_customer_forms_own_field_and_message(
    admin: DeskSession, customer: dict[str, Any]
) -> None:
    (result,) = check(admin, customer)
    assert result["outcome"] == "error"
    field, message = form_message(admin, customer)
    assert {"field": field, "message": message} in result["errors"]


def test_an_archived_customer_is_still_an_exact_duplicate(admin: DeskSession) -> None:
    admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031234567"})
    admin.call("archiveCustomer", {"customerId": "CUST-1"})
    (result,) = check(admin, {"name": "Ada Obi", "phone": "08031234567"})
    assert result["outcome"] == "duplicate"
    (other,) = check(admin, {"name": "Bola Obi", "phone": "08031234567"})
    assert other["outcome"] == "create"  # archived customers are not "likely" anyone


# -- importCustomers ------------------------------------------------------------------------
def test_import_creates_through_add_provider_customer_with_the_import_id(
    admin: DeskSession,
) -> None:
    results = write(
        admin,
        {
            "name": "Adebayo Okafor",
            "phone": "0802 123 4567",
            "email": "ade@example.com",
            "dateOfBirth": "1985-06-15",
            "allergies": ["Penicillin"],
            "medicalConditions": ["Hypertension"],
            "marketingConsent": True,
        },
        {"name": "Chiamaka Eze", "phone": "0805 331 2090", "noKnownAllergies": True},
    )
    assert results == [
        {"row": 2, "outcome": "created", "customerId": "CUST-1"},
        {"row": 3, "outcome": "created", "customerId": "CUST-2"},
    ]
    first = admin.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    assert first["phone"] == "+2348021234567"
    assert first["dateOfBirth"] == "1985-06-15"
    assert first["allergies"] == ["Penicillin"]
    assert first["allergyStatus"] == "recorded"
    assert first["marketingConsent"] is True
    assert first["marketingConsentRecordedBy"] == "admin"
    second = admin.call("viewProviderCustomerDetails", {"customerId": "CUST-2"})
    assert second["allergyStatus"] == "noneKnown"
    created = entries(admin, "create")
    assert [entity for entity, _ in created] == ["CUST-1", "CUST-2"]
    assert created[0][1]["importId"] == IMPORT_ID
    assert created[0][1]["importRow"] == 2
    assert created[1][1]["importRow"] == 3
    assert "fields" in created[0][1]  # addProviderCustomer's own detail, kept


def test_import_skips_duplicates_and_reports_errors_and_goes_on(admin: DeskSession) -> None:
    admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031234567"})
    results = write(
        admin,
        {"name": "ada obi", "phone": "+2348031234567"},
        {"name": "Bad", "phone": "0801"},
        {"name": "Bola Ade", "phone": "08059998888"},
        {"name": "Bola Ade", "phone": "0805 999 8888"},
    )
    assert [r["outcome"] for r in results] == ["duplicate", "error", "created", "duplicate"]
    assert "CUST-1" in results[0]["message"]
    assert results[1]["errors"] == [
        {"field": "phone", "message": "Phone number 0801 is not a valid number."}
    ]
    assert "CUST-2" in results[3]["message"]  # the same batch's earlier row
    assert customer_count(admin) == 2


def test_a_failure_inside_a_batch_writes_none_of_it(
    admin: DeskSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    real: Callable[..., list[int]] = imports.create_customers
    calls: list[int] = []

    def flaky(op: Any, new: list[Any]) -> list[int]:
        calls.append(len(new))
        if len(calls) == 2:
            raise PharmDeskError(DATABASE_ERROR, "The disk refused.")
        return real(op, new)

    monkeypatch.setattr(imports, "create_customers", flaky)
    audit_before = len(entries(admin, "create"))
    with pytest.raises(PharmDeskError):
        write(
            admin,
            {"name": "Ada Obi", "phone": "08031234567"},
            {"name": "Bola Ade", "phone": "08059998888"},
            {"name": "Ada Obi", "phone": "0803 123 4567"},  # the rows before it are written
            {"name": "Chidi Eze", "phone": "08057776666"},
        )
    assert calls == [2, 1]  # two customers were written before the failure
    assert customer_count(admin) == 0
    assert len(entries(admin, "create")) == audit_before


# -- recordImport ---------------------------------------------------------------------------
def test_record_import_writes_the_one_summary_entry(admin: DeskSession) -> None:
    counts = {"rows": 10, "created": 7, "duplicates": 1, "likelyDuplicatesSkipped": 1, "errors": 1}
    answer = admin.call(
        "recordImport",
        {"importId": IMPORT_ID, "fileName": "customers.csv", "counts": counts, "cancelled": True},
    )
    assert answer == {"success": True}
    assert entries(admin, "import") == [
        (None, {"importId": IMPORT_ID, "file": "customers.csv", **counts, "cancelled": True})
    ]


def test_record_import_needs_every_count(admin: DeskSession) -> None:
    exc = error_of(
        admin,
        "recordImport",
        {"importId": IMPORT_ID, "fileName": "c.csv", "counts": {"rows": 1}},
    )
    assert exc.code == "VALIDATION_ERROR"
    assert exc.field == "counts.created"


# -- params and permissions ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"rows": rows({"name": "Ada", "phone": "0803"})}, "importId"),
        ({"importId": "", "rows": rows({"name": "Ada", "phone": "0803"})}, "importId"),
        ({"importId": IMPORT_ID}, "rows"),
        ({"importId": IMPORT_ID, "rows": []}, "rows"),
        ({"importId": IMPORT_ID, "rows": "Ada"}, "rows"),
        ({"importId": IMPORT_ID, "rows": [{"customer": {}}]}, "rows[0].row"),
        ({"importId": IMPORT_ID, "rows": [{"row": 0, "customer": {}}]}, "rows[0].row"),
        ({"importId": IMPORT_ID, "rows": [{"row": 2, "customer": []}]}, "rows"),
        ({"importId": IMPORT_ID, "rows": [{"row": 2, "customer": {}, "x": 1}]}, "rows[0].x"),
        (
            {"importId": IMPORT_ID, "rows": rows(*[{"name": "Ada", "phone": "0803"}] * 1001)},
            "rows",
        ),
        (
            {
                "importId": IMPORT_ID,
                "rows": [{"row": 2, "customer": {}}, {"row": 2, "customer": {}}],
            },
            "rows",
        ),
    ],
)
@pytest.mark.parametrize("operation", ["checkImportRows", "importCustomers"])
def test_batch_params_are_strict(
    admin: DeskSession, operation: str, params: dict[str, Any], field: str
) -> None:
    exc = error_of(admin, operation, params)
    assert exc.code == "VALIDATION_ERROR"
    assert exc.field == field
    assert customer_count(admin) == 0


@pytest.mark.parametrize("operation", ["checkImportRows", "importCustomers", "recordImport"])
def test_front_desk_may_not_import_and_the_refusal_is_audited(
    frontdesk: DeskSession, operation: str
) -> None:
    exc = error_of(frontdesk, operation, {"importId": IMPORT_ID})
    assert exc.code == "PERMISSION_DENIED"
    denied = entries(frontdesk, "denied")
    assert denied[-1][1] == {"operation": operation}


def test_a_pharmacist_may_import(pharmacist: DeskSession) -> None:
    assert check(pharmacist, {"name": "Ada Obi", "phone": "08031234567"})[0]["outcome"] == "create"
    assert write(pharmacist, {"name": "Ada Obi", "phone": "08031234567"})[0]["outcome"] == (
        "created"
    )
