"""Orders: recordOrder and updateOrderStatus, the customer's counters, deliveries moving on,
subscriptions taking up plan changes, and the audit entries."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import ARCHIVED, NOT_FOUND, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry, Customer, Order, Subscription
from tests.conftest import inspection

NOW = "2026-04-18T12:00:00Z"
_phones = iter(range(2_000_000, 9_999_999))


# -- helpers ------------------------------------------------------------------------------
def refused(desk: DeskSession, name: str, params: Any = None) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def new_customer(desk: DeskSession, name: str = "Ngozi Adeyemi", **extra: Any) -> str:
    params = {"name": name, "phone": f"0805{next(_phones)}", **extra}
    return str(desk.call("addProviderCustomer", params)["customerId"])


def new_plan(
    admin: DeskSession,
    name: str = "Diabetes Care Monthly",
    medications: list[str] | None = None,
    frequency: str = "monthly",
    price: int = 18500,
) -> str:
    return str(
        admin.call(
            "addPlan",
            {
                "name": name,
                "medications": medications or ["Metformin 500mg"],
                "frequency": frequency,
                "price": price,
            },
        )["planId"]
    )


def number(display_id: str) -> int:
    return int(display_id.split("-")[1])


def order(desk: DeskSession, customer: str, total: int, **extra: Any) -> dict[str, Any]:
    return desk.call("recordOrder", {"customerId": customer, "total": total, **extra})


def stats(desk: DeskSession, customer: str) -> dict[str, Any]:
    return dict(desk.call("viewProviderCustomerDetails", {"customerId": customer})["stats"])


def stored_counters(desk: DeskSession, customer: str) -> tuple[int, int, dt.datetime | None]:
    with inspection(desk) as tx:
        row = tx.get(Customer, number(customer))
        assert row is not None
        return row.total_orders, row.total_spent, row.last_order


def recomputed_counters(desk: DeskSession, customer: str) -> tuple[int, int, dt.datetime | None]:
    """What the counters must be: an aggregate of the completed orders themselves."""
    with inspection(desk) as tx:
        count, spent, last = tx.execute(
            select(
                func.count(), func.coalesce(func.sum(Order.total), 0), func.max(Order.ordered_at)
            ).where(Order.customer_id == number(customer), Order.status == "completed")
        ).one()
        return int(count), int(spent), last


def next_delivery(desk: DeskSession, sub: str) -> dt.date | None:
    with inspection(desk) as tx:
        row = tx.get(Subscription, number(sub))
        assert row is not None
        return row.next_delivery


def entries(desk: DeskSession, action: str) -> list[AuditEntry]:
    with inspection(desk) as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


@pytest.fixture
def customer(admin: DeskSession) -> str:
    return new_customer(admin)


@pytest.fixture
def monthly(admin: DeskSession, customer: str) -> str:
    """A monthly subscription starting 31 May 2026 (no weekday): the clamping case."""
    plan = new_plan(admin)
    answer = admin.call(
        "addCustomerPlan", {"customerId": customer, "planId": plan, "startDate": "2026-05-31"}
    )
    return str(answer["subscriptionId"])


# -- recordOrder --------------------------------------------------------------------------
def test_record_order_defaults_completed_now_and_counts_it(
    frontdesk: DeskSession, customer: str
) -> None:
    answer = order(frontdesk, customer, 8500)
    assert answer == {"success": True, "orderId": answer["orderId"], "nextDelivery": None}
    assert answer["orderId"].startswith("ORD-")
    assert stats(frontdesk, customer) == {
        "totalOrders": 1,
        "totalSpent": 8500,
        "activePlans": 0,
        "lastOrder": NOW,
    }
    recent = frontdesk.call("viewProviderCustomerDetails", {"customerId": customer})["recentOrders"]
    assert recent == [
        {"orderId": answer["orderId"], "date": NOW, "total": 8500, "status": "completed"}
    ]
    (row,) = frontdesk.call("fetchCustomers")["customers"]
    assert (row["totalOrders"], row["lastOrder"]) == (1, NOW)


def test_record_order_is_audited(frontdesk: DeskSession, customer: str, monthly: str) -> None:
    answer = order(frontdesk, customer, 0, date="2026-04-01T09:30:00Z", subscriptionId=monthly)
    (entry,) = entries(frontdesk, "order")
    assert (entry.user, entry.entity_type, entry.entity_id) == ("femi", "customer", customer)
    assert json.loads(entry.detail) == {
        "event": "record",
        "orderId": answer["orderId"],
        "date": "2026-04-01T09:30:00Z",
        "total": 0,
        "status": "completed",
        "subscriptionId": monthly,
        "nextDelivery": "2026-06-30",
    }


def test_pending_and_cancelled_orders_are_not_counted(admin: DeskSession, customer: str) -> None:
    order(admin, customer, 5000, status="pending")
    order(admin, customer, 7000, status="cancelled")
    assert stats(admin, customer) == {
        "totalOrders": 0,
        "totalSpent": 0,
        "activePlans": 0,
        "lastOrder": None,
    }
    recent = admin.call("viewProviderCustomerDetails", {"customerId": customer})["recentOrders"]
    assert [o["status"] for o in recent] == ["cancelled", "pending"]


def test_an_older_order_does_not_replace_the_last_order(admin: DeskSession, customer: str) -> None:
    order(admin, customer, 1000, date="2026-04-10T08:00:00Z")
    order(admin, customer, 2000, date="2025-12-24T15:45:00+01:00")  # history, with an offset
    assert stats(admin, customer) == {
        "totalOrders": 2,
        "totalSpent": 3000,
        "activePlans": 0,
        "lastOrder": "2026-04-10T08:00:00Z",
    }
    recent = admin.call("viewProviderCustomerDetails", {"customerId": customer})["recentOrders"]
    assert [o["date"] for o in recent] == ["2026-04-10T08:00:00Z", "2025-12-24T14:45:00Z"]


def test_an_order_up_to_five_minutes_ahead_is_accepted_beyond_that_refused(
    admin: DeskSession, customer: str
) -> None:
    order(admin, customer, 100, date="2026-04-18T12:05:00Z")
    error = refused(
        admin, "recordOrder", {"customerId": customer, "total": 100, "date": "2026-04-18T12:05:01Z"}
    )
    assert (error.code, error.field) == (VALIDATION_ERROR, "date")
    assert stored_counters(admin, customer)[0] == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"total": -1}, "total"),
        ({"total": "8500"}, "total"),
        ({"total": 85.5}, "total"),
        ({"total": None}, "total"),
        ({"total": 1, "date": "2026-04-18"}, "date"),
        ({"total": 1, "date": "2026-04-18T12:00:00"}, "date"),  # no time zone
        ({"total": 1, "date": 1713441600}, "date"),
        ({"total": 1, "status": "delivered"}, "status"),
        ({"total": 1, "status": "Completed"}, "status"),
        ({"total": 1, "subscriptionId": "SUB-x"}, "subscriptionId"),
        ({"total": 1, "subscriptionId": "ORD-1"}, "subscriptionId"),
        ({"total": 1, "amount": 5}, "amount"),
    ],
)
def test_record_order_validation(
    admin: DeskSession, customer: str, extra: dict[str, Any], field: str
) -> None:
    error = refused(admin, "recordOrder", {"customerId": customer, **extra})
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert stored_counters(admin, customer) == (0, 0, None)
    assert entries(admin, "order") == []


def test_record_order_existence_and_state_errors(
    admin: DeskSession, customer: str, monthly: str
) -> None:
    error = refused(admin, "recordOrder", {"customerId": "CUST-999", "total": 1})
    assert (error.code, error.field) == (NOT_FOUND, "customerId")
    error = refused(
        admin, "recordOrder", {"customerId": customer, "total": 1, "subscriptionId": "SUB-999"}
    )
    assert (error.code, error.field) == (NOT_FOUND, "subscriptionId")
    other = new_customer(admin, "Tunde Bakare")
    error = refused(
        admin, "recordOrder", {"customerId": other, "total": 1, "subscriptionId": monthly}
    )
    assert (error.code, error.field) == (VALIDATION_ERROR, "subscriptionId")
    assert stored_counters(admin, other) == (0, 0, None)
    admin.call("archiveCustomer", {"customerId": customer})
    error = refused(admin, "recordOrder", {"customerId": customer, "total": 1})
    assert error.code == ARCHIVED
    # Param errors come first, even for an archived customer.
    error = refused(admin, "recordOrder", {"customerId": customer, "total": -1})
    assert error.code == VALIDATION_ERROR


# -- deliveries ---------------------------------------------------------------------------
def test_completed_orders_move_a_monthly_delivery_anchored_to_the_start_day(
    admin: DeskSession, customer: str, monthly: str
) -> None:
    assert next_delivery(admin, monthly) == dt.date(2026, 5, 31)
    # The order's own date does not matter: previous next delivery plus one period.
    first = order(admin, customer, 18500, subscriptionId=monthly, date="2026-03-01T10:00:00Z")
    assert first["nextDelivery"] == "2026-06-30"
    second = order(admin, customer, 18500, subscriptionId=monthly)
    assert second["nextDelivery"] == "2026-07-31"
    profile = admin.call("viewProviderCustomerDetails", {"customerId": customer})
    assert profile["plans"][0]["nextDelivery"] == "2026-07-31"


def test_a_weekly_delivery_stays_on_the_preferred_weekday(
    admin: DeskSession, customer: str
) -> None:
    plan = new_plan(admin, "Weekly Pack", ["Amlodipine 5mg"], "weekly", 6500)
    sub = admin.call(
        "addCustomerPlan",
        {"customerId": customer, "planId": plan, "preferences": {"deliveryDay": "Tuesday"}},
    )["subscriptionId"]
    assert next_delivery(admin, sub) == dt.date(2026, 4, 21)
    assert order(admin, customer, 6500, subscriptionId=sub)["nextDelivery"] == "2026-04-28"
    assert order(admin, customer, 6500, subscriptionId=sub)["nextDelivery"] == "2026-05-05"


def test_pending_or_cancelled_orders_and_inactive_subscriptions_do_not_move_deliveries(
    admin: DeskSession, customer: str, monthly: str
) -> None:
    assert order(admin, customer, 1, subscriptionId=monthly, status="pending")["nextDelivery"] == (
        "2026-05-31"
    )
    assert order(admin, customer, 1, subscriptionId=monthly, status="cancelled")[
        "nextDelivery"
    ] == ("2026-05-31")
    admin.call("pauseCustomerPlan", {"subscriptionId": monthly})
    assert order(admin, customer, 1, subscriptionId=monthly)["nextDelivery"] == "2026-05-31"
    admin.call("cancelCustomerPlan", {"subscriptionId": monthly})
    answer = order(admin, customer, 1, subscriptionId=monthly)
    assert answer["nextDelivery"] is None  # a cancelled subscription has no next delivery
    # Still counted: an order is an order.
    assert stored_counters(admin, customer)[:2] == (2, 2)


def test_a_subscription_takes_up_plan_changes_at_its_next_delivery(
    admin: DeskSession, customer: str, monthly: str
) -> None:
    plan = f"PLAN-{_plan_of(admin, monthly)}"
    admin.call("updatePlan", {"planId": plan, "price": 19500, "medications": ["Metformin 1g"]})
    profile = admin.call("viewProviderCustomerDetails", {"customerId": customer})
    assert profile["plans"][0]["medications"] == ["Metformin 500mg"]
    order(admin, customer, 18500, subscriptionId=monthly)
    profile = admin.call("viewProviderCustomerDetails", {"customerId": customer})
    assert profile["plans"][0]["medications"] == ["Metformin 1g"]
    assert profile["plans"][0]["status"] == "active"
    with inspection(admin) as tx:
        row = tx.get(Subscription, number(monthly))
        assert row is not None
        assert (row.price, row.frequency) == (19500, "monthly")


def _plan_of(desk: DeskSession, sub: str) -> int:
    with inspection(desk) as tx:
        row = tx.get(Subscription, number(sub))
        assert row is not None
        return row.plan_id


def test_a_plan_change_adding_an_allergen_sends_the_subscription_back_to_review(
    admin: DeskSession, pharmacist: DeskSession
) -> None:
    allergic = new_customer(admin, "Kemi Sulfa", allergies=["Sulfa drugs"])
    plan = new_plan(admin, "HIV ART Refill", ["Tenofovir/Lamivudine/Dolutegravir"], "quarterly")
    sub = admin.call("addCustomerPlan", {"customerId": allergic, "planId": plan})["subscriptionId"]
    admin.call(
        "updatePlan",
        {
            "planId": plan,
            "medications": ["Tenofovir/Lamivudine/Dolutegravir", "Co-trimoxazole 960mg"],
        },
    )
    answer = order(admin, allergic, 36000, subscriptionId=sub)
    assert answer["nextDelivery"] == "2026-07-18"  # the delivery happened; next is scheduled
    profile = admin.call("viewProviderCustomerDetails", {"customerId": allergic})
    assert profile["plans"][0]["status"] == "pendingReview"
    assert profile["stats"]["activePlans"] == 0
    exported = admin.call("exportCustomerData", {"customerId": allergic})
    (history,) = [s["statusHistory"] for s in exported["subscriptions"]]
    assert [h["status"] for h in history] == ["active", "pendingReview"]
    assert "Co-trimoxazole 960mg" in history[-1]["reason"]
    pharmacist.call(
        "reviewCustomerPlan", {"subscriptionId": sub, "approve": True, "reason": "Desensitised"}
    )
    # The approved terms are kept; the next delivery needs no second review.
    order(admin, allergic, 36000, subscriptionId=sub)
    assert (
        admin.call("viewProviderCustomerDetails", {"customerId": allergic})["plans"][0]["status"]
        == "active"
    )


# -- updateOrderStatus --------------------------------------------------------------------
def test_pending_to_completed_counts_and_delivers(
    frontdesk: DeskSession, customer: str, monthly: str
) -> None:
    placed = order(frontdesk, customer, 18500, subscriptionId=monthly, status="pending")
    assert stored_counters(frontdesk, customer) == (0, 0, None)
    answer = frontdesk.call(
        "updateOrderStatus", {"orderId": placed["orderId"], "status": "completed"}
    )
    assert answer == {"success": True, "nextDelivery": "2026-06-30"}
    assert stats(frontdesk, customer)["totalOrders"] == 1
    assert stats(frontdesk, customer)["lastOrder"] == NOW
    entry = entries(frontdesk, "order")[-1]
    assert (entry.user, entry.entity_id) == ("femi", customer)
    assert json.loads(entry.detail) == {
        "event": "status",
        "orderId": placed["orderId"],
        "old": "pending",
        "new": "completed",
        "total": 18500,
        "subscriptionId": monthly,
        "nextDelivery": "2026-06-30",
    }


def test_completed_to_cancelled_recomputes_the_last_order(
    admin: DeskSession, customer: str
) -> None:
    older = order(admin, customer, 1000, date="2026-03-01T10:00:00Z")["orderId"]
    newest = order(admin, customer, 2500, date="2026-04-15T10:00:00Z")["orderId"]
    order(admin, customer, 9999, date="2026-04-17T10:00:00Z", status="pending")
    assert stats(admin, customer)["lastOrder"] == "2026-04-15T10:00:00Z"
    answer = admin.call("updateOrderStatus", {"orderId": newest, "status": "cancelled"})
    assert answer == {"success": True, "nextDelivery": None}
    assert stats(admin, customer) == {
        "totalOrders": 1,
        "totalSpent": 1000,
        "activePlans": 0,
        "lastOrder": "2026-03-01T10:00:00Z",  # the newest remaining completed one
    }
    admin.call("updateOrderStatus", {"orderId": older, "status": "pending"})
    assert stats(admin, customer)["lastOrder"] is None
    assert stored_counters(admin, customer) == (0, 0, None)
    admin.call("updateOrderStatus", {"orderId": newest, "status": "completed"})
    assert stored_counters(admin, customer) == recomputed_counters(admin, customer)
    assert stats(admin, customer)["totalSpent"] == 2500


def test_cancelling_a_completed_delivery_does_not_move_the_schedule_back(
    admin: DeskSession, customer: str, monthly: str
) -> None:
    placed = order(admin, customer, 18500, subscriptionId=monthly)
    answer = admin.call("updateOrderStatus", {"orderId": placed["orderId"], "status": "cancelled"})
    assert answer["nextDelivery"] == "2026-06-30"
    assert stored_counters(admin, customer) == (0, 0, None)


def test_setting_the_same_status_changes_and_audits_nothing(
    admin: DeskSession, customer: str, monthly: str
) -> None:
    placed = order(admin, customer, 18500, subscriptionId=monthly)
    before = len(entries(admin, "order"))
    answer = admin.call("updateOrderStatus", {"orderId": placed["orderId"], "status": "completed"})
    assert answer == {"success": True, "nextDelivery": "2026-06-30"}  # not moved again
    assert len(entries(admin, "order")) == before
    assert stored_counters(admin, customer)[0] == 1


def test_update_order_status_errors(admin: DeskSession, customer: str) -> None:
    placed = order(admin, customer, 500)["orderId"]
    error = refused(admin, "updateOrderStatus", {"orderId": "ORD-999", "status": "completed"})
    assert (error.code, error.field) == (NOT_FOUND, "orderId")
    for params, field in (
        ({"orderId": placed, "status": "done"}, "status"),
        ({"orderId": placed}, "status"),
        ({"status": "pending"}, "orderId"),
        ({"orderId": "CUST-1", "status": "pending"}, "orderId"),
        ({"orderId": placed, "status": "pending", "total": 5}, "total"),
    ):
        error = refused(admin, "updateOrderStatus", params)
        assert (error.code, error.field) == (VALIDATION_ERROR, field)
    admin.call("archiveCustomer", {"customerId": customer})
    error = refused(admin, "updateOrderStatus", {"orderId": placed, "status": "cancelled"})
    assert error.code == ARCHIVED
    assert stored_counters(admin, customer)[0] == 1


statuses = st.sampled_from(["pending", "completed", "cancelled"])
steps = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.integers(0, 50_000), statuses, st.integers(0, 400)),
        st.tuples(st.just("status"), st.integers(0, 20), statuses, st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    deadline=None,
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plan=steps)
def test_counters_always_equal_the_completed_orders(
    admin: DeskSession, clock: FixedClock, plan: list[tuple[str, int, str, int]]
) -> None:
    """Any mix of orders and status changes leaves the counters equal to a recount.

    Examples share one database; the invariant holds across all of them.
    """
    customer = new_customer(admin, "Counter Check")
    placed: list[str] = []
    for kind, value, status, days_ago in plan:
        if kind == "record":
            moment = clock.now() - dt.timedelta(days=days_ago, minutes=value % 60)
            placed.append(
                order(
                    admin,
                    customer,
                    value,
                    status=status,
                    date=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                )["orderId"]
            )
        elif placed:
            admin.call(
                "updateOrderStatus", {"orderId": placed[value % len(placed)], "status": status}
            )
        assert stored_counters(admin, customer) == recomputed_counters(admin, customer)
