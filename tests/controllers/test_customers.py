"""Customer operations through the controllers, as API.md defines them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.store.schema import AuditEntry, ConsentEvent


def add(desk: DeskSession, name: str = "John Doe", phone: str = "08012345678", **extra: Any) -> str:
    return desk.call("addProviderCustomer", {"name": name, "phone": phone, **extra})["customerId"]


def error_of(desk: DeskSession, operation: str, params: Any) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(operation, params)
    return info.value


def audit_entries(desk: DeskSession, action: str | None = None) -> list[AuditEntry]:
    with desk.db.transaction() as tx:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(tx.scalars(query))


# -- addProviderCustomer ------------------------------------------------------------------
def test_add_customer_answer_shape_and_audit(admin: DeskSession) -> None:
    answer = admin.call(
        "addProviderCustomer",
        {
            "name": "  John   Doe ",
            "phone": "0801 234 5678",
            "email": "john@example.com",
            "address": "12 Admiralty Way, Lekki",
            "dateOfBirth": "1980-03-25",
            "allergies": ["Penicillin"],
            "medicalConditions": ["Diabetes Type 2", "Hypertension"],
            "notes": "Prefers morning deliveries.",
            "marketingConsent": True,
        },
    )
    assert answer == {
        "success": True,
        "customerId": "CUST-1",
        "message": "Customer created successfully",
        "createdAt": "2026-04-18T12:00:00Z",
    }
    details = admin.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    assert details["name"] == "John Doe"
    assert details["phone"] == "+2348012345678"
    assert details["allergyStatus"] == "recorded"
    assert details["allergiesConfirmedBy"] == "admin"
    assert details["medicalConditions"] == ["Diabetes Type 2", "Hypertension"]
    assert details["marketingConsent"] is True
    assert details["marketingConsentRecordedBy"] == "admin"
    created = audit_entries(admin, "create")
    assert [(e.entity_type, e.entity_id, e.user) for e in created] == [
        ("customer", "CUST-1", "admin")
    ]


@pytest.mark.parametrize(
    "phone",
    ["08012345678", "0801 234 5678", "2348012345678", "+234 801 234 5678", "+2348012345678"],
)
def test_phone_forms_are_stored_as_e164(admin: DeskSession, phone: str) -> None:
    cid = add(admin, phone=phone)
    details = admin.call("viewProviderCustomerDetails", {"customerId": cid})
    assert details["phone"] == "+2348012345678"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"name": "J", "phone": "08012345678"}, "name"),
        ({"name": "   ", "phone": "08012345678"}, "name"),
        ({"name": "x" * 121, "phone": "08012345678"}, "name"),
        ({"phone": "08012345678"}, "name"),
        ({"name": "John Doe"}, "phone"),
        ({"name": "John Doe", "phone": "+23412345"}, "phone"),
        ({"name": "John Doe", "phone": "hello"}, "phone"),
        ({"name": "John Doe", "phone": 8012345678}, "phone"),
        ({"name": "John Doe", "phone": "08012345678", "email": "not-an-email"}, "email"),
        ({"name": "John Doe", "phone": "08012345678", "dateOfBirth": "2999-01-01"}, "dateOfBirth"),
        ({"name": "John Doe", "phone": "08012345678", "dateOfBirth": "1899-12-31"}, "dateOfBirth"),
        ({"name": "John Doe", "phone": "08012345678", "dateOfBirth": "25/03/1980"}, "dateOfBirth"),
        ({"name": "John Doe", "phone": "08012345678", "dateOfBirth": "2023-02-30"}, "dateOfBirth"),
        ({"name": "John Doe", "phone": "08012345678", "allergies": "Penicillin"}, "allergies"),
        ({"name": "John Doe", "phone": "08012345678", "allergies": [""]}, "allergies"),
        (
            {
                "name": "John Doe",
                "phone": "08012345678",
                "allergies": ["Sulfa"],
                "noKnownAllergies": True,
            },
            "noKnownAllergies",
        ),
        ({"name": "John Doe", "phone": "08012345678", "marketingConsent": 1}, "marketingConsent"),
        ({"name": "John Doe", "phone": "08012345678", 'deliveryTime"': "x"}, 'deliveryTime"'),
    ],
)
def test_add_customer_validation(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    err = error_of(admin, "addProviderCustomer", params)
    assert err.code == "VALIDATION_ERROR"
    assert err.field == field
    assert admin.call("fetchCustomers", {})["total"] == 0


def test_invalid_phone_message_names_the_number(admin: DeskSession) -> None:
    err = error_of(admin, "addProviderCustomer", {"name": "John Doe", "phone": "+23412345"})
    assert err.message == "Phone number +23412345 is not a valid number."


def test_duplicate_same_name_key_and_phone(admin: DeskSession) -> None:
    first = add(admin, "Adéwálé Ògún")
    err = error_of(
        admin, "addProviderCustomer", {"name": "ADEWALE  OGUN", "phone": "+2348012345678"}
    )
    assert err.code == "DUPLICATE"
    assert first in err.message
    # families share phones: another name on the same phone is fine
    add(admin, "Bisi Ogun")


def test_duplicate_includes_archived_customers(admin: DeskSession) -> None:
    cid = add(admin)
    admin.call("archiveCustomer", {"customerId": cid})
    assert (
        error_of(admin, "addProviderCustomer", {"name": "John Doe", "phone": "08012345678"}).code
        == "DUPLICATE"
    )


def test_allergy_states_are_distinct(admin: DeskSession) -> None:
    unknown = add(admin, "Ade One", "08011111111")
    none_known = add(admin, "Ade Two", "08011111112", noKnownAllergies=True)
    recorded = add(admin, "Ade Three", "08011111113", allergies=["Sulfonamides"])
    states = {
        cid: admin.call("viewProviderCustomerDetails", {"customerId": cid})
        for cid in (unknown, none_known, recorded)
    }
    assert states[unknown]["allergyStatus"] == "unknown"
    assert states[unknown]["allergiesConfirmedAt"] is None
    assert states[none_known]["allergyStatus"] == "noneKnown"
    assert states[none_known]["allergiesConfirmedAt"] == "2026-04-18T12:00:00Z"
    assert states[recorded]["allergyStatus"] == "recorded"
    assert states[recorded]["allergies"] == ["Sulfonamides"]


# -- fetchCustomers -----------------------------------------------------------------------
def test_fetch_empty_database(admin: DeskSession) -> None:
    assert admin.call("fetchCustomers", {}) == {
        "customers": [],
        "total": 0,
        "page": 1,
        "hasMore": False,
    }


def test_fetch_row_shape(admin: DeskSession) -> None:
    add(admin, email="john@example.com", address="12 Admiralty Way, Lekki")
    row = admin.call("fetchCustomers", {})["customers"][0]
    assert row == {
        "id": "CUST-1",
        "name": "John Doe",
        "phone": "+2348012345678",
        "email": "john@example.com",
        "address": "12 Admiralty Way, Lekki",
        "planCount": 0,
        "totalOrders": 0,
        "createdAt": "2026-04-18T12:00:00Z",
        "lastOrder": None,
    }


def _many(desk: DeskSession, clock: FixedClock, names: list[str]) -> list[str]:
    ids = []
    for i, name in enumerate(names):
        ids.append(add(desk, name, f"0803{i:07d}"))
        clock.advance(seconds=0 if i % 3 else 1)  # several customers share a second
    return ids


NAMES = [
    "Chinedu Okafor",
    "Adebayo Adeyemi",
    "Ngozi Eze",
    "Amaka Obi",
    "Ibrahim Musa",
    "Fatima Bello",
    "Oluwaseun Adebayo",
    "Émeka Nwosu",
    "adaeze okeke",
    "Yusuf Abubakar",
    "Tunde Bakare",
    "Kemi Adeola",
    "Zainab Sani",
    "Obinna Chukwu",
    "Bisola Ade",
    "Segun Oyelaran",
    "Halima Yusuf",
    "Chioma Nnaji",
    "Kunle Afolabi",
    "Aisha Lawal",
    "Ade Ade",
    "Ifeoma Uche",
    "Musa Danjuma",
]


def test_sort_by_name_uses_key_and_ties_by_id(admin: DeskSession, clock: FixedClock) -> None:
    _many(admin, clock, NAMES)
    rows = admin.call("fetchCustomers", {"limit": 100})["customers"]
    from pharmdesk.controllers.validation import search_key

    keys = [(search_key(r["name"]), int(r["id"].split("-")[1])) for r in rows]
    assert keys == sorted(keys)
    desc = admin.call("fetchCustomers", {"limit": 100, "sort": "-name"})["customers"]
    assert [r["id"] for r in desc] == [r["id"] for r in reversed(rows)]


@pytest.mark.parametrize(
    "sort",
    [
        "name",
        "-name",
        "createdAt",
        "-createdAt",
        "totalOrders",
        "-totalOrders",
        "planCount",
        "-planCount",
        "lastOrder",
        "-lastOrder",
    ],
)
@pytest.mark.parametrize("limit", [1, 7, 20])
def test_paging_never_skips_or_repeats(
    admin: DeskSession, clock: FixedClock, sort: str, limit: int
) -> None:
    ids = _many(admin, clock, NAMES)
    seen: list[str] = []
    page = 1
    while True:
        answer = admin.call("fetchCustomers", {"sort": sort, "limit": limit, "page": page})
        assert answer["total"] == len(ids)
        assert answer["page"] == page
        assert answer["hasMore"] == (page * limit < len(ids))
        seen += [r["id"] for r in answer["customers"]]
        if not answer["hasMore"]:
            break
        page += 1
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_created_at_descending_is_newest_first_within_a_second(admin: DeskSession) -> None:
    ids = [add(admin, f"Same Second {c}", f"0805000000{i}") for i, c in enumerate("ABC")]
    rows = admin.call("fetchCustomers", {"sort": "-createdAt"})["customers"]
    assert [r["id"] for r in rows] == list(reversed(ids))


def test_last_order_nulls_sort_last_both_ways(admin: DeskSession, clock: FixedClock) -> None:
    a = add(admin, "Has Orders", "08050000001")
    b = add(admin, "No Orders", "08050000002")
    c = add(admin, "Older Orders", "08050000003")
    admin.call("recordOrder", {"customerId": c, "total": 100, "date": "2026-04-01T10:00:00Z"})
    admin.call("recordOrder", {"customerId": a, "total": 100, "date": "2026-04-10T10:00:00Z"})
    asc = [r["id"] for r in admin.call("fetchCustomers", {"sort": "lastOrder"})["customers"]]
    desc = [r["id"] for r in admin.call("fetchCustomers", {"sort": "-lastOrder"})["customers"]]
    assert asc == [c, a, b]
    assert desc == [a, c, b]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        (
            "ade",
            {
                "Adebayo Adeyemi",
                "Oluwaseun Adebayo",
                "Kemi Adeola",
                "Bisola Ade",
                "Ade Ade",
                "adaeze okeke",
            }
            - {"adaeze okeke"},
        ),
        ("ADÉ", {"Adebayo Adeyemi", "Oluwaseun Adebayo", "Kemi Adeola", "Bisola Ade", "Ade Ade"}),
        ("emeka", {"Émeka Nwosu"}),
        ("ng", {"Ngozi Eze"}),
        (
            "o",
            {
                "Chinedu Okafor",
                "Amaka Obi",
                "Oluwaseun Adebayo",
                "adaeze okeke",
                "Obinna Chukwu",
                "Segun Oyelaran",
            },
        ),
        ("ade ok", {"adaeze okeke"} - {"adaeze okeke"}),
        ("ada ok", {"adaeze okeke"}),
        ("musa", {"Ibrahim Musa", "Musa Danjuma"}),
        ("yusuf", {"Yusuf Abubakar", "Halima Yusuf"}),
        ("zzz", set()),
        ("100%", set()),
        ("a_b", set()),
    ],
)
def test_name_search(
    admin: DeskSession, clock: FixedClock, search: str, expected: set[str]
) -> None:
    _many(admin, clock, NAMES)
    rows = admin.call("fetchCustomers", {"search": search, "limit": 100})["customers"]
    assert {r["name"] for r in rows} == expected


@pytest.mark.parametrize(
    "query", ["0801 234", "+234801234", "2345678", "08012345678", "2348012345678"]
)
def test_phone_digit_search(admin: DeskSession, query: str) -> None:
    target = add(admin, "Phone Target", "+2348012345678")
    add(admin, "Someone Else", "07031112222")
    rows = admin.call("fetchCustomers", {"search": query})["customers"]
    assert [r["id"] for r in rows] == [target]


def test_three_digits_do_not_search_phones(admin: DeskSession) -> None:
    add(admin, "Phone Target", "+2348012345678")
    assert admin.call("fetchCustomers", {"search": "801"})["total"] == 0


def test_search_by_customer_id_any_case(admin: DeskSession) -> None:
    first = add(admin, "Cust One", "08012345601")
    add(admin, "Cust Two", "08012345602")
    for query in (first, first.lower(), f"  {first} "):
        rows = admin.call("fetchCustomers", {"search": query})["customers"]
        assert [r["id"] for r in rows] == [first]


def test_archived_customers_are_not_listed(admin: DeskSession) -> None:
    cid = add(admin)
    admin.call("archiveCustomer", {"customerId": cid})
    assert admin.call("fetchCustomers", {})["total"] == 0
    assert admin.call("fetchCustomers", {"search": cid})["total"] == 0
    details = admin.call("viewProviderCustomerDetails", {"customerId": cid})
    assert details["archived"] is True


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "2"}, "limit"),
        ({"page": 0}, "page"),
        ({"page": True}, "page"),
        ({"sort": "phone"}, "sort"),
        ({"search": 12}, "search"),
        ({"serach": "x"}, "serach"),
    ],
)
def test_fetch_validation(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    err = error_of(admin, "fetchCustomers", params)
    assert (err.code, err.field) == ("VALIDATION_ERROR", field)


def test_fetch_writes_one_list_entry_per_page(admin: DeskSession) -> None:
    admin.call("fetchCustomers", {"search": "ade", "page": 2, "sort": "-name"})
    admin.call("fetchCustomers", {})
    entries = audit_entries(admin, "list")
    assert len(entries) == 2
    detail = json.loads(entries[0].detail)
    assert (detail["search"], detail["sort"], detail["page"]) == ("ade", "-name", 2)


# -- viewProviderCustomerDetails -----------------------------------------------------------
def test_view_unknown_and_malformed_ids(admin: DeskSession) -> None:
    assert (
        error_of(admin, "viewProviderCustomerDetails", {"customerId": "CUST-99"}).code
        == "NOT_FOUND"
    )
    for bad in ("PLAN-1", "CUST-0", "CUST-01", "CUST-", "99", 99):
        err = error_of(admin, "viewProviderCustomerDetails", {"customerId": bad})
        assert (err.code, err.field) == ("VALIDATION_ERROR", "customerId")
    assert error_of(admin, "viewProviderCustomerDetails", {}).field == "customerId"


def test_every_view_is_audited(admin: DeskSession) -> None:
    cid = add(admin)
    for _ in range(3):
        admin.call("viewProviderCustomerDetails", {"customerId": cid})
    assert [(e.entity_id, e.user) for e in audit_entries(admin, "view")] == [(cid, "admin")] * 3


# -- updateProviderCustomer ----------------------------------------------------------------
def test_update_lists_only_changed_fields_and_audits_old_and_new(
    admin: DeskSession, clock: FixedClock
) -> None:
    cid = add(admin, email="old@example.com")
    clock.advance(minutes=5)
    answer = admin.call(
        "updateProviderCustomer",
        {
            "customerId": cid,
            "email": "new@example.com",
            "name": "John Doe",
            "address": "3 Broad St",
        },
    )
    assert answer == {
        "success": True,
        "customerId": cid,
        "updatedFields": ["address", "email"],
        "version": 2,
        "updatedAt": "2026-04-18T12:05:00Z",
    }
    entry = audit_entries(admin, "update")[-1]
    changes = json.loads(entry.detail)["changes"]
    assert changes["email"] == {"old": "old@example.com", "new": "new@example.com"}
    assert changes["address"] == {"old": None, "new": "3 Broad St"}


def test_update_with_no_change_writes_nothing(admin: DeskSession) -> None:
    cid = add(admin)
    before = len(audit_entries(admin))
    answer = admin.call(
        "updateProviderCustomer", {"customerId": cid, "name": "John Doe", "phone": "+2348012345678"}
    )
    assert answer["updatedFields"] == []
    assert answer["version"] == 1
    assert len(audit_entries(admin)) == before


def test_update_null_clears_optional_fields(admin: DeskSession) -> None:
    cid = add(admin, email="a@example.com", notes="note", dateOfBirth="1990-01-01")
    answer = admin.call(
        "updateProviderCustomer",
        {"customerId": cid, "email": None, "notes": None, "dateOfBirth": None},
    )
    assert answer["updatedFields"] == ["dateOfBirth", "email", "notes"]
    details = admin.call("viewProviderCustomerDetails", {"customerId": cid})
    assert (details["email"], details["notes"], details["dateOfBirth"]) == (None, None, None)


def test_update_cannot_clear_required_fields(admin: DeskSession) -> None:
    cid = add(admin)
    for field in ("name", "phone"):
        err = error_of(admin, "updateProviderCustomer", {"customerId": cid, field: None})
        assert (err.code, err.field) == ("VALIDATION_ERROR", field)


def test_update_arrays_replace(admin: DeskSession) -> None:
    cid = add(admin, allergies=["Penicillin", "Aspirin"], medicalConditions=["Asthma"])
    admin.call(
        "updateProviderCustomer",
        {"customerId": cid, "allergies": ["Sulfa"], "medicalConditions": []},
    )
    details = admin.call("viewProviderCustomerDetails", {"customerId": cid})
    assert details["allergies"] == ["Sulfa"]
    assert details["medicalConditions"] == []


def test_update_allergy_state_transitions(admin: DeskSession) -> None:
    cid = add(admin, allergies=["Penicillin"])
    admin.call(
        "updateProviderCustomer", {"customerId": cid, "allergies": [], "noKnownAllergies": True}
    )
    assert (
        admin.call("viewProviderCustomerDetails", {"customerId": cid})["allergyStatus"]
        == "noneKnown"
    )
    err = error_of(
        admin,
        "updateProviderCustomer",
        {"customerId": cid, "allergies": ["Sulfa"], "noKnownAllergies": True},
    )
    assert err.field == "noKnownAllergies"
    admin.call("updateProviderCustomer", {"customerId": cid, "allergies": ["Sulfa"]})
    details = admin.call("viewProviderCustomerDetails", {"customerId": cid})
    assert (details["allergyStatus"], details["allergies"]) == ("recorded", ["Sulfa"])
    admin.call("updateProviderCustomer", {"customerId": cid, "allergies": []})
    assert (
        admin.call("viewProviderCustomerDetails", {"customerId": cid})["allergyStatus"] == "unknown"
    )


def test_update_conflict_on_stale_version(admin: DeskSession) -> None:
    cid = add(admin)
    admin.call(
        "updateProviderCustomer", {"customerId": cid, "notes": "first", "expectedVersion": 1}
    )
    err = error_of(
        admin,
        "updateProviderCustomer",
        {"customerId": cid, "notes": "second", "expectedVersion": 1},
    )
    assert err.code == "CONFLICT"
    assert admin.call("viewProviderCustomerDetails", {"customerId": cid})["notes"] == "first"


def test_consent_and_archive_increment_version(admin: DeskSession) -> None:
    cid = add(admin)
    admin.call("setMarketingConsent", {"customerId": cid, "consent": True})
    assert admin.call("viewProviderCustomerDetails", {"customerId": cid})["version"] == 2
    err = error_of(
        admin, "updateProviderCustomer", {"customerId": cid, "notes": "x", "expectedVersion": 1}
    )
    assert err.code == "CONFLICT"


def test_update_duplicate_and_validation(admin: DeskSession) -> None:
    add(admin, "Ada Eze", "08012345678")
    other = add(admin, "Ada Obi", "08012345678")
    assert (
        error_of(admin, "updateProviderCustomer", {"customerId": other, "name": "ADA EZE"}).code
        == "DUPLICATE"
    )
    err = error_of(admin, "updateProviderCustomer", {"customerId": other, "phone": "123"})
    assert (err.code, err.field) == ("VALIDATION_ERROR", "phone")
    assert (
        error_of(admin, "updateProviderCustomer", {"customerId": "CUST-77", "notes": "x"}).code
        == "NOT_FOUND"
    )


def test_validation_comes_before_existence(admin: DeskSession) -> None:
    err = error_of(admin, "updateProviderCustomer", {"customerId": "CUST-77", "email": "bad"})
    assert err.code == "VALIDATION_ERROR"


def test_writes_to_archived_customer(admin: DeskSession) -> None:
    cid = add(admin)
    admin.call("archiveCustomer", {"customerId": cid})
    for op, params in (
        ("updateProviderCustomer", {"customerId": cid, "notes": "x"}),
        ("setMarketingConsent", {"customerId": cid, "consent": True}),
        ("archiveCustomer", {"customerId": cid}),
    ):
        assert error_of(admin, op, params).code == "ARCHIVED"


# -- consent, archive, export --------------------------------------------------------------
def test_consent_history_is_kept(admin: DeskSession, clock: FixedClock) -> None:
    cid = add(admin)
    admin.call("setMarketingConsent", {"customerId": cid, "consent": True})
    clock.advance(days=1)
    answer = admin.call("setMarketingConsent", {"customerId": cid, "consent": False})
    assert answer == {
        "success": True,
        "marketingConsent": False,
        "recordedAt": "2026-04-19T12:00:00Z",
    }
    with admin.db.transaction() as tx:
        history = [
            (e.consent, e.recorded_by)
            for e in tx.scalars(select(ConsentEvent).order_by(ConsentEvent.id))
        ]
    assert history == [(True, "admin"), (False, "admin")]
    assert len(audit_entries(admin, "consent")) == 2


def test_frontdesk_cannot_archive_or_export(frontdesk: DeskSession, admin: DeskSession) -> None:
    cid = add(admin)
    for op in ("archiveCustomer", "exportCustomerData"):
        assert error_of(frontdesk, op, {"customerId": cid}).code == "PERMISSION_DENIED"
    denied = audit_entries(admin, "denied")
    assert [json.loads(e.detail)["operation"] for e in denied] == [
        "archiveCustomer",
        "exportCustomerData",
    ]
    assert all(e.outcome == "denied" and e.user == "femi" for e in denied)


def test_permission_is_checked_before_params(frontdesk: DeskSession) -> None:
    assert (
        error_of(frontdesk, "archiveCustomer", {"customerId": "nonsense"}).code
        == "PERMISSION_DENIED"
    )


def test_export_customer_data(admin: DeskSession) -> None:
    cid = add(admin, marketingConsent=True)
    admin.call("recordOrder", {"customerId": cid, "total": 2500})
    export = admin.call("exportCustomerData", {"customerId": cid})
    assert export["customer"]["id"] == cid
    assert export["orders"][0]["total"] == 2500
    assert export["consentHistory"] == [
        {"consent": True, "recordedAt": "2026-04-18T12:00:00Z", "recordedBy": "admin"}
    ]
    assert export["exportedAt"] == "2026-04-18T12:00:00Z"
    assert export["subscriptions"] == []
    assert [e.entity_id for e in audit_entries(admin, "export")] == [cid]
    assert audit_entries(admin, "view") == []


def test_unknown_operation(admin: DeskSession) -> None:
    err = error_of(admin, "dropEverything", {})
    assert (err.code, err.field) == ("VALIDATION_ERROR", "operation")


def test_params_must_be_an_object(admin: DeskSession) -> None:
    assert error_of(admin, "fetchCustomers", ["x"]).code == "VALIDATION_ERROR"


def test_new_allergy_sends_conflicting_plan_back_for_review(admin: DeskSession) -> None:
    plan = admin.call(
        "addPlan",
        {
            "name": "Chest Infection Course",
            "medications": ["Amoxicillin 500mg"],
            "frequency": "weekly",
            "price": 4500,
        },
    )["planId"]
    other = admin.call(
        "addPlan",
        {
            "name": "Vitamins",
            "medications": ["Folic acid 5mg"],
            "frequency": "monthly",
            "price": 900,
        },
    )["planId"]
    cid = add(admin, noKnownAllergies=True)
    conflicting = admin.call("addCustomerPlan", {"customerId": cid, "planId": plan})
    harmless = admin.call("addCustomerPlan", {"customerId": cid, "planId": other})
    assert conflicting["status"] == harmless["status"] == "active"
    admin.call("updateProviderCustomer", {"customerId": cid, "allergies": ["Penicillin"]})
    details = admin.call("viewProviderCustomerDetails", {"customerId": cid})
    statuses = {p["subscriptionId"]: p["status"] for p in details["plans"]}
    assert statuses == {
        conflicting["subscriptionId"]: "pendingReview",
        harmless["subscriptionId"]: "active",
    }
    assert details["stats"]["activePlans"] == 1
    detail = json.loads(audit_entries(admin, "update")[-1].detail)
    assert detail["sentForReview"] == [conflicting["subscriptionId"]]
