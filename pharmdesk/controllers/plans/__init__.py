"""The plan catalog and customers' subscriptions to it: the statuses and ids, the reads by id,
and the bookkeeping every change shares.

A subscription keeps a copy of its plan's terms (name, medications, frequency, price) as
they were when it was enrolled; a plan change reaches it at its next completed delivery
(``complete_delivery``, called by the order operations). Every status change is kept in
``SubscriptionEvent`` and updates the customer's ``active_plans`` counter in the same
transaction, so lists never count subscriptions.

The operations live in the modules of this package: ``catalog`` (listPlans, addPlan,
updatePlan), ``enrollment`` (checkPlanConflicts, addCustomerPlan), ``review``
(reviewCustomerPlan) and ``lifecycle`` (pause, resume, cancel).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from pharmdesk.controllers.allergy_check import (
    ALLERGY_CONFLICT,
    allergy_conflicts,
    not_recorded_warning,
)
from pharmdesk.controllers.customers.labels import RECORDED, UNKNOWN, labels
from pharmdesk.controllers.customers.lookup import cust_id, get_customer
from pharmdesk.controllers.registry import Op
from pharmdesk.controllers.schedule import first_delivery, next_delivery_after, on_weekday
from pharmdesk.controllers.validation import Param, display_id, entity_id
from pharmdesk.errors import CONFLICT, PharmDeskError, not_found
from pharmdesk.store.planner import unindexed
from pharmdesk.store.schema import Customer, CustomerAllergy, Plan, Subscription, SubscriptionEvent

PLAN: Final = "PLAN"
SUB: Final = "SUB"
PENDING_REVIEW: Final = "pendingReview"
ACTIVE: Final = "active"
PAUSED: Final = "paused"
CANCELLED: Final = "cancelled"
# Statuses in which a customer is still enrolled: a second enrollment is refused.
ENROLLED: Final = (ACTIVE, PENDING_REVIEW, PAUSED)
DELIVERY_TIMES: Final = ("morning", "afternoon", "evening")
MAX_PRICE: Final = 100_000_000
MAX_START_AHEAD: Final = dt.timedelta(days=366)
MAX_REASON: Final = 1000


def plan_id(number: int) -> str:
    return display_id(PLAN, number)


def sub_id(number: int) -> str:
    return display_id(SUB, number)


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan_id(plan.id),
        "name": plan.name,
        "medications": list(plan.medications),
        "frequency": plan.frequency,
        "price": plan.price,
    }


# -- shared lookups and bookkeeping (orders.py uses these too) ------------------------------
def get_plan(tx: Session, number: int) -> Plan:
    plan = tx.get(Plan, number)
    if plan is None:
        raise not_found(f"No plan {plan_id(number)}. Pick one from the plan list.", "planId")
    return plan


def get_subscription(tx: Session, number: int) -> Subscription:
    sub = tx.get(Subscription, number)
    if sub is None:
        raise not_found(
            f"No subscription {sub_id(number)}. Check the id on the customer's profile.",
            "subscriptionId",
        )
    return sub


def refresh_active_plans(tx: Session, customer: Customer) -> None:
    """Set the counter from the subscriptions themselves (after this transaction's changes)."""
    tx.flush()
    customer.active_plans = int(
        tx.scalar(
            select(func.count())
            .select_from(Subscription)
            .where(Subscription.customer_id == customer.id, Subscription.status == ACTIVE)
        )
        or 0
    )


def set_status(
    op: Op, sub: Subscription, customer: Customer, status: str, reason: str | None = None
) -> None:
    """Change a subscription's status: history row and the customer's counter, together."""
    sub.status = status
    sub.updated_at = op.naive_now
    op.tx.add(
        SubscriptionEvent(
            subscription_id=sub.id, at=op.naive_now, status=status, by=op.user, reason=reason
        )
    )
    refresh_active_plans(op.tx, customer)


def plan_warnings(tx: Session, customer: Customer, medications: list[str]) -> list[dict[str, Any]]:
    """addCustomerPlan's warnings: unasked allergies, or conflicts with recorded ones."""
    if customer.allergy_status == UNKNOWN:
        return [not_recorded_warning()]
    if customer.allergy_status != RECORDED:
        return []
    return allergy_conflicts(labels(tx, CustomerAllergy, customer.id), medications)


def has_conflict(warnings: list[dict[str, Any]]) -> bool:
    return any(w["kind"] == ALLERGY_CONFLICT for w in warnings)


def complete_delivery(op: Op, sub: Subscription, customer: Customer) -> None:
    """A completed order for an active subscription: the next delivery moves one period on,
    and the subscription takes up the plan's current terms.

    When a plan change brings in a medication that conflicts with a recorded allergy, the
    subscription goes back to a pharmacist for review rather than delivering it unasked.
    """
    previous = sub.next_delivery or first_delivery(sub.start_date, sub.delivery_day)
    sub.next_delivery = next_delivery_after(
        previous, sub.frequency, sub.start_date, sub.delivery_day
    )
    sub.updated_at = op.naive_now
    plan = get_plan(op.tx, sub.plan_id)
    added = [m for m in plan.medications if m not in sub.medications]
    sub.plan_name = plan.name
    sub.medications = list(plan.medications)
    sub.frequency = plan.frequency
    sub.price = plan.price
    if added and customer.allergy_status == RECORDED:
        conflicts = allergy_conflicts(labels(op.tx, CustomerAllergy, customer.id), added)
        if conflicts:
            _send_back(
                op,
                sub,
                customer,
                f"The plan now includes {_medications(conflicts)}, which conflicts with a "
                "recorded allergy.",
            )


def _medications(conflicts: list[dict[str, Any]]) -> str:
    return ", ".join(dict.fromkeys(c["medication"] for c in conflicts))


def _send_back(op: Op, sub: Subscription, customer: Customer, reason: str) -> None:
    """Back to a pharmacist: the subscription waits in ``pendingReview``."""
    set_status(op, sub, customer, PENDING_REVIEW, reason)


def review_after_allergy_change(op: Op, customer: Customer, allergies: list[str]) -> list[str]:
    """Send active or paused subscriptions that now conflict with a recorded allergy back
    to a pharmacist (``pendingReview``). Returns the subscription ids sent back.
    """
    if not allergies:
        return []
    sent_back = []
    subs = op.tx.scalars(
        select(Subscription).where(
            Subscription.customer_id == customer.id,
            Subscription.status.in_((ACTIVE, PAUSED)),
        )
    ).all()
    for sub in subs:
        conflicts = allergy_conflicts(allergies, list(sub.medications))
        if conflicts:
            _send_back(
                op,
                sub,
                customer,
                f"A newly recorded allergy conflicts with {_medications(conflicts)}.",
            )
            sent_back.append(sub_id(sub.id))
    return sent_back


PLAN_REF: Final = {"planId": Param(entity_id(PLAN), required=True)}


def iso_day(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


SUBSCRIPTION_ID: Final = {"subscriptionId": Param(entity_id(SUB), required=True)}


def subscription_for_write(op: Op, number: int) -> tuple[Subscription, Customer]:
    """The subscription and its customer, after any pause of theirs that is due has ended."""
    sub = get_subscription(op.tx, number)
    customer = get_customer(op.tx, sub.customer_id, for_write=True)
    resume_due_plans(op, customer.id)
    return sub, customer


def wrong_status(sub: Subscription, wanted: str) -> PharmDeskError:
    return PharmDeskError(
        CONFLICT,
        f"{sub_id(sub.id)} is {sub.status}, so it cannot be {wanted}. Reopen the customer's "
        "profile to see its current state.",
        "subscriptionId",
    )


def audit_status(op: Op, sub: Subscription, customer: Customer, **extra: Any) -> None:
    op.audit(
        "subscription",
        "customer",
        cust_id(customer.id),
        {
            "subscriptionId": sub_id(sub.id),
            "status": sub.status,
            "nextDelivery": iso_day(sub.next_delivery),
            **extra,
        },
    )


_DUE_PAUSE = (
    select(Subscription.id)
    .where(Subscription.status == PAUSED, Subscription.resume_date <= bindparam("today"))
    .limit(1)
)
# One customer's: sought through ix_subscription_customer (``unindexed``: on a file
# without statistics SQLite would otherwise walk every due pause of the branch).
_DUE_PAUSE_OF = (
    select(Subscription.id)
    .where(
        Subscription.customer_id == bindparam("customer"),
        unindexed(Subscription.status) == PAUSED,
        Subscription.resume_date <= bindparam("today"),
    )
    .limit(1)
)


def resume_due_plans(
    op: Op, customer_id: int | None = None, due_by: dt.date | None = None
) -> list[str]:
    """End every pause whose resume date has come (of one customer, or of the branch).

    A resume date is the day deliveries start again (API.md: pause with ``resumeDate``),
    so on that day the subscription is active once more: counted, in the refill queue,
    moved on by its deliveries, without anyone having to remember to press Resume. The
    change happens when the subscription is next read or changed ("resume on read"):
    its next delivery, set at pause time to the preferred weekday on or after the resume
    date, is kept, so a resume date that passed unnoticed shows as overdue, as it is.
    Each one gets a history row and a ``subscription`` audit entry (event ``autoResume``).
    Archived customers' subscriptions are left alone (an archived record is never changed).

    ``customer_id``: only that customer's (the profile, a status change: an index lookup).
    ``due_by``: only those whose next delivery is on or before it (the refill queue for
    a window: a range of the refill index; the others are not in the queue anyway).
    Returns the subscription ids resumed, in id order.
    """
    # Almost always there is nothing to resume: answer that with one prepared index seek
    # before building the ORM query (this runs at every sign-in, view and refill read).
    op.tx.flush()  # the probe below sees this transaction's own changes, as a query would
    conn = op.tx.connection()  # a Core statement: no ORM work for the usual "none"
    if customer_id is None:
        probe = conn.execute(_DUE_PAUSE, {"today": op.today})
    else:
        probe = conn.execute(_DUE_PAUSE_OF, {"today": op.today, "customer": customer_id})
    if probe.first() is None:
        return []
    op.exclusive()  # it writes: after the other desks' transactions (a branch server)
    query = (
        select(Subscription)
        .join(Customer, Customer.id == Subscription.customer_id)
        .where(
            Subscription.status == PAUSED,
            Subscription.resume_date.is_not(None),
            Subscription.resume_date <= op.today,
            Customer.archived.is_(False),
        )
    )
    if customer_id is not None:
        query = query.where(Subscription.customer_id == customer_id)
    if due_by is not None:
        query = query.where(Subscription.next_delivery <= due_by)
    resumed = []
    # Sorted here, not in SQL: an ORDER BY id would walk the whole table by rowid.
    for sub in sorted(op.tx.scalars(query).all(), key=lambda s: s.id):
        customer = op.tx.get(Customer, sub.customer_id)
        assert customer is not None  # the join found it
        resume = sub.resume_date
        assert resume is not None  # the query asked for one
        sub.next_delivery = sub.next_delivery or on_weekday(resume, sub.delivery_day)
        sub.resume_date = None
        set_status(op, sub, customer, ACTIVE, f"Resume date {resume.isoformat()} reached.")
        audit_status(op, sub, customer, event="autoResume", resumeDate=resume.isoformat())
        resumed.append(sub_id(sub.id))
    return resumed
