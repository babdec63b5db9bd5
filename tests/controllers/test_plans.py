"""The plan catalog and subscriptions: listPlans, addPlan, updatePlan, checkPlanConflicts,
addCustomerPlan, reviewCustomerPlan, pause/resume/cancel; counters, history and audit."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import (
    ALREADY_ENROLLED,
    ARCHIVED,
    CONFLICT,
    DUPLICATE,
    NOT_FOUND,
    PERMISSION_DENIED,
    VALIDATION_ERROR,
    PharmDeskError,
)
from pharmdesk.resources import load_json
from pharmdesk.store.schema import AuditEntry, Customer, Subscription, SubscriptionEvent
from tests.conftest import inspection

TODAY = "2026-04-18"  # the fixed clock's date in Lagos: a Saturday
NOT_ASKED = {"kind": "allergiesNotRecorded", "message": "Allergies have not been asked yet."}
_phones = iter(range(1_000_000, 9_999_999))


# -- helpers ------------------------------------------------------------------------------
def refused(desk: DeskSession, name: str, params: Any = None) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def new_customer(desk: DeskSession, name: str = "Adaeze Okafor", **extra: Any) -> str:
    params = {"name": name, "phone": f"0803{next(_phones)}", **extra}
    return str(desk.call("addProviderCustomer", params)["customerId"])


def new_plan(
    admin: DeskSession,
    name: str = "Hypertension Care",
    medications: list[str] | None = None,
    frequency: str = "monthly",
    price: int = 15000,
) -> str:
    answer = admin.call(
        "addPlan",
        {
            "name": name,
            "medications": medications or ["Amlodipine 5mg", "Lisinopril 10mg"],
            "frequency": frequency,
            "price": price,
        },
    )
    return str(answer["planId"])


def enroll(desk: DeskSession, customer: str, plan: str, **extra: Any) -> dict[str, Any]:
    return desk.call("addCustomerPlan", {"customerId": customer, "planId": plan, **extra})


def number(display_id: str) -> int:
    return int(display_id.split("-")[1])


def entries(desk: DeskSession, action: str) -> list[AuditEntry]:
    with inspection(desk) as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def subscription(desk: DeskSession, sub: str) -> Subscription:
    with inspection(desk) as tx:
        row = tx.get(Subscription, number(sub))
        assert row is not None
        return row


def history(desk: DeskSession, sub: str) -> list[tuple[str, str, str | None]]:
    with inspection(desk) as tx:
        return [
            (e.status, e.by, e.reason)
            for e in tx.scalars(
                select(SubscriptionEvent)
                .where(SubscriptionEvent.subscription_id == number(sub))
                .order_by(SubscriptionEvent.id)
            )
        ]


def active_plans(desk: DeskSession, customer: str) -> int:
    """The stored counter, after checking it against the subscriptions themselves."""
    with inspection(desk) as tx:
        row = tx.get(Customer, number(customer))
        assert row is not None
        counted = tx.scalar(
            select(func.count())
            .select_from(Subscription)
            .where(Subscription.customer_id == row.id, Subscription.status == "active")
        )
        assert row.active_plans == counted
        return row.active_plans


@pytest.fixture
def plan(admin: DeskSession) -> str:
    return new_plan(admin)


@pytest.fixture
def customer(admin: DeskSession) -> str:
    return new_customer(admin)


@pytest.fixture
def allergic(admin: DeskSession) -> str:
    return new_customer(admin, "Bola Penicillin-Allergic", allergies=["Penicillin"])


@pytest.fixture
def amoxicillin_plan(admin: DeskSession) -> str:
    return new_plan(admin, "Chest Infection Follow-up", ["Amoxicillin 500mg", "Paracetamol 500mg"])


# -- listPlans ----------------------------------------------------------------------------
def test_list_plans_is_ordered_by_name_key_then_id_and_hides_retired(
    admin: DeskSession, frontdesk: DeskSession
) -> None:
    zinc = new_plan(admin, "zinc Supplements", ["Zinc 20mg"], "weekly", 2500)
    asthma = new_plan(admin, "Asthma Control", ["Salbutamol inhaler 100mcg"], "monthly", 28000)
    eye = new_plan(admin, "Éye Care", ["Timolol drops"], "quarterly", 9000)
    retired = new_plan(admin, "Blood Pressure Basic", ["Nifedipine 20mg"], "biweekly", 4000)
    admin.call("updatePlan", {"planId": retired, "active": False})

    plans = frontdesk.call("listPlans")["plans"]
    assert [p["id"] for p in plans] == [asthma, eye, zinc]
    assert plans[0] == {
        "id": asthma,
        "name": "Asthma Control",
        "medications": ["Salbutamol inhaler 100mcg"],
        "frequency": "monthly",
        "price": 28000,
        "active": True,
    }
    everything = frontdesk.call("listPlans", {"includeRetired": True})["plans"]
    assert [(p["id"], p["active"]) for p in everything] == [
        (asthma, True),
        (retired, False),
        (eye, True),
        (zinc, True),
    ]


def test_list_plans_param_is_strict(admin: DeskSession) -> None:
    assert refused(admin, "listPlans", {"includeRetired": "yes"}).field == "includeRetired"
    assert refused(admin, "listPlans", {"retired": True}).field == "retired"
    assert admin.call("listPlans", {"includeRetired": None}) == {"plans": []}


# -- addPlan ------------------------------------------------------------------------------
def test_add_plan_answers_its_id_and_is_audited(admin: DeskSession) -> None:
    answer = admin.call(
        "addPlan",
        {
            "name": "  Diabetes   Care Monthly ",
            "medications": [" Metformin 500mg", "Glimepiride 2mg", "metformin 500MG"],
            "frequency": "monthly",
            "price": 18500,
        },
    )
    assert answer == {"success": True, "planId": answer["planId"]}
    assert answer["planId"].startswith("PLAN-")
    (listed,) = admin.call("listPlans")["plans"]
    assert listed["name"] == "Diabetes Care Monthly"  # spaces tidied
    assert listed["medications"] == ["Metformin 500mg", "Glimepiride 2mg"]  # repeat dropped
    (entry,) = entries(admin, "plan")
    assert (entry.entity_type, entry.entity_id, entry.user) == ("plan", answer["planId"], "admin")
    assert json.loads(entry.detail)["event"] == "add"
    assert json.loads(entry.detail)["price"] == 18500


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"medications": ["A 1mg"], "frequency": "monthly", "price": 1}, "name"),
        ({"name": "X", "medications": ["A 1mg"], "frequency": "monthly", "price": 1}, "name"),
        ({"name": "   ", "medications": ["A 1mg"], "frequency": "monthly", "price": 1}, "name"),
        ({"name": "P" * 121, "medications": ["A"], "frequency": "monthly", "price": 1}, "name"),
        ({"name": "Plan", "medications": [], "frequency": "monthly", "price": 1}, "medications"),
        (
            {"name": "Plan", "medications": "Aspirin", "frequency": "monthly", "price": 1},
            "medications",
        ),
        (
            {"name": "Plan", "medications": ["A", ""], "frequency": "monthly", "price": 1},
            "medications",
        ),
        ({"name": "Plan", "frequency": "monthly", "price": 1}, "medications"),
        ({"name": "Plan", "medications": ["A"], "frequency": "daily", "price": 1}, "frequency"),
        ({"name": "Plan", "medications": ["A"], "price": 1}, "frequency"),
        ({"name": "Plan", "medications": ["A"], "frequency": "monthly", "price": -1}, "price"),
        ({"name": "Plan", "medications": ["A"], "frequency": "monthly", "price": "100"}, "price"),
        ({"name": "Plan", "medications": ["A"], "frequency": "monthly", "price": 99.5}, "price"),
        ({"name": "Plan", "medications": ["A"], "frequency": "monthly", "price": True}, "price"),
        ({"name": "Plan", "medications": ["A"], "frequency": "monthly"}, "price"),
        (
            {
                "name": "Plan",
                "medications": ["A"],
                "frequency": "monthly",
                "price": 1,
                "active": True,
            },
            "active",
        ),
    ],
)
def test_add_plan_validation(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    error = refused(admin, "addPlan", params)
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert admin.call("listPlans", {"includeRetired": True}) == {"plans": []}
    assert entries(admin, "plan") == []


def test_add_plan_is_for_admins_only_and_a_refusal_is_audited(
    frontdesk: DeskSession, pharmacist: DeskSession
) -> None:
    params = {"name": "Plan", "medications": ["A"], "frequency": "monthly", "price": 1}
    for desk in (frontdesk, pharmacist):
        assert refused(desk, "addPlan", params).code == PERMISSION_DENIED
    denied = entries(frontdesk, "denied")
    assert [(e.user, json.loads(e.detail)["operation"]) for e in denied] == [
        ("femi", "addPlan"),
        ("ngozi", "addPlan"),
    ]


def test_an_active_plan_name_is_unique_but_a_retired_one_can_be_reused(
    admin: DeskSession,
) -> None:
    first = new_plan(admin, "Hypertension Care")
    error = refused(
        admin,
        "addPlan",
        {"name": "HYPERTENSION cáre", "medications": ["A"], "frequency": "monthly", "price": 1},
    )
    assert (error.code, error.field) == (DUPLICATE, "name")
    assert first in error.message
    admin.call("updatePlan", {"planId": first, "active": False})
    second = new_plan(admin, "Hypertension Care")
    assert second != first
    # Bringing the old one back would make two active plans of one name.
    error = refused(admin, "updatePlan", {"planId": first, "active": True})
    assert error.code == DUPLICATE


def test_the_default_catalog_is_valid_and_realistic(admin: DeskSession) -> None:
    catalog = load_json("plan-catalog.json")
    assert isinstance(catalog, list)
    assert len(catalog) >= 8
    for entry in catalog:
        assert set(entry) == {"name", "medications", "frequency", "price"}
        assert isinstance(entry["price"], int) and entry["price"] > 0
        admin.call("addPlan", entry)  # the same validation as a plan typed by an admin
    listed = admin.call("listPlans")["plans"]
    assert len(listed) == len(catalog)
    names = " ".join(p["name"].lower() for p in listed)
    for topic in ("diabetes", "hypertension", "asthma", "hiv", "antenatal", "sickle", "malaria"):
        assert topic in names
    diabetes = next(p for p in listed if "diabetes" in p["name"].lower())
    assert diabetes["frequency"] == "monthly"
    assert {p["frequency"] for p in listed} == {"weekly", "biweekly", "monthly", "quarterly"}


# -- updatePlan ---------------------------------------------------------------------------
def test_update_plan_lists_changed_fields_and_audits_old_and_new(
    admin: DeskSession, plan: str
) -> None:
    answer = admin.call(
        "updatePlan",
        {
            "planId": plan,
            "name": "Hypertension Care",  # unchanged
            "medications": ["Amlodipine 10mg", "Lisinopril 10mg"],
            "price": 16500,
        },
    )
    assert answer == {"success": True, "updatedFields": ["medications", "price"]}
    (listed,) = admin.call("listPlans")["plans"]
    assert listed["medications"] == ["Amlodipine 10mg", "Lisinopril 10mg"]
    assert listed["price"] == 16500
    detail = json.loads(entries(admin, "plan")[-1].detail)
    assert detail == {
        "event": "update",
        "changes": {
            "medications": {
                "old": ["Amlodipine 5mg", "Lisinopril 10mg"],
                "new": ["Amlodipine 10mg", "Lisinopril 10mg"],
            },
            "price": {"old": 15000, "new": 16500},
        },
    }


def test_update_plan_with_nothing_changed_writes_nothing(admin: DeskSession, plan: str) -> None:
    before = len(entries(admin, "plan"))
    answer = admin.call("updatePlan", {"planId": plan, "price": 15000, "active": True})
    assert answer == {"success": True, "updatedFields": []}
    assert len(entries(admin, "plan")) == before


def test_update_plan_checks(admin: DeskSession, plan: str, pharmacist: DeskSession) -> None:
    assert refused(admin, "updatePlan", {"planId": "PLAN-999"}).code == NOT_FOUND
    assert refused(admin, "updatePlan", {"planId": "SUB-1"}).field == "planId"
    assert refused(admin, "updatePlan", {}).field == "planId"
    # The frequency is part of every subscription's schedule: not changeable.
    assert refused(admin, "updatePlan", {"planId": plan, "frequency": "weekly"}).field == (
        "frequency"
    )
    assert refused(admin, "updatePlan", {"planId": plan, "medications": []}).field == (
        "medications"
    )
    assert refused(admin, "updatePlan", {"planId": plan, "price": -5}).field == "price"
    assert refused(admin, "updatePlan", {"planId": plan, "active": "no"}).field == "active"
    assert refused(admin, "updatePlan", {"planId": plan, "name": "A"}).field == "name"
    other = new_plan(admin, "Asthma Control")
    error = refused(admin, "updatePlan", {"planId": other, "name": "hypertension care"})
    assert (error.code, error.field) == (DUPLICATE, "name")
    assert refused(pharmacist, "updatePlan", {"planId": plan, "price": 1}).code == (
        PERMISSION_DENIED
    )


def test_a_plan_change_reaches_a_subscription_only_at_its_next_completed_delivery(
    admin: DeskSession, plan: str, customer: str
) -> None:
    sub = enroll(admin, customer, plan)["subscriptionId"]
    admin.call(
        "updatePlan",
        {
            "planId": plan,
            "name": "Hypertension Plus",
            "medications": ["Losartan 50mg"],
            "price": 20000,
        },
    )
    profile = admin.call("viewProviderCustomerDetails", {"customerId": customer})
    (shown,) = profile["plans"]
    assert (shown["name"], shown["medications"]) == (
        "Hypertension Care",
        ["Amlodipine 5mg", "Lisinopril 10mg"],
    )
    assert subscription(admin, sub).price == 15000
    admin.call(
        "recordOrder",
        {"customerId": customer, "total": 15000, "status": "pending", "subscriptionId": sub},
    )
    assert subscription(admin, sub).price == 15000  # a pending order is not a delivery
    admin.call("recordOrder", {"customerId": customer, "total": 15000, "subscriptionId": sub})
    row = subscription(admin, sub)
    assert (row.plan_name, row.medications, row.price) == (
        "Hypertension Plus",
        ["Losartan 50mg"],
        20000,
    )


def test_retiring_a_plan_keeps_its_subscriptions_and_refuses_new_enrollments(
    admin: DeskSession, plan: str, customer: str
) -> None:
    sub = enroll(admin, customer, plan)["subscriptionId"]
    assert admin.call("updatePlan", {"planId": plan, "active": False})["updatedFields"] == [
        "active"
    ]
    assert admin.call("listPlans") == {"plans": []}
    other = new_customer(admin, "Chidi Eze")
    error = refused(admin, "addCustomerPlan", {"customerId": other, "planId": plan})
    assert (error.code, error.field) == (VALIDATION_ERROR, "planId")
    assert "retired" in error.message
    assert subscription(admin, sub).status == "active"
    assert active_plans(admin, customer) == 1
    admin.call("updatePlan", {"planId": plan, "active": True})
    assert enroll(admin, other, plan)["status"] == "active"


# -- checkPlanConflicts -------------------------------------------------------------------
def test_check_plan_conflicts_warns_before_enrolling_and_is_audited(
    admin: DeskSession,
    frontdesk: DeskSession,
    allergic: str,
    customer: str,
    amoxicillin_plan: str,
    plan: str,
) -> None:
    warnings = frontdesk.call(
        "checkPlanConflicts", {"customerId": allergic, "planId": amoxicillin_plan}
    )["warnings"]
    assert [(w["kind"], w["allergy"], w["medication"], w["drugClass"]) for w in warnings] == [
        ("allergyConflict", "Penicillin", "Amoxicillin 500mg", "Penicillins")
    ]
    assert frontdesk.call("checkPlanConflicts", {"customerId": allergic, "planId": plan}) == {
        "warnings": []
    }
    assert frontdesk.call("checkPlanConflicts", {"customerId": customer, "planId": plan}) == {
        "warnings": [NOT_ASKED]
    }
    none_known = new_customer(admin, "Dayo None", noKnownAllergies=True)
    assert frontdesk.call(
        "checkPlanConflicts", {"customerId": none_known, "planId": amoxicillin_plan}
    ) == {"warnings": []}
    checks = [e for e in entries(admin, "view") if e.user == "femi"]
    assert [(e.entity_type, e.entity_id) for e in checks] == [
        ("customer", allergic),
        ("customer", allergic),
        ("customer", customer),
        ("customer", none_known),
    ]
    assert json.loads(checks[0].detail) == {
        "operation": "checkPlanConflicts",
        "planId": amoxicillin_plan,
        "warnings": ["allergyConflict"],
    }
    # Nothing was enrolled.
    assert admin.call("viewProviderCustomerDetails", {"customerId": allergic})["plans"] == []


def test_check_plan_conflicts_errors(admin: DeskSession, customer: str, plan: str) -> None:
    error = refused(admin, "checkPlanConflicts", {"customerId": "CUST-999", "planId": plan})
    assert (error.code, error.field) == (NOT_FOUND, "customerId")
    error = refused(admin, "checkPlanConflicts", {"customerId": customer, "planId": "PLAN-999"})
    assert (error.code, error.field) == (NOT_FOUND, "planId")
    assert refused(admin, "checkPlanConflicts", {"customerId": customer}).field == "planId"
    assert refused(
        admin, "checkPlanConflicts", {"customerId": customer, "planId": "plan-x"}
    ).field == ("planId")


# -- addCustomerPlan ----------------------------------------------------------------------
def test_add_customer_plan_answer_shape(frontdesk: DeskSession, customer: str, plan: str) -> None:
    answer = enroll(frontdesk, customer, plan)
    assert answer == {
        "success": True,
        "subscriptionId": answer["subscriptionId"],
        "plan": {
            "id": plan,
            "name": "Hypertension Care",
            "medications": ["Amlodipine 5mg", "Lisinopril 10mg"],
            "frequency": "monthly",
            "price": 15000,
        },
        "nextDelivery": TODAY,  # startDate defaults to today
        "status": "active",
        "warnings": [NOT_ASKED],
    }
    assert answer["subscriptionId"].startswith("SUB-")
    row = subscription(frontdesk, answer["subscriptionId"])
    assert row.start_date == dt.date(2026, 4, 18)
    assert (row.delivery_day, row.delivery_time) == (None, None)
    assert active_plans(frontdesk, customer) == 1
    assert history(frontdesk, answer["subscriptionId"]) == [("active", "femi", None)]


def test_enrollment_shows_on_the_profile_and_in_the_list_counts(
    admin: DeskSession, customer: str, plan: str
) -> None:
    second = new_plan(admin, "Asthma Control", ["Salbutamol inhaler 100mcg"], "weekly", 9000)
    one = enroll(admin, customer, plan, preferences={"deliveryDay": "Monday"})
    two = enroll(admin, customer, second, startDate="2026-04-20")
    assert active_plans(admin, customer) == 2
    profile = admin.call("viewProviderCustomerDetails", {"customerId": customer})
    assert profile["stats"]["activePlans"] == 2
    assert [(p["subscriptionId"], p["nextDelivery"]) for p in profile["plans"]] == [
        (one["subscriptionId"], "2026-04-20"),
        (two["subscriptionId"], "2026-04-20"),
    ]
    (row,) = admin.call("fetchCustomers")["customers"]
    assert row["planCount"] == 2


@pytest.mark.parametrize(
    ("start", "day", "expected"),
    [
        (None, None, "2026-04-18"),
        ("2026-05-01", None, "2026-05-01"),
        ("2026-05-01", "Friday", "2026-05-01"),  # 1 May 2026 is a Friday
        ("2026-05-01", "Thursday", "2026-05-07"),
        (None, "Saturday", "2026-04-18"),
        (None, "Sunday", "2026-04-19"),
    ],
)
def test_next_delivery_is_the_first_preferred_weekday_on_or_after_the_start(
    admin: DeskSession,
    customer: str,
    plan: str,
    start: str | None,
    day: str | None,
    expected: str,
) -> None:
    params: dict[str, Any] = {"preferences": {"deliveryDay": day, "deliveryTime": "evening"}}
    if start is not None:
        params["startDate"] = start
    answer = enroll(admin, customer, plan, **params)
    assert answer["nextDelivery"] == expected
    row = subscription(admin, answer["subscriptionId"])
    assert (row.delivery_day, row.delivery_time) == (day, "evening")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"startDate": "2026-04-17"}, "startDate"),  # yesterday
        ({"startDate": "2027-05-01"}, "startDate"),  # more than a year ahead
        ({"startDate": "18/04/2026"}, "startDate"),
        ({"startDate": "2026-02-30"}, "startDate"),
        ({"preferences": "Monday"}, "preferences"),
        ({"preferences": {"deliveryDay": "monday"}}, "preferences.deliveryDay"),
        ({"preferences": {"deliveryDay": "Mon"}}, "preferences.deliveryDay"),
        ({"preferences": {"deliveryTime": "night"}}, "preferences.deliveryTime"),
        ({"preferences": {'deliveryTime"': "morning"}}, 'preferences.deliveryTime"'),
        ({"preferences": {"deliveryDay": "Monday", "time": "morning"}}, "preferences.time"),
        ({"notes": "x"}, "notes"),
    ],
)
def test_add_customer_plan_validation(
    admin: DeskSession, customer: str, plan: str, extra: dict[str, Any], field: str
) -> None:
    error = refused(admin, "addCustomerPlan", {"customerId": customer, "planId": plan, **extra})
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert active_plans(admin, customer) == 0
    assert entries(admin, "enroll") == []


def test_a_start_date_one_year_ahead_is_accepted(
    admin: DeskSession, customer: str, plan: str
) -> None:
    assert enroll(admin, customer, plan, startDate="2027-04-18")["nextDelivery"] == "2027-04-18"


def test_add_customer_plan_param_errors_come_before_existence(admin: DeskSession) -> None:
    error = refused(
        admin,
        "addCustomerPlan",
        {"customerId": "CUST-404", "planId": "PLAN-404", "startDate": "2020-01-01"},
    )
    assert (error.code, error.field) == (VALIDATION_ERROR, "startDate")
    assert refused(admin, "addCustomerPlan", {"planId": "PLAN-1"}).field == "customerId"
    assert refused(admin, "addCustomerPlan", {"customerId": "CUST-1"}).field == "planId"
    assert refused(admin, "addCustomerPlan", {"customerId": 1, "planId": "PLAN-1"}).field == (
        "customerId"
    )


def test_add_customer_plan_not_found_and_archived(
    admin: DeskSession, customer: str, plan: str
) -> None:
    error = refused(admin, "addCustomerPlan", {"customerId": "CUST-404", "planId": plan})
    assert (error.code, error.field) == (NOT_FOUND, "customerId")
    error = refused(admin, "addCustomerPlan", {"customerId": customer, "planId": "PLAN-404"})
    assert (error.code, error.field) == (NOT_FOUND, "planId")
    admin.call("archiveCustomer", {"customerId": customer})
    assert refused(admin, "addCustomerPlan", {"customerId": customer, "planId": plan}).code == (
        ARCHIVED
    )


def test_already_enrolled_while_active_pending_or_paused_but_not_after_cancel(
    admin: DeskSession, pharmacist: DeskSession, allergic: str, amoxicillin_plan: str
) -> None:
    pending = enroll(admin, allergic, amoxicillin_plan)
    assert pending["status"] == "pendingReview"
    error = refused(admin, "addCustomerPlan", {"customerId": allergic, "planId": amoxicillin_plan})
    assert (error.code, error.field) == (ALREADY_ENROLLED, "planId")
    assert pending["subscriptionId"] in error.message
    sub = pending["subscriptionId"]
    pharmacist.call(
        "reviewCustomerPlan", {"subscriptionId": sub, "approve": True, "reason": "Tolerated before"}
    )
    assert refused(
        admin, "addCustomerPlan", {"customerId": allergic, "planId": amoxicillin_plan}
    ).code == (ALREADY_ENROLLED)
    admin.call("pauseCustomerPlan", {"subscriptionId": sub})
    assert refused(
        admin, "addCustomerPlan", {"customerId": allergic, "planId": amoxicillin_plan}
    ).code == (ALREADY_ENROLLED)
    admin.call("cancelCustomerPlan", {"subscriptionId": sub})
    again = enroll(admin, allergic, amoxicillin_plan)
    assert again["subscriptionId"] != sub


def test_another_customer_may_enroll_in_the_same_plan(
    admin: DeskSession, customer: str, plan: str
) -> None:
    enroll(admin, customer, plan)
    other = new_customer(admin, "Emeka Obi")
    assert enroll(admin, other, plan)["status"] == "active"


def test_an_allergy_conflict_puts_the_subscription_in_review_uncounted(
    admin: DeskSession, allergic: str, amoxicillin_plan: str
) -> None:
    answer = enroll(admin, allergic, amoxicillin_plan)
    assert answer["status"] == "pendingReview"
    (warning,) = answer["warnings"]
    assert warning["kind"] == "allergyConflict"
    assert warning["allergy"] == "Penicillin"
    assert warning["medication"] == "Amoxicillin 500mg"
    assert warning["message"]
    assert active_plans(admin, allergic) == 0
    (row,) = admin.call("fetchCustomers")["customers"][:1]
    assert row["planCount"] == 0
    (status, by, reason) = history(admin, answer["subscriptionId"])[0]
    assert (status, by) == ("pendingReview", "admin")
    assert reason and "review" in reason
    (entry,) = entries(admin, "enroll")
    assert (entry.entity_type, entry.entity_id) == ("customer", allergic)
    detail = json.loads(entry.detail)
    assert detail["subscriptionId"] == answer["subscriptionId"]
    assert detail["planId"] == amoxicillin_plan
    assert detail["status"] == "pendingReview"
    assert detail["warnings"] == answer["warnings"]


def test_enroll_audit_records_the_not_asked_warning(
    admin: DeskSession, customer: str, plan: str
) -> None:
    answer = enroll(admin, customer, plan, startDate="2026-04-25")
    (entry,) = entries(admin, "enroll")
    assert json.loads(entry.detail) == {
        "subscriptionId": answer["subscriptionId"],
        "planId": plan,
        "status": "active",
        "startDate": "2026-04-25",
        "warnings": [NOT_ASKED],
    }


# -- reviewCustomerPlan -------------------------------------------------------------------
@pytest.fixture
def pending(admin: DeskSession, allergic: str, amoxicillin_plan: str) -> str:
    answer = enroll(admin, allergic, amoxicillin_plan, preferences={"deliveryDay": "Wednesday"})
    return str(answer["subscriptionId"])


def test_a_pharmacist_approves_with_a_reason(
    pharmacist: DeskSession, pending: str, allergic: str
) -> None:
    answer = pharmacist.call(
        "reviewCustomerPlan",
        {"subscriptionId": pending, "approve": True, "reason": "Rash only; prescriber aware"},
    )
    assert answer == {"success": True, "status": "active"}
    assert active_plans(pharmacist, allergic) == 1
    assert subscription(pharmacist, pending).next_delivery == dt.date(2026, 4, 22)  # unchanged
    assert history(pharmacist, pending)[-1] == ("active", "ngozi", "Rash only; prescriber aware")
    (entry,) = entries(pharmacist, "review")
    assert (entry.user, entry.entity_type, entry.entity_id) == ("ngozi", "customer", allergic)
    assert json.loads(entry.detail) == {
        "subscriptionId": pending,
        "approve": True,
        "reason": "Rash only; prescriber aware",
        "status": "active",
    }


def test_a_late_approval_moves_a_passed_delivery_to_today_on_the_weekday(
    pharmacist: DeskSession, pending: str, clock: FixedClock
) -> None:
    clock.advance(days=10)  # Tuesday 28 April; the first delivery (22 April) has passed
    answer = pharmacist.call(
        "reviewCustomerPlan", {"subscriptionId": pending, "approve": True, "reason": "OK"}
    )
    assert answer["status"] == "active"
    assert subscription(pharmacist, pending).next_delivery == dt.date(2026, 4, 29)  # Wednesday


def test_a_rejection_cancels_and_frees_the_plan_for_a_later_enrollment(
    admin: DeskSession, pharmacist: DeskSession, pending: str, allergic: str, amoxicillin_plan: str
) -> None:
    answer = pharmacist.call(
        "reviewCustomerPlan",
        {"subscriptionId": pending, "approve": False, "reason": "Anaphylaxis history"},
    )
    assert answer == {"success": True, "status": "cancelled"}
    assert active_plans(admin, allergic) == 0
    row = subscription(admin, pending)
    assert (row.status, row.next_delivery) == ("cancelled", None)
    assert [status for status, _, _ in history(admin, pending)] == ["pendingReview", "cancelled"]
    assert enroll(admin, allergic, amoxicillin_plan)["status"] == "pendingReview"


def test_an_admin_may_review_too(admin: DeskSession, pending: str) -> None:
    answer = admin.call(
        "reviewCustomerPlan", {"subscriptionId": pending, "approve": True, "reason": "Checked"}
    )
    assert answer["status"] == "active"


def test_front_desk_cannot_review(frontdesk: DeskSession, pending: str) -> None:
    error = refused(
        frontdesk, "reviewCustomerPlan", {"subscriptionId": pending, "approve": True, "reason": "x"}
    )
    assert error.code == PERMISSION_DENIED
    assert subscription(frontdesk, pending).status == "pendingReview"
    assert json.loads(entries(frontdesk, "denied")[-1].detail) == {
        "operation": "reviewCustomerPlan"
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"approve": True}, "reason"),
        ({"approve": True, "reason": "   "}, "reason"),
        ({"approve": True, "reason": "x" * 1001}, "reason"),
        ({"approve": "yes", "reason": "ok"}, "approve"),
        ({"reason": "ok"}, "approve"),
        ({"approve": True, "reason": "ok", "subscriptionId": "ORD-1"}, "subscriptionId"),
    ],
)
def test_review_validation(
    pharmacist: DeskSession, pending: str, params: dict[str, Any], field: str
) -> None:
    error = refused(pharmacist, "reviewCustomerPlan", {"subscriptionId": pending, **params})
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert subscription(pharmacist, pending).status == "pendingReview"


def test_review_state_errors(
    admin: DeskSession, pharmacist: DeskSession, pending: str, customer: str, plan: str
) -> None:
    error = refused(
        pharmacist,
        "reviewCustomerPlan",
        {"subscriptionId": "SUB-999", "approve": True, "reason": "x"},
    )
    assert (error.code, error.field) == (NOT_FOUND, "subscriptionId")
    active = enroll(admin, customer, plan)["subscriptionId"]
    error = refused(
        pharmacist, "reviewCustomerPlan", {"subscriptionId": active, "approve": True, "reason": "x"}
    )
    assert (error.code, error.field) == (CONFLICT, "subscriptionId")
    pharmacist.call(
        "reviewCustomerPlan", {"subscriptionId": pending, "approve": False, "reason": "No"}
    )
    error = refused(
        pharmacist,
        "reviewCustomerPlan",
        {"subscriptionId": pending, "approve": True, "reason": "x"},
    )
    assert error.code == CONFLICT  # reviewed already


def test_review_of_an_archived_customer_is_refused(
    admin: DeskSession, pharmacist: DeskSession, pending: str, allergic: str
) -> None:
    admin.call("archiveCustomer", {"customerId": allergic})
    error = refused(
        pharmacist,
        "reviewCustomerPlan",
        {"subscriptionId": pending, "approve": True, "reason": "x"},
    )
    assert error.code == ARCHIVED
    assert subscription(admin, pending).status == "pendingReview"


# -- pause / resume / cancel --------------------------------------------------------------
@pytest.fixture
def active(admin: DeskSession, customer: str, plan: str) -> str:
    answer = enroll(admin, customer, plan, preferences={"deliveryDay": "Monday"})
    assert answer["nextDelivery"] == "2026-04-20"
    return str(answer["subscriptionId"])


def test_pause_and_resume(frontdesk: DeskSession, active: str, customer: str) -> None:
    assert frontdesk.call("pauseCustomerPlan", {"subscriptionId": active}) == {
        "success": True,
        "status": "paused",
        "nextDelivery": "2026-04-20",
    }
    assert active_plans(frontdesk, customer) == 0
    assert frontdesk.call("resumeCustomerPlan", {"subscriptionId": active}) == {
        "success": True,
        "status": "active",
        "nextDelivery": "2026-04-20",
    }
    assert active_plans(frontdesk, customer) == 1
    assert [(s, by) for s, by, _ in history(frontdesk, active)] == [
        ("active", "admin"),
        ("paused", "femi"),
        ("active", "femi"),
    ]
    audited = entries(frontdesk, "subscription")
    assert [(e.user, e.entity_id, json.loads(e.detail)["status"]) for e in audited] == [
        ("femi", customer, "paused"),
        ("femi", customer, "active"),
    ]
    assert json.loads(audited[0].detail) == {
        "subscriptionId": active,
        "status": "paused",
        "nextDelivery": "2026-04-20",
        "resumeDate": None,
    }


def test_pause_with_a_resume_date_moves_the_next_delivery_to_it(
    admin: DeskSession, active: str
) -> None:
    answer = admin.call("pauseCustomerPlan", {"subscriptionId": active, "resumeDate": "2026-06-03"})
    assert answer == {"success": True, "status": "paused", "nextDelivery": "2026-06-08"}
    assert subscription(admin, active).resume_date == dt.date(2026, 6, 3)
    assert json.loads(entries(admin, "subscription")[-1].detail)["resumeDate"] == "2026-06-03"
    resumed = admin.call("resumeCustomerPlan", {"subscriptionId": active})
    assert resumed["nextDelivery"] == "2026-06-08"
    assert subscription(admin, active).resume_date is None


def test_a_resume_date_before_the_next_delivery_leaves_it(
    admin: DeskSession, customer: str, plan: str
) -> None:
    sub = enroll(admin, customer, plan, startDate="2026-05-10")["subscriptionId"]
    answer = admin.call("pauseCustomerPlan", {"subscriptionId": sub, "resumeDate": "2026-05-01"})
    assert answer["nextDelivery"] == "2026-05-10"


def test_resuming_after_the_delivery_date_passed_moves_it_to_today(
    admin: DeskSession, active: str, clock: FixedClock
) -> None:
    admin.call("pauseCustomerPlan", {"subscriptionId": active})
    clock.advance(days=20)  # Friday 8 May
    answer = admin.call("resumeCustomerPlan", {"subscriptionId": active})
    assert answer["nextDelivery"] == "2026-05-11"  # the next Monday


@pytest.mark.parametrize("resume", ["2026-04-18", "2026-04-01", "tomorrow"])
def test_pause_resume_date_must_be_a_date_after_today(
    admin: DeskSession, active: str, resume: str
) -> None:
    error = refused(admin, "pauseCustomerPlan", {"subscriptionId": active, "resumeDate": resume})
    assert (error.code, error.field) == (VALIDATION_ERROR, "resumeDate")
    assert subscription(admin, active).status == "active"


def test_cancel_from_each_enrolled_status(
    admin: DeskSession, customer: str, plan: str, allergic: str, amoxicillin_plan: str
) -> None:
    active_sub = enroll(admin, customer, plan)["subscriptionId"]
    paused_sub = enroll(admin, customer, new_plan(admin, "Thyroid Care", ["Levothyroxine"]))[
        "subscriptionId"
    ]
    admin.call("pauseCustomerPlan", {"subscriptionId": paused_sub})
    pending_sub = enroll(admin, allergic, amoxicillin_plan)["subscriptionId"]
    assert active_plans(admin, customer) == 1
    for sub in (active_sub, paused_sub, pending_sub):
        assert admin.call("cancelCustomerPlan", {"subscriptionId": sub}) == {
            "success": True,
            "status": "cancelled",
        }
        row = subscription(admin, sub)
        assert (row.status, row.next_delivery) == ("cancelled", None)
        assert history(admin, sub)[-1] == ("cancelled", "admin", None)
    assert active_plans(admin, customer) == 0
    assert active_plans(admin, allergic) == 0
    assert len(entries(admin, "subscription")) == 4  # one pause, three cancels


def test_status_changes_that_do_not_fit_are_conflicts(
    admin: DeskSession, active: str, pending: str
) -> None:
    assert refused(admin, "resumeCustomerPlan", {"subscriptionId": active}).code == CONFLICT
    assert refused(admin, "pauseCustomerPlan", {"subscriptionId": pending}).code == CONFLICT
    assert refused(admin, "resumeCustomerPlan", {"subscriptionId": pending}).code == CONFLICT
    admin.call("pauseCustomerPlan", {"subscriptionId": active})
    error = refused(admin, "pauseCustomerPlan", {"subscriptionId": active})
    assert (error.code, error.field) == (CONFLICT, "subscriptionId")
    assert "paused" in error.message
    admin.call("cancelCustomerPlan", {"subscriptionId": active})
    for name in ("pauseCustomerPlan", "resumeCustomerPlan", "cancelCustomerPlan"):
        assert refused(admin, name, {"subscriptionId": active}).code == CONFLICT


def test_subscription_operations_check_ids_and_archived_customers(
    admin: DeskSession, frontdesk: DeskSession, active: str, customer: str
) -> None:
    for name in ("pauseCustomerPlan", "resumeCustomerPlan", "cancelCustomerPlan"):
        error = refused(frontdesk, name, {"subscriptionId": "SUB-999"})
        assert (error.code, error.field) == (NOT_FOUND, "subscriptionId")
        assert refused(frontdesk, name, {"subscriptionId": "PLAN-1"}).code == VALIDATION_ERROR
        assert refused(frontdesk, name, {}).field == "subscriptionId"
    assert refused(frontdesk, "cancelCustomerPlan", {"subscriptionId": active, "x": 1}).field == (
        "x"
    )
    assert (
        refused(
            frontdesk, "resumeCustomerPlan", {"subscriptionId": active, "resumeDate": "2026-05-01"}
        ).field
        == "resumeDate"
    )
    admin.call("archiveCustomer", {"customerId": customer})
    for name in ("pauseCustomerPlan", "cancelCustomerPlan"):
        assert refused(frontdesk, name, {"subscriptionId": active}).code == ARCHIVED
    assert subscription(admin, active).status == "active"
