"""Stopping and restarting deliveries: ``pauseCustomerPlan``, ``resumeCustomerPlan``
and ``cancelCustomerPlan``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pharmdesk.controllers.plans import (
    ACTIVE,
    CANCELLED,
    ENROLLED,
    PAUSED,
    SUBSCRIPTION_ID,
    audit_status,
    iso_day,
    set_status,
    subscription_for_write,
    wrong_status,
)
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.schedule import catch_up, on_weekday
from pharmdesk.controllers.validation import Param, date_value
from pharmdesk.errors import validation as invalid
from pharmdesk.store.schema import Subscription

# -- pause / resume / cancel --------------------------------------------------------------


def _status_answer(sub: Subscription) -> dict[str, Any]:
    return {"success": True, "status": sub.status, "nextDelivery": iso_day(sub.next_delivery)}


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
    sub, customer = subscription_for_write(op, p["subscriptionId"])
    if sub.status != ACTIVE:
        raise wrong_status(sub, "paused (only active subscriptions can be)")
    if resume is not None:
        restart = on_weekday(resume, sub.delivery_day)
        if sub.next_delivery is None or sub.next_delivery < restart:
            sub.next_delivery = restart
    sub.resume_date = resume
    set_status(op, sub, customer, PAUSED)
    audit_status(op, sub, customer, resumeDate=iso_day(resume))
    return _status_answer(sub)


@operation("resumeCustomerPlan", params=SUBSCRIPTION_ID)
def resume_customer_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Deliveries start again; a next delivery that passed during the pause moves to today
    (on the preferred weekday)."""
    sub, customer = subscription_for_write(op, p["subscriptionId"])
    if sub.status != PAUSED:
        raise wrong_status(sub, "resumed (only paused subscriptions can be)")
    sub.next_delivery = catch_up(sub.next_delivery, op.today, sub.delivery_day)
    sub.resume_date = None
    set_status(op, sub, customer, ACTIVE)
    audit_status(op, sub, customer)
    return _status_answer(sub)


@operation("cancelCustomerPlan", params=SUBSCRIPTION_ID)
def cancel_customer_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    sub, customer = subscription_for_write(op, p["subscriptionId"])
    if sub.status not in ENROLLED:
        raise wrong_status(sub, "cancelled again")
    sub.next_delivery = None
    sub.resume_date = None
    set_status(op, sub, customer, CANCELLED)
    audit_status(op, sub, customer)
    return {"success": True, "status": CANCELLED}
