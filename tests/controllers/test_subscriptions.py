"""Reading subscriptions (listCustomerSubscriptions, listPendingReviews) and the end of a
pause on its resume date (plans.resume_due_plans)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.plans import resume_due_plans
from pharmdesk.controllers.registry import Op
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import NOT_FOUND, PERMISSION_DENIED, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry, Customer, Subscription, SubscriptionEvent

_phones = iter(range(2_000_000, 9_999_999))


def refused(desk: DeskSession, name: str, params: Any = None) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def new_customer(desk: DeskSession, name: str, **extra: Any) -> str:
    params = {"name": name, "phone": f"0803{next(_phones)}", **extra}
    return str(desk.call("addProviderCustomer", params)["customerId"])


def new_plan(admin: DeskSession, name: str, medications: list[str], price: int = 15000) -> str:
    return str(
        admin.call(
            "addPlan",
            {"name": name, "medications": medications, "frequency": "monthly", "price": price},
        )["planId"]
    )


def enroll(desk: DeskSession, customer: str, plan: str, **extra: Any) -> str:
    params = {"customerId": customer, "planId": plan, **extra}
    return str(desk.call("addCustomerPlan", params)["subscriptionId"])


def entries(desk: DeskSession, action: str) -> list[AuditEntry]:
    with desk.db.transaction() as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def sub_row(desk: DeskSession, sub: str) -> Subscription:
    with desk.db.transaction() as tx:
        row = tx.get(Subscription, int(sub.split("-")[1]))
        assert row is not None
        tx.expunge(row)
        return row


def active_plans(desk: DeskSession, customer: str) -> int:
    with desk.db.transaction() as tx:
        row = tx.get(Customer, int(customer.split("-")[1]))
        assert row is not None
        return row.active_plans


@pytest.fixture
def hypertension(admin: DeskSession) -> str:
    return new_plan(admin, "Hypertension Care", ["Amlodipine 5mg"])


@pytest.fixture
def chest(admin: DeskSession) -> str:
    return new_plan(admin, "Chest Course", ["Amoxicillin 500mg"], price=4000)


# -- auto-resume ----------------------------------------------------------------------------
@pytest.fixture
def paused(admin: DeskSession, hypertension: str) -> tuple[str, str]:
    """A Monday subscription paused until Wednesday 3 June (next delivery Monday 8 June)."""
    customer = new_customer(admin, "Kemi Bello", noKnownAllergies=True)
    sub = enroll(admin, customer, hypertension, preferences={"deliveryDay": "Monday"})
    admin.call("pauseCustomerPlan", {"subscriptionId": sub, "resumeDate": "2026-06-03"})
    return customer, sub


def test_a_pause_does_not_end_before_its_resume_date(
    admin: DeskSession, paused: tuple[str, str], clock: FixedClock
) -> None:
    customer, _sub = paused
    clock.advance(days=45)  # Tuesday 2 June (Lagos)
    answer = admin.call("listCustomerSubscriptions", {"customerId": customer})
    assert answer["subscriptions"][0]["status"] == "paused"
    assert answer["subscriptions"][0]["resumeDate"] == "2026-06-03"
    assert active_plans(admin, customer) == 0


def test_on_its_resume_date_a_pause_ends_when_the_subscription_is_next_read(
    admin: DeskSession, paused: tuple[str, str], clock: FixedClock
) -> None:
    customer, sub = paused
    clock.advance(days=46)  # Wednesday 3 June
    [row] = admin.call("listCustomerSubscriptions", {"customerId": customer})["subscriptions"]
    assert (row["status"], row["nextDelivery"], row["resumeDate"]) == (
        "active",
        "2026-06-08",
        None,
    )
    assert row["statusReason"] == "Resume date 2026-06-03 reached."
    assert row["statusSince"] == "2026-06-03T12:00:00Z"
    assert active_plans(admin, customer) == 1
    with admin.db.transaction() as tx:
        events = tx.scalars(
            select(SubscriptionEvent.status).where(SubscriptionEvent.subscription_id == 1)
        ).all()
    assert list(events) == ["active", "paused", "active"]
    audited = entries(admin, "subscription")[-1]
    assert (audited.entity_id, json.loads(audited.detail)) == (
        customer,
        {
            "subscriptionId": sub,
            "status": "active",
            "nextDelivery": "2026-06-08",
            "event": "autoResume",
            "resumeDate": "2026-06-03",
        },
    )
    # Read again: nothing more happens.
    admin.call("listCustomerSubscriptions", {"customerId": customer})
    assert len(entries(admin, "subscription")) == 2


def test_the_next_sign_in_ends_a_pause_whose_resume_date_has_come(
    admin: DeskSession, paused: tuple[str, str], clock: FixedClock, login: Any
) -> None:
    """Nobody has to open the profile: signing in (after an idle lock, next morning) is
    enough, and the entry names the person whose sign-in did it."""
    customer, sub = paused
    clock.advance(days=46)  # Wednesday 3 June
    assert sub_row(admin, sub).status == "paused"
    pharmacist = login()
    assert sub_row(pharmacist, sub).status == "active"
    assert active_plans(pharmacist, customer) == 1
    [entry] = [e for e in entries(pharmacist, "subscription") if "autoResume" in e.detail]
    assert entry.user == "admin"
    assert json.loads(entry.detail)["resumeDate"] == "2026-06-03"


def test_the_refill_queue_lists_a_plan_whose_pause_has_ended(
    admin: DeskSession, paused: tuple[str, str], clock: FixedClock
) -> None:
    customer, sub = paused
    clock.advance(days=46)  # Wednesday 3 June; next delivery Monday 8 June
    answer = admin.call("getCustomersWithUpcomingRefills", {"days": 7})
    assert [row["id"] for row in answer["customers"]] == [customer]
    assert answer["customers"][0]["upcomingRefills"][0]["subscriptionId"] == sub
    sheet = admin.call("getRefillRunSheet", {"days": 7})
    assert [row["subscriptionId"] for row in sheet["deliveries"]] == [sub]


def test_a_resume_date_long_past_leaves_the_delivery_overdue(
    admin: DeskSession, paused: tuple[str, str], clock: FixedClock
) -> None:
    customer, sub = paused
    clock.advance(days=80)  # 7 July: the 8 June delivery was missed
    admin.call("listCustomerSubscriptions", {"customerId": customer})
    row = sub_row(admin, sub)
    assert (row.status, row.next_delivery) == ("active", dt.date(2026, 6, 8))
    refills = admin.call("getCustomersWithUpcomingRefills", {"days": 0})
    assert [r["id"] for r in refills["customers"]] == [customer]


def test_a_status_change_of_that_customer_ends_due_pauses_first(
    admin: DeskSession, paused: tuple[str, str], clock: FixedClock
) -> None:
    _customer, sub = paused
    clock.advance(days=50)
    error = refused(admin, "resumeCustomerPlan", {"subscriptionId": sub})
    assert error.code == "CONFLICT" and "active" in error.message
    assert admin.call("pauseCustomerPlan", {"subscriptionId": sub})["status"] == "paused"


def test_resume_due_plans_for_the_whole_branch_skips_archived_and_undated(
    admin: DeskSession, hypertension: str, clock: FixedClock
) -> None:
    subs = {}
    for name, resume in (
        ("Ada Obi", "2026-05-01"),
        ("Bisi Ade", None),
        ("Chidi Eze", "2026-05-02"),
    ):
        customer = new_customer(admin, name)
        sub = enroll(admin, customer, hypertension)
        params = {"subscriptionId": sub} | ({"resumeDate": resume} if resume else {})
        admin.call("pauseCustomerPlan", params)
        subs[name] = (customer, sub)
    admin.call("archiveCustomer", {"customerId": subs["Chidi Eze"][0]})
    clock.advance(days=30)
    with admin.db.transaction() as tx:
        op = Op(tx, admin, clock.now())
        assert resume_due_plans(op) == [subs["Ada Obi"][1]]
        assert resume_due_plans(op) == []
    assert sub_row(admin, subs["Bisi Ade"][1]).status == "paused"
    assert sub_row(admin, subs["Chidi Eze"][1]).status == "paused"
    assert active_plans(admin, subs["Ada Obi"][0]) == 1


def test_resume_due_plans_within_a_refill_window(
    admin: DeskSession, hypertension: str, clock: FixedClock
) -> None:
    """Only pauses whose next delivery falls in the window; the rest wait to be read."""
    customer = new_customer(admin, "Dayo Obi")
    soon = enroll(admin, customer, hypertension)
    later = enroll(admin, customer, new_plan(admin, "Thyroid Care", ["Levothyroxine"]))
    admin.call("pauseCustomerPlan", {"subscriptionId": soon, "resumeDate": "2026-05-01"})
    admin.call("pauseCustomerPlan", {"subscriptionId": later, "resumeDate": "2026-05-20"})
    clock.advance(days=40)  # 28 May: both resume dates have come
    with admin.db.transaction() as tx:
        op = Op(tx, admin, clock.now())
        assert resume_due_plans(op, due_by=dt.date(2026, 5, 10)) == [soon]
        assert resume_due_plans(op, customer_id=int(customer.split("-")[1])) == [later]


# -- listCustomerSubscriptions ----------------------------------------------------------------
def test_customer_subscriptions_carry_their_own_terms(
    admin: DeskSession, frontdesk: DeskSession, hypertension: str
) -> None:
    customer = new_customer(admin, "Kemi Bello", noKnownAllergies=True)
    sub = enroll(
        frontdesk,
        customer,
        hypertension,
        startDate="2026-04-20",
        preferences={"deliveryDay": "Monday", "deliveryTime": "morning"},
    )
    admin.call("updatePlan", {"planId": hypertension, "price": 18000, "name": "BP Care"})
    answer = frontdesk.call("listCustomerSubscriptions", {"customerId": customer})
    assert answer == {
        "customerId": customer,
        "subscriptions": [
            {
                "subscriptionId": sub,
                "planId": hypertension,
                "planName": "Hypertension Care",
                "medications": ["Amlodipine 5mg"],
                "frequency": "monthly",
                "price": 15000,
                "status": "active",
                "startDate": "2026-04-20",
                "nextDelivery": "2026-04-20",
                "resumeDate": None,
                "preferences": {"deliveryDay": "Monday", "deliveryTime": "morning"},
                "statusSince": "2026-04-18T12:00:00Z",
                "statusReason": None,
            }
        ],
    }
    [view] = [e for e in entries(admin, "view") if e.user == "femi"]
    assert view.entity_id == customer
    assert json.loads(view.detail) == {
        "operation": "listCustomerSubscriptions",
        "subscriptions": 1,
    }


def test_customer_subscriptions_oldest_first_with_status_reasons(
    admin: DeskSession, hypertension: str, chest: str
) -> None:
    customer = new_customer(admin, "Ngozi Ade", allergies=["Penicillin"])
    first = enroll(admin, customer, hypertension)
    second = enroll(admin, customer, chest)
    admin.call("cancelCustomerPlan", {"subscriptionId": first})
    subs = admin.call("listCustomerSubscriptions", {"customerId": customer})["subscriptions"]
    assert [(s["subscriptionId"], s["status"]) for s in subs] == [
        (first, "cancelled"),
        (second, "pendingReview"),
    ]
    assert subs[1]["statusReason"] == "Allergy conflict: waiting for a pharmacist's review."
    assert subs[0]["nextDelivery"] is None


def test_customer_subscriptions_errors(admin: DeskSession) -> None:
    error = refused(admin, "listCustomerSubscriptions", {"customerId": "CUST-99"})
    assert (error.code, error.field) == (NOT_FOUND, "customerId")
    for params in ({}, {"customerId": "SUB-1"}, {"customerId": "CUST-1", "page": 1}):
        assert refused(admin, "listCustomerSubscriptions", params).code == VALIDATION_ERROR
    customer = new_customer(admin, "Empty Record")
    assert admin.call("listCustomerSubscriptions", {"customerId": customer})["subscriptions"] == []


def test_an_archived_customers_subscriptions_can_still_be_read(
    admin: DeskSession, hypertension: str
) -> None:
    customer = new_customer(admin, "Old Record")
    enroll(admin, customer, hypertension)
    admin.call("archiveCustomer", {"customerId": customer})
    subs = admin.call("listCustomerSubscriptions", {"customerId": customer})["subscriptions"]
    assert len(subs) == 1


# -- listPendingReviews -----------------------------------------------------------------------
def _pending(admin: DeskSession, chest: str, clock: FixedClock, count: int) -> list[str]:
    subs = []
    for i in range(count):
        customer = new_customer(admin, f"Allergic Person {i}", allergies=["Penicillin"])
        subs.append(enroll(admin, customer, chest))
        clock.advance(minutes=1)
    return subs


def test_pending_reviews_list_the_longest_waiting_first_with_their_conflicts(
    admin: DeskSession, pharmacist: DeskSession, chest: str, hypertension: str, clock: FixedClock
) -> None:
    fine = new_customer(admin, "No Conflict", noKnownAllergies=True)
    enroll(admin, fine, hypertension)
    subs = _pending(admin, chest, clock, 2)
    answer = pharmacist.call("listPendingReviews", {})
    assert (answer["total"], answer["page"], answer["hasMore"]) == (2, 1, False)
    assert [r["subscriptionId"] for r in answer["reviews"]] == subs
    first = answer["reviews"][0]
    assert {k: v for k, v in first.items() if k != "conflicts"} == {
        "subscriptionId": subs[0],
        "customerId": "CUST-2",
        "name": "Allergic Person 0",
        "phone": first["phone"],
        "planId": chest,
        "planName": "Chest Course",
        "medications": ["Amoxicillin 500mg"],
        "allergies": ["Penicillin"],
        "reason": "Allergy conflict: waiting for a pharmacist's review.",
        "since": "2026-04-18T12:00:00Z",
        "nextDelivery": "2026-04-18",
    }
    assert first["phone"].startswith("+234")
    [conflict] = first["conflicts"]
    assert (conflict["kind"], conflict["allergy"], conflict["medication"]) == (
        "allergyConflict",
        "Penicillin",
        "Amoxicillin 500mg",
    )
    [audited] = entries(admin, "list")[-1:]
    assert audited.user == "ngozi"
    assert json.loads(audited.detail) == {
        "operation": "listPendingReviews",
        "page": 1,
        "limit": 20,
        "subscriptions": subs,
    }


def test_pending_reviews_page_without_skipping_or_repeating(
    admin: DeskSession, chest: str, clock: FixedClock
) -> None:
    subs = _pending(admin, chest, clock, 5)
    seen: list[str] = []
    for page in (1, 2, 3):
        answer = admin.call("listPendingReviews", {"page": page, "limit": 2})
        assert answer["total"] == 5 and answer["hasMore"] == (page < 3)
        seen += [r["subscriptionId"] for r in answer["reviews"]]
    assert seen == subs
    assert admin.call("listPendingReviews", {"page": 4, "limit": 2})["reviews"] == []


def test_reviewed_and_archived_leave_the_list(
    admin: DeskSession, chest: str, clock: FixedClock
) -> None:
    subs = _pending(admin, chest, clock, 3)
    admin.call("reviewCustomerPlan", {"subscriptionId": subs[0], "approve": True, "reason": "ok"})
    admin.call("archiveCustomer", {"customerId": "CUST-2"})  # subs[1]'s customer
    answer = admin.call("listPendingReviews", {})
    assert [r["subscriptionId"] for r in answer["reviews"]] == [subs[2]]
    assert answer["total"] == 1


def test_a_subscription_sent_back_for_review_is_listed_from_then(
    admin: DeskSession, hypertension: str, clock: FixedClock
) -> None:
    customer = new_customer(admin, "Later Allergy", noKnownAllergies=True)
    sub = enroll(admin, customer, new_plan(admin, "Course", ["Amoxicillin 250mg"]))
    clock.advance(days=2)
    admin.call("updateProviderCustomer", {"customerId": customer, "allergies": ["Penicillin"]})
    [review] = admin.call("listPendingReviews", {})["reviews"]
    assert (review["subscriptionId"], review["since"]) == (sub, "2026-04-20T12:00:00Z")
    assert "newly recorded allergy" in review["reason"]


def test_front_desk_cannot_list_pending_reviews(frontdesk: DeskSession, admin: DeskSession) -> None:
    assert refused(frontdesk, "listPendingReviews", {}).code == PERMISSION_DENIED
    assert json.loads(entries(admin, "denied")[-1].detail)["operation"] == "listPendingReviews"


@pytest.mark.parametrize(
    "params,field",
    [({"limit": 101}, "limit"), ({"page": 0}, "page"), ({"page": "1"}, "page"), ({"x": 1}, "x")],
)
def test_pending_reviews_params(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    error = refused(admin, "listPendingReviews", params)
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
