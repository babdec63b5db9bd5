"""Orders: record one, change its status, and keep the customer's counters true.

Lists and segments read ``total_orders``, ``total_spent`` and ``last_order`` straight from
the customer row, so every write here that moves an order into or out of ``completed``
updates them in the same transaction. A completed order for an active subscription is a
delivery: its next delivery moves one period on (see ``plans.complete_delivery``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import func, select

from pharmdesk.clock import to_iso
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.plans import (
    ACTIVE,
    SUB,
    complete_delivery,
    get_subscription,
    resume_due_plans,
    sub_id,
)
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import (
    Param,
    choice,
    display_id,
    entity_id,
    integer,
    timestamp,
)
from pharmdesk.errors import not_found
from pharmdesk.errors import validation as invalid
from pharmdesk.store.schema import Customer, Order, Subscription

ORDER: Final = "ORD"
PENDING: Final = "pending"
COMPLETED: Final = "completed"
CANCELLED: Final = "cancelled"
STATUSES: Final = (PENDING, COMPLETED, CANCELLED)
MAX_TOTAL: Final = 1_000_000_000_000
# A PC clock a little behind another's must not make "now" look like the future.
FUTURE_TOLERANCE: Final = dt.timedelta(minutes=5)


def order_id(number: int) -> str:
    return display_id(ORDER, number)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _completed(op: Op, customer: Customer, order: Order, sub: Subscription | None) -> None:
    """The order is completed: it counts, and its active subscription's delivery is made."""
    customer.total_orders += 1
    customer.total_spent += order.total
    if customer.last_order is None or order.ordered_at > customer.last_order:
        customer.last_order = order.ordered_at
    if sub is not None and sub.status == ACTIVE:
        complete_delivery(op, sub, customer)


def _uncount_completed(op: Op, customer: Customer, order: Order) -> None:
    """The order is no longer completed (its new status already set): take it back out."""
    customer.total_orders -= 1
    customer.total_spent -= order.total
    op.tx.flush()
    customer.last_order = op.tx.scalar(
        select(func.max(Order.ordered_at)).where(
            Order.customer_id == customer.id, Order.status == COMPLETED
        )
    )


def _audit(op: Op, customer: Customer, detail: dict[str, Any]) -> None:
    op.audit("order", "customer", cust_id(customer.id), detail)


def _next_delivery(sub: Subscription | None) -> str | None:
    if sub is None or sub.next_delivery is None:
        return None
    return sub.next_delivery.isoformat()


@operation(
    "recordOrder",
    params={
        **CUSTOMER_ID,
        "total": Param(integer(0, MAX_TOTAL), required=True),
        "date": Param(timestamp()),
        "status": Param(choice(*STATUSES), default=COMPLETED),
        "subscriptionId": Param(entity_id(SUB)),
        # Who pays what (API.md: setPayer): both or neither, summing to ``total``.
        "payerShare": Param(integer(0, MAX_TOTAL)),
        "customerShare": Param(integer(0, MAX_TOTAL)),
    },
)
def record_order(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Record an order; past dates are fine (history), the future is not."""
    moment: dt.datetime = p.get("date", op.now)
    if moment > op.now + FUTURE_TOLERANCE:
        raise invalid(
            "The order date is in the future. Check the date and time (and this PC's clock).",
            "date",
        )
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    payer, payer_share, customer_share = _shares(op, customer, p, moment)
    resume_due_plans(op, customer.id)
    sub: Subscription | None = None
    if "subscriptionId" in p:
        sub = get_subscription(op.tx, p["subscriptionId"])
        if sub.customer_id != customer.id:
            raise invalid(
                f"{sub_id(sub.id)} is not a subscription of {cust_id(customer.id)}. Pick one "
                "from this customer's profile.",
                "subscriptionId",
            )
    order = Order(
        customer_id=customer.id,
        subscription_id=sub.id if sub is not None else None,
        ordered_at=_naive(moment),
        total=p["total"],
        status=p["status"],
        created_by=op.user,
        created_at=op.naive_now,
        payer=payer,
        payer_share=payer_share,
        customer_share=customer_share,
    )
    op.tx.add(order)
    op.tx.flush()
    if order.status == COMPLETED:
        _completed(op, customer, order, sub)
    next_delivery = _next_delivery(sub)
    _audit(
        op,
        customer,
        {
            "event": "record",
            "orderId": order_id(order.id),
            "date": to_iso(moment),
            "total": order.total,
            "status": order.status,
            "subscriptionId": sub_id(sub.id) if sub is not None else None,
            "nextDelivery": next_delivery,
            **({"payerShare": payer_share, "customerShare": customer_share} if payer else {}),
        },
    )
    return {"success": True, "orderId": order_id(order.id), "nextDelivery": next_delivery}


def _shares(
    op: Op, customer: Customer, p: dict[str, Any], moment: dt.datetime
) -> tuple[str | None, int | None, int | None]:
    """The payer and the two shares of an order (both given or neither; they add up to
    the total; a payer share needs a payer whose cover runs on the order's date)."""
    given = [name for name in ("payerShare", "customerShare") if name in p]
    if not given:
        return None, None, None
    if len(given) == 1:
        missing = "customerShare" if given == ["payerShare"] else "payerShare"
        raise invalid(f"Give {missing} too: the two shares go together.", missing)
    if p["payerShare"] + p["customerShare"] != p["total"]:
        raise invalid(
            f"The payer's share ({p['payerShare']}) and the customer's share "
            f"({p['customerShare']}) must add up to the total ({p['total']}).",
            "payerShare",
        )
    payer = customer.payer
    if p["payerShare"] > 0:
        if payer is None or payer == "cash":
            raise invalid(
                f"{cust_id(customer.id)} has no HMO or insurer recorded. Record the payer "
                "on the profile first, or put the whole total on the customer's share.",
                "payerShare",
            )
        until = customer.payer_valid_until
        if until is not None and until < op.desk.clock.local_date(moment):
            raise invalid(
                f"The {payer} cover ended on {until.isoformat()}. Update the payer on the "
                "profile, or put the whole total on the customer's share.",
                "payerShare",
            )
    return payer or "cash", p["payerShare"], p["customerShare"]


@operation(
    "updateOrderStatus",
    params={
        "orderId": Param(entity_id(ORDER), required=True),
        "status": Param(choice(*STATUSES), required=True),
    },
)
def update_order_status(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Move an order between pending, completed and cancelled, counters following.

    Becoming completed is a delivery (the subscription's next delivery moves on). Leaving
    completed takes the order out of the counters but does not move a delivery back: the
    schedule stays as staff last saw it.
    """
    order = op.tx.get(Order, p["orderId"])
    if order is None:
        raise not_found(f"No order {order_id(p['orderId'])}. Check the id.", "orderId")
    customer = get_customer(op.tx, order.customer_id, for_write=True)
    sub = op.tx.get(Subscription, order.subscription_id) if order.subscription_id else None
    old, new = order.status, p["status"]
    if old == new:
        return {"success": True, "nextDelivery": _next_delivery(sub)}
    order.status = new
    if old == COMPLETED:
        _uncount_completed(op, customer, order)
    if new == COMPLETED:
        _completed(op, customer, order, sub)
    next_delivery = _next_delivery(sub)
    _audit(
        op,
        customer,
        {
            "event": "status",
            "orderId": order_id(order.id),
            "old": old,
            "new": new,
            "total": order.total,
            "subscriptionId": sub_id(sub.id) if sub is not None else None,
            "nextDelivery": next_delivery,
        },
    )
    return {"success": True, "nextDelivery": next_delivery}
