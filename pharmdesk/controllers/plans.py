"""The plan catalog and customers' subscriptions to it: enroll, review, pause, resume, cancel.

A subscription keeps a copy of its plan's terms (name, medications, frequency, price) as
they were when it was enrolled; a plan change reaches it at its next completed delivery
(``complete_delivery``, called by the order operations). Every status change is kept in
``SubscriptionEvent`` and updates the customer's ``active_plans`` counter in the same
transaction, so lists never count subscriptions.
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
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.registry import ADMINS, PHARMACISTS, Op, operation
from pharmdesk.controllers.schedule import (
    FREQUENCIES,
    catch_up,
    first_delivery,
    next_delivery_after,
    on_weekday,
)
from pharmdesk.controllers.validation import (
    WEEKDAYS,
    Param,
    boolean,
    choice,
    clean_text,
    date_value,
    display_id,
    entity_id,
    free_text,
    integer,
    obj,
    search_key,
    single_script,
    string_list,
)
from pharmdesk.errors import ALREADY_ENROLLED, CONFLICT, DUPLICATE, PharmDeskError, not_found
from pharmdesk.errors import validation as invalid
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
            set_status(
                op,
                sub,
                customer,
                PENDING_REVIEW,
                "The plan now includes "
                + ", ".join(dict.fromkeys(c["medication"] for c in conflicts))
                + ", which conflicts with a recorded allergy.",
            )


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
            set_status(
                op,
                sub,
                customer,
                PENDING_REVIEW,
                "A newly recorded allergy conflicts with "
                + ", ".join(dict.fromkeys(c["medication"] for c in conflicts))
                + ".",
            )
            sent_back.append(sub_id(sub.id))
    return sent_back


# -- listPlans ----------------------------------------------------------------------------
@operation("listPlans", params={"includeRetired": Param(boolean(), default=False)})
def list_plans(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    query = select(Plan)
    if not p["includeRetired"]:
        query = query.where(Plan.active.is_(True))
    plans = sorted(op.tx.scalars(query), key=lambda plan: (search_key(plan.name), plan.id))
    return {"plans": [{**plan_json(plan), "active": plan.active} for plan in plans]}


# -- addPlan / updatePlan -------------------------------------------------------------------
def _plan_name(value: str) -> str:
    name = clean_text(value)
    if len(name) < 2:
        raise invalid("Enter the plan's name (at least 2 characters).", "name")
    return single_script(name, "name")


def _medications(values: list[str]) -> list[str]:
    if not values:
        raise invalid("A plan needs at least one medication.", "medications")
    return values


def _duplicate_plan(tx: Session, name: str, exclude: int | None) -> None:
    """Two active plans with one name would be impossible to tell apart at the desk."""
    key = search_key(name)
    for other in tx.scalars(select(Plan).where(Plan.active.is_(True))):
        if other.id != exclude and search_key(other.name) == key:
            raise PharmDeskError(
                DUPLICATE,
                f"An active plan is already called {other.name} ({plan_id(other.id)}). "
                "Choose another name or change that plan.",
                "name",
            )


PLAN_TERMS: Final = {
    "name": Param(free_text(1, 120)),
    "medications": Param(string_list()),
    "price": Param(integer(0, MAX_PRICE)),
}


@operation(
    "addPlan",
    params={
        **{key: Param(spec.convert, required=True) for key, spec in PLAN_TERMS.items()},
        "frequency": Param(choice(*FREQUENCIES), required=True),
    },
    roles=ADMINS,
)
def add_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    name = _plan_name(p["name"])
    medications = _medications(p["medications"])
    _duplicate_plan(op.tx, name, None)
    plan = Plan(
        name=name,
        medications=medications,
        frequency=p["frequency"],
        price=p["price"],
        active=True,
        created_at=op.naive_now,
        updated_at=op.naive_now,
    )
    op.tx.add(plan)
    op.tx.flush()
    op.audit("plan", "plan", plan_id(plan.id), {"event": "add", **plan_json(plan)})
    return {"success": True, "planId": plan_id(plan.id)}


@operation(
    "updatePlan",
    params={
        "planId": Param(entity_id(PLAN), required=True),
        **PLAN_TERMS,
        "active": Param(boolean()),
    },
    roles=ADMINS,
)
def update_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Change the catalog entry; subscriptions take it up at their next delivery.

    Plans are never deleted (subscriptions and history point at them): ``active: false``
    retires one, so it can no longer be chosen for a new enrollment.
    """
    new: dict[str, Any] = {}
    if "name" in p:
        new["name"] = _plan_name(p["name"])
    if "medications" in p:
        new["medications"] = _medications(p["medications"])
    for key in ("price", "active"):
        if key in p:
            new[key] = p[key]
    plan = get_plan(op.tx, p["planId"])
    changes = {
        key: (getattr(plan, key), value)
        for key, value in new.items()
        if getattr(plan, key) != value
    }
    if not changes:
        return {"success": True, "updatedFields": []}
    if new.get("active", plan.active) and ("name" in changes or "active" in changes):
        _duplicate_plan(op.tx, new.get("name", plan.name), plan.id)
    for key, (_, value) in changes.items():
        setattr(plan, key, value)
    plan.updated_at = op.naive_now
    op.audit(
        "plan",
        "plan",
        plan_id(plan.id),
        {
            "event": "update",
            "changes": {key: {"old": old, "new": value} for key, (old, value) in changes.items()},
        },
    )
    return {"success": True, "updatedFields": sorted(changes)}


# -- checkPlanConflicts / addCustomerPlan -------------------------------------------------------
PLAN_REF: Final = {"planId": Param(entity_id(PLAN), required=True)}


@operation("checkPlanConflicts", params={**CUSTOMER_ID, **PLAN_REF})
def check_plan_conflicts(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """The warnings an enrollment would give, shown before enrolling (audited: they reveal
    the customer's allergies)."""
    customer = get_customer(op.tx, p["customerId"])
    plan = get_plan(op.tx, p["planId"])
    warnings = plan_warnings(op.tx, customer, list(plan.medications))
    op.audit(
        "view",
        "customer",
        cust_id(customer.id),
        {
            "operation": "checkPlanConflicts",
            "planId": plan_id(plan.id),
            "warnings": [w["kind"] for w in warnings],
        },
    )
    return {"warnings": warnings}


PREFERENCES: Final = {
    "deliveryDay": Param(choice(*WEEKDAYS)),
    "deliveryTime": Param(choice(*DELIVERY_TIMES)),
}


@operation(
    "addCustomerPlan",
    params={
        **CUSTOMER_ID,
        **PLAN_REF,
        "startDate": Param(date_value()),
        "preferences": Param(obj(PREFERENCES), default={}),
    },
)
def add_customer_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    today = op.today
    start: dt.date = p.get("startDate", today)
    if start < today:
        raise invalid(
            f"The start date cannot be before today ({today.isoformat()}). Choose today or a "
            "later date.",
            "startDate",
        )
    if start > today + MAX_START_AHEAD:
        raise invalid("The start date must be within a year from today.", "startDate")
    day: str | None = p["preferences"].get("deliveryDay")
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    plan = get_plan(op.tx, p["planId"])
    if not plan.active:
        raise invalid(
            f"{plan.name} ({plan_id(plan.id)}) is retired and takes no new enrollments. "
            "Choose a current plan.",
            "planId",
        )
    existing = op.tx.scalar(
        select(Subscription)
        .where(
            Subscription.customer_id == customer.id,
            Subscription.plan_id == plan.id,
            Subscription.status.in_(ENROLLED),
        )
        .limit(1)
    )
    if existing is not None:
        raise PharmDeskError(
            ALREADY_ENROLLED,
            f"{cust_id(customer.id)} is already enrolled in {plan.name} as "
            f"{sub_id(existing.id)} ({existing.status}). Open that subscription instead.",
            "planId",
        )
    warnings = plan_warnings(op.tx, customer, list(plan.medications))
    status = PENDING_REVIEW if has_conflict(warnings) else ACTIVE
    sub = Subscription(
        customer_id=customer.id,
        plan_id=plan.id,
        plan_name=plan.name,
        medications=list(plan.medications),
        frequency=plan.frequency,
        price=plan.price,
        start_date=start,
        status=status,
        delivery_day=day,
        delivery_time=p["preferences"].get("deliveryTime"),
        next_delivery=first_delivery(start, day),
        resume_date=None,
        created_at=op.naive_now,
        updated_at=op.naive_now,
    )
    op.tx.add(sub)
    op.tx.flush()
    reason = "Allergy conflict: waiting for a pharmacist's review." if status != ACTIVE else None
    set_status(op, sub, customer, status, reason)
    op.audit(
        "enroll",
        "customer",
        cust_id(customer.id),
        {
            "subscriptionId": sub_id(sub.id),
            "planId": plan_id(plan.id),
            "status": status,
            "startDate": start.isoformat(),
            "warnings": warnings,
        },
    )
    return {
        "success": True,
        "subscriptionId": sub_id(sub.id),
        "plan": plan_json(plan),
        "nextDelivery": _iso(sub.next_delivery),
        "status": status,
        "warnings": warnings,
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


# -- reviewCustomerPlan -------------------------------------------------------------------
SUBSCRIPTION_ID: Final = {"subscriptionId": Param(entity_id(SUB), required=True)}


def _subscription_for_write(op: Op, number: int) -> tuple[Subscription, Customer]:
    """The subscription and its customer, after any pause of theirs that is due has ended."""
    sub = get_subscription(op.tx, number)
    customer = get_customer(op.tx, sub.customer_id, for_write=True)
    resume_due_plans(op, customer.id)
    return sub, customer


def _wrong_status(sub: Subscription, wanted: str) -> PharmDeskError:
    return PharmDeskError(
        CONFLICT,
        f"{sub_id(sub.id)} is {sub.status}, so it cannot be {wanted}. Reopen the customer's "
        "profile to see its current state.",
        "subscriptionId",
    )


@operation(
    "reviewCustomerPlan",
    params={
        **SUBSCRIPTION_ID,
        "approve": Param(boolean(), required=True),
        "reason": Param(free_text(1, MAX_REASON, multiline=True), required=True),
    },
    roles=PHARMACISTS,
)
def review_customer_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """A pharmacist's decision on an enrollment flagged for an allergy conflict."""
    sub, customer = _subscription_for_write(op, p["subscriptionId"])
    if sub.status != PENDING_REVIEW:
        raise _wrong_status(sub, "reviewed (only subscriptions waiting for review can be)")
    if p["approve"]:
        sub.next_delivery = catch_up(sub.next_delivery, op.today, sub.delivery_day)
        set_status(op, sub, customer, ACTIVE, p["reason"])
    else:
        sub.next_delivery = None
        set_status(op, sub, customer, CANCELLED, p["reason"])
    op.audit(
        "review",
        "customer",
        cust_id(customer.id),
        {
            "subscriptionId": sub_id(sub.id),
            "approve": p["approve"],
            "reason": p["reason"],
            "status": sub.status,
        },
    )
    return {"success": True, "status": sub.status}


# -- pause / resume / cancel --------------------------------------------------------------
def _audit_status(op: Op, sub: Subscription, customer: Customer, **extra: Any) -> None:
    op.audit(
        "subscription",
        "customer",
        cust_id(customer.id),
        {
            "subscriptionId": sub_id(sub.id),
            "status": sub.status,
            "nextDelivery": _iso(sub.next_delivery),
            **extra,
        },
    )


def _status_answer(sub: Subscription) -> dict[str, Any]:
    return {"success": True, "status": sub.status, "nextDelivery": _iso(sub.next_delivery)}


_DUE_PAUSE = (
    select(Subscription.id)
    .where(Subscription.status == PAUSED, Subscription.resume_date <= bindparam("today"))
    .limit(1)
)
_DUE_PAUSE_OF = (
    select(Subscription.id)
    .where(
        Subscription.customer_id == bindparam("customer"),
        Subscription.status == PAUSED,
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
    if customer_id is None:
        probe = op.tx.execute(_DUE_PAUSE, {"today": op.today})
    else:
        probe = op.tx.execute(_DUE_PAUSE_OF, {"today": op.today, "customer": customer_id})
    if probe.first() is None:
        return []
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
        _audit_status(op, sub, customer, event="autoResume", resumeDate=resume.isoformat())
        resumed.append(sub_id(sub.id))
    return resumed


@operation("pauseCustomerPlan", params={**SUBSCRIPTION_ID, "resumeDate": Param(date_value())})
def pause_customer_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Stop deliveries for a while. With a resume date, the next delivery moves to the first
    preferred weekday on or after it, and the pause ends by itself on that date
    (``resume_due_plans``); without one it lasts until staff resume it."""
    resume: dt.date | None = p.get("resumeDate")
    if resume is not None and resume <= op.today:
        raise invalid(
            f"The resume date must be after today ({op.today.isoformat()}). Choose a later "
            "date, or leave it empty to pause until someone resumes the plan.",
            "resumeDate",
        )
    sub, customer = _subscription_for_write(op, p["subscriptionId"])
    if sub.status != ACTIVE:
        raise _wrong_status(sub, "paused (only active subscriptions can be)")
    if resume is not None:
        restart = on_weekday(resume, sub.delivery_day)
        if sub.next_delivery is None or sub.next_delivery < restart:
            sub.next_delivery = restart
    sub.resume_date = resume
    set_status(op, sub, customer, PAUSED)
    _audit_status(op, sub, customer, resumeDate=_iso(resume))
    return _status_answer(sub)


@operation("resumeCustomerPlan", params=SUBSCRIPTION_ID)
def resume_customer_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Deliveries start again; a next delivery that passed during the pause moves to today
    (on the preferred weekday)."""
    sub, customer = _subscription_for_write(op, p["subscriptionId"])
    if sub.status != PAUSED:
        raise _wrong_status(sub, "resumed (only paused subscriptions can be)")
    sub.next_delivery = catch_up(sub.next_delivery, op.today, sub.delivery_day)
    sub.resume_date = None
    set_status(op, sub, customer, ACTIVE)
    _audit_status(op, sub, customer)
    return _status_answer(sub)


@operation("cancelCustomerPlan", params=SUBSCRIPTION_ID)
def cancel_customer_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    sub, customer = _subscription_for_write(op, p["subscriptionId"])
    if sub.status not in ENROLLED:
        raise _wrong_status(sub, "cancelled again")
    sub.next_delivery = None
    sub.resume_date = None
    set_status(op, sub, customer, CANCELLED)
    _audit_status(op, sub, customer)
    return {"success": True, "status": CANCELLED}
