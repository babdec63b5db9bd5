"""A pharmacist's review of a subscription held for an allergy conflict:
``reviewCustomerPlan``."""

from __future__ import annotations

from typing import Any

from pharmdesk.controllers.customers.lookup import cust_id
from pharmdesk.controllers.plans import (
    ACTIVE,
    CANCELLED,
    MAX_REASON,
    PENDING_REVIEW,
    SUBSCRIPTION_ID,
    set_status,
    sub_id,
    subscription_for_write,
    wrong_status,
)
from pharmdesk.controllers.registry import PHARMACISTS, Op, operation
from pharmdesk.controllers.schedule import catch_up
from pharmdesk.controllers.validation import Param, boolean, free_text

# -- reviewCustomerPlan -------------------------------------------------------------------


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
    sub, customer = subscription_for_write(op, p["subscriptionId"])
    if sub.status != PENDING_REVIEW:
        raise wrong_status(sub, "reviewed (only subscriptions waiting for review can be)")
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
