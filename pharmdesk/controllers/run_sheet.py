"""getRefillRunSheet: the deliveries due within N days, for the printed run-sheet.

The refill queue lists customers (getCustomersWithUpcomingRefills); a rider needs one
line per delivery, with the address and the preferred time of day, grouped by date and
time. The sheet is patient data on paper, so producing it is audited as ``print``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import case, false, select

from pharmdesk.controllers import audit
from pharmdesk.controllers.plans import ACTIVE, DELIVERY_TIMES, resume_due_plans, sub_id
from pharmdesk.controllers.record.relationships import collectors
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import Param, display_id, integer
from pharmdesk.store.schema import Customer, Subscription

MAX_DAYS: Final = 365
# Rows per sheet: a branch's fortnight fits many times over; beyond it, narrow the window.
MAX_DELIVERIES: Final = 5000
TIME_ORDER: Final = {time: n for n, time in enumerate(DELIVERY_TIMES)}
# Morning, afternoon, evening, then "any time" (no preference).
TIME_RANK: Final = case(TIME_ORDER, value=Subscription.delivery_time, else_=len(TIME_ORDER))


@operation(
    "getRefillRunSheet",
    params={"days": Param(integer(0, MAX_DAYS), required=True)},
)
def refill_run_sheet(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Active deliveries due on or before today + ``days`` (overdue included), in run order:
    date, time of day (morning, afternoon, evening, then any time), name, customer, plan."""
    resume_due_plans(op)
    horizon = op.today + dt.timedelta(days=p["days"])
    rows = op.tx.execute(
        select(
            Subscription.id,
            Subscription.plan_name,
            Subscription.medications,
            Subscription.delivery_time,
            Subscription.next_delivery,
            Customer.id.label("customer_id"),
            Customer.name,
            Customer.phone,
            Customer.address,
        )
        .join(Customer, Customer.id == Subscription.customer_id)
        .where(
            Subscription.status == ACTIVE,
            Subscription.next_delivery <= horizon,
            Customer.archived == false(),
        )
        .order_by(
            Subscription.next_delivery,
            TIME_RANK,
            Customer.name_key,
            Customer.id,
            Subscription.id,
        )
        .limit(MAX_DELIVERIES + 1)
    ).all()
    # Who may collect for each customer (relationships with canCollect): the rider asks.
    collected_by = collectors(op.tx, sorted({row.customer_id for row in rows[:MAX_DELIVERIES]}))
    deliveries = [
        {
            "nextDelivery": row.next_delivery.isoformat(),
            "deliveryTime": row.delivery_time,
            "subscriptionId": sub_id(row.id),
            "planName": row.plan_name,
            "medications": list(row.medications),
            "customerId": display_id("CUST", row.customer_id),
            "name": row.name,
            "phone": row.phone,
            "address": row.address,
            "collectedBy": collected_by.get(row.customer_id, []),
        }
        for row in rows[:MAX_DELIVERIES]
    ]
    truncated = len(rows) > MAX_DELIVERIES
    op.audit(
        "print",
        "customer",
        None,
        {
            "document": "refillRunSheet",
            "days": p["days"],
            "deliveries": len(deliveries),
            "truncated": truncated,
            "customerIds": audit.shown_ids(deliveries, key="customerId"),
        },
    )
    return {
        "today": op.today.isoformat(),
        "days": p["days"],
        "deliveries": deliveries,
        "truncated": truncated,
    }
