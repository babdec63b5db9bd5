"""The enrollment wizard's rules, headless: no Qt object is created here."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.controllers.validation import WEEKDAYS
from pharmdesk.errors import ALREADY_ENROLLED, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry, Subscription
from pharmdesk.ui.enrollment_flow import EnrollmentFlow, condition_words

TODAY = dt.date(2026, 4, 18)  # the fixed clock's date in Lagos: a Saturday
_phones = iter(range(1_000_000, 9_999_999))


def new_customer(desk: DeskSession, name: str = "Kemi Bello", **extra: Any) -> str:
    params = {"name": name, "phone": f"0803{next(_phones)}", **extra}
    return str(desk.call("addProviderCustomer", params)["customerId"])


def new_plan(
    desk: DeskSession, name: str, medications: list[str], frequency: str = "monthly"
) -> str:
    params = {"name": name, "medications": medications, "frequency": frequency, "price": 15000}
    return str(desk.call("addPlan", params)["planId"])


def subscriptions(desk: DeskSession) -> int:
    with desk.db.transaction() as tx:
        return int(tx.scalar(select(func.count()).select_from(Subscription)) or 0)


def enroll_entries(desk: DeskSession) -> list[dict[str, Any]]:
    with desk.db.transaction() as tx:
        rows = tx.scalars(
            select(AuditEntry).where(AuditEntry.action == "enroll").order_by(AuditEntry.id)
        )
        return [json.loads(e.detail) if isinstance(e.detail, str) else e.detail for e in rows]


def refused(action: Any, *args: Any) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        action(*args)
    return info.value


@pytest.fixture
def catalog(admin: DeskSession) -> dict[str, str]:
    return {
        "hypertension": new_plan(admin, "Hypertension Care", ["Amlodipine 5mg"]),
        "diabetes": new_plan(admin, "Diabetes Care Monthly", ["Metformin 500mg"]),
        "asthma": new_plan(admin, "Asthma Control", ["Salbutamol inhaler"], "weekly"),
        "chest": new_plan(admin, "Chest Infection Pack", ["Amoxicillin 500mg"]),
    }


def flow_for(desk: DeskSession, customer: str) -> EnrollmentFlow:
    flow = EnrollmentFlow(desk.call, TODAY, customer)
    flow.load_catalog()
    return flow


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (None, "2026-04-18"),
        ("Monday", "2026-04-20"),
        ("Tuesday", "2026-04-21"),
        ("Wednesday", "2026-04-22"),
        ("Thursday", "2026-04-23"),
        ("Friday", "2026-04-24"),
        ("Saturday", "2026-04-18"),
        ("Sunday", "2026-04-19"),
    ],
)
def test_first_delivery_for_each_weekday_matches_the_controller(
    admin: DeskSession, catalog: dict[str, str], day: str | None, expected: str
) -> None:
    flow = flow_for(admin, new_customer(admin))
    flow.choose_plan(catalog["hypertension"])
    flow.set_schedule(TODAY, day, "morning")
    assert flow.first_delivery().isoformat() == expected
    flow.check_conflicts()
    answer = flow.enroll()
    assert answer["nextDelivery"] == expected
    assert answer["status"] == "active"


def test_first_delivery_preview_does_not_change_the_choice(admin: DeskSession) -> None:
    flow = EnrollmentFlow(admin.call, TODAY)
    assert flow.first_delivery(dt.date(2026, 4, 22), "Monday") == dt.date(2026, 4, 27)
    assert (flow.start_date, flow.delivery_day) == (TODAY, None)


def test_the_following_deliveries_follow_the_plan_frequency(
    admin: DeskSession, catalog: dict[str, str]
) -> None:
    flow = flow_for(admin, new_customer(admin))
    flow.choose_plan(catalog["hypertension"])
    flow.set_schedule(dt.date(2026, 5, 31), None, None)
    assert [d.isoformat() for d in flow.deliveries(3)] == [
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
    ]
    flow.choose_plan(catalog["asthma"])
    flow.set_schedule(TODAY, "Tuesday", None)
    assert [d.isoformat() for d in flow.deliveries(3)] == [
        "2026-04-21",
        "2026-04-28",
        "2026-05-05",
    ]


def test_start_date_rules(admin: DeskSession, catalog: dict[str, str]) -> None:
    flow = flow_for(admin, new_customer(admin))
    flow.choose_plan(catalog["hypertension"])
    exc = refused(flow.set_schedule, TODAY - dt.timedelta(days=1), None, None)
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "startDate")
    assert "before today (18 Apr 2026)" in exc.message
    exc = refused(flow.set_schedule, TODAY + dt.timedelta(days=367), None, None)
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "startDate")
    exc = refused(flow.set_schedule, TODAY, "Funday", None)
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "deliveryDay")
    exc = refused(flow.set_schedule, TODAY, None, "midnight")
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "deliveryTime")
    assert flow.start_date == TODAY  # a refused schedule changes nothing
    flow.set_schedule(TODAY + dt.timedelta(days=366), "Friday", "evening")
    assert flow.params()["startDate"] == "2027-04-19"
    assert flow.params()["preferences"] == {"deliveryDay": "Friday", "deliveryTime": "evening"}
    flow.set_schedule(TODAY, None, None)
    assert flow.params()["preferences"] == {}


def test_plans_matching_conditions_come_first_and_the_filter_narrows(
    admin: DeskSession, catalog: dict[str, str]
) -> None:
    cust = new_customer(admin, medicalConditions=["Diabetes Type 2", "Hypertension"])
    flow = flow_for(admin, cust)
    choices = flow.plans()
    assert [c.name for c in choices] == [
        "Diabetes Care Monthly",
        "Hypertension Care",
        "Asthma Control",
        "Chest Infection Pack",
    ]
    assert [c.matches_condition for c in choices] == [True, True, False, False]
    assert [c.name for c in flow.plans("amlo")] == ["Hypertension Care"]
    assert [c.name for c in flow.plans("care MONTHLY")] == ["Diabetes Care Monthly"]
    assert flow.plans("nothing like this") == []
    assert condition_words(["Diabetes Type 2", "HIV"]) == {"diabetes"}


def test_already_enrolled_plans_are_listed_but_not_selectable(
    admin: DeskSession, catalog: dict[str, str]
) -> None:
    cust = new_customer(admin)
    first = admin.call("addCustomerPlan", {"customerId": cust, "planId": catalog["diabetes"]})
    flow = flow_for(admin, cust)
    diabetes = next(c for c in flow.plans() if c.id == catalog["diabetes"])
    assert (diabetes.enrolled_as, diabetes.selectable) == (first["subscriptionId"], False)
    exc = refused(flow.choose_plan, catalog["diabetes"])
    assert (exc.code, exc.field) == (ALREADY_ENROLLED, "planId")
    assert first["subscriptionId"] in exc.message
    # After a cancellation the plan can be chosen again.
    admin.call("cancelCustomerPlan", {"subscriptionId": first["subscriptionId"]})
    flow = flow_for(admin, cust)
    assert flow.choose_plan(catalog["diabetes"]).selectable


def test_another_plan_reads_the_customer_again(admin: DeskSession, catalog: dict[str, str]) -> None:
    flow = flow_for(admin, new_customer(admin))
    flow.choose_plan(catalog["diabetes"])
    flow.set_schedule(TODAY, "Monday", "evening")
    flow.check_conflicts()
    flow.enroll()
    flow.another_plan()
    assert (flow.plan, flow.result, flow.delivery_day, flow.start_date) == (None, None, None, TODAY)
    assert not next(c for c in flow.plans() if c.id == catalog["diabetes"]).selectable


def test_retired_plans_are_not_offered(admin: DeskSession, catalog: dict[str, str]) -> None:
    flow = flow_for(admin, new_customer(admin))
    admin.call("updatePlan", {"planId": catalog["asthma"], "active": False})
    # Retired after the catalog was read: the stale page still lists it, and the
    # controller refuses the enrollment (the review page shows why), writing nothing.
    flow.choose_plan(catalog["asthma"])
    flow.check_conflicts()
    exc = refused(flow.enroll)
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "planId")
    assert "retired" in exc.message
    assert subscriptions(admin) == 0
    flow.load_catalog()
    assert catalog["asthma"] not in [c.id for c in flow.plans()]
    exc = refused(flow.choose_plan, catalog["asthma"])
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "planId")
    exc = refused(flow.choose_plan, "PLAN-999")
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "planId")


def test_an_allergy_conflict_must_be_acknowledged_and_the_acknowledgement_is_audited(
    admin: DeskSession, catalog: dict[str, str]
) -> None:
    cust = new_customer(admin, allergies=["Penicillin"])
    flow = flow_for(admin, cust)
    flow.choose_plan(catalog["chest"])
    flow.set_schedule(TODAY, None, None)
    [warning] = flow.check_conflicts()
    assert warning["kind"] == "allergyConflict"
    assert flow.needs_acknowledgement and not flow.can_enroll
    exc = refused(flow.enroll)
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "acknowledged")
    assert subscriptions(admin) == 0 and enroll_entries(admin) == []
    flow.acknowledged = True
    assert flow.can_enroll
    answer = flow.enroll()
    assert answer["status"] == "pendingReview"
    ack, enroll = enroll_entries(admin)
    assert ack["event"] == "acknowledgeConflicts"
    assert ack["conflicts"] == [{"allergy": "Penicillin", "medication": "Amoxicillin 500mg"}]
    assert enroll["subscriptionId"] == answer["subscriptionId"]


def test_changing_the_plan_forgets_the_acknowledgement(
    admin: DeskSession, catalog: dict[str, str]
) -> None:
    flow = flow_for(admin, new_customer(admin, allergies=["Penicillin"]))
    flow.choose_plan(catalog["chest"])
    flow.check_conflicts()
    flow.acknowledged = True
    flow.choose_plan(catalog["hypertension"])
    assert (flow.warnings, flow.acknowledged) == ([], False)
    assert flow.check_conflicts() == []
    assert flow.can_enroll and not flow.needs_acknowledgement
    flow.enroll()
    assert [e.get("event") for e in enroll_entries(admin)] == [None]  # no acknowledgement


def test_a_not_asked_warning_needs_no_acknowledgement(
    admin: DeskSession, catalog: dict[str, str]
) -> None:
    flow = flow_for(admin, new_customer(admin))
    flow.choose_plan(catalog["chest"])
    assert [w["kind"] for w in flow.check_conflicts()] == ["allergiesNotRecorded"]
    assert flow.can_enroll
    assert flow.enroll()["status"] == "active"


def test_customer_search_and_choice(admin: DeskSession, catalog: dict[str, str]) -> None:
    kemi = new_customer(admin, "Kemi Bello")
    new_customer(admin, "Tunde Bello")
    flow = EnrollmentFlow(admin.call, TODAY)
    assert flow.customer is None and not flow.started_with_customer
    assert flow.search_customers("  ") == []
    assert [c["name"] for c in flow.search_customers("bello")] == ["Kemi Bello", "Tunde Bello"]
    exc = refused(flow.choose_plan, catalog["asthma"])
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "customerId")
    flow.choose_customer(kemi)
    assert flow.customer_id == kemi
    admin.call("archiveCustomer", {"customerId": kemi})
    exc = refused(flow.choose_customer, kemi)
    assert (exc.code, exc.field) == (VALIDATION_ERROR, "customerId")


def test_enroll_needs_customer_and_plan(admin: DeskSession) -> None:
    flow = EnrollmentFlow(admin.call, TODAY)
    assert not flow.can_enroll
    assert refused(flow.enroll).code == VALIDATION_ERROR
    assert refused(flow.check_conflicts).code == VALIDATION_ERROR
    assert len(WEEKDAYS) == 7
