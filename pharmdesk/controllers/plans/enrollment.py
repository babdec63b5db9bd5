"""Enrolling a customer in a plan: ``checkPlanConflicts`` and ``addCustomerPlan``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import select

from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.plans import (
    ACTIVE,
    DELIVERY_TIMES,
    ENROLLED,
    MAX_START_AHEAD,
    PENDING_REVIEW,
    PLAN_REF,
    get_plan,
    has_conflict,
    iso_day,
    plan_id,
    plan_json,
    plan_warnings,
    set_status,
    sub_id,
)
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.schedule import first_delivery
from pharmdesk.controllers.validation import WEEKDAYS, Param, choice, date_value, obj
from pharmdesk.errors import ALREADY_ENROLLED, PharmDeskError
from pharmdesk.errors import validation as invalid
from pharmdesk.store.schema import Subscription

# -- checkPlanConflicts / addCustomerPlan -------------------------------------------------------


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
        "nextDelivery": iso_day(sub.next_delivery),
        "status": status,
        "warnings": warnings,
    }
