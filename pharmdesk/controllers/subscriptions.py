"""Reading subscriptions: a customer's terms, and the enrollments waiting for a pharmacist.

``viewProviderCustomerDetails`` carries API.md's plan shape (name, medications, status,
next delivery), not the price or the resume date a subscription was given. The record
order dialog needs the price the customer agreed to (a plan's price change reaches a
subscription only at its next delivery), so ``listCustomerSubscriptions`` gives each
subscription's own terms. ``listPendingReviews`` lets a pharmacist find every enrollment
held for an allergy conflict without knowing the customer first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from pharmdesk.controllers.allergy_check import allergy_conflicts
from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.customers.labels import labels
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.plans import PENDING_REVIEW, plan_id, resume_due_plans, sub_id
from pharmdesk.controllers.registry import PHARMACISTS, Op, operation
from pharmdesk.controllers.validation import PAGING
from pharmdesk.store.schema import Customer, CustomerAllergy, Subscription, SubscriptionEvent


def _iso_day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# -- listCustomerSubscriptions ------------------------------------------------------------
@operation("listCustomerSubscriptions", params=CUSTOMER_ID)
def list_customer_subscriptions(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Every subscription of one customer with its own terms, oldest enrollment first.

    Audited ``view`` (it shows the customer's medications). A pause whose resume date has
    come ends first, so what is shown is the subscription's state today.
    """
    customer = get_customer(op.tx, p["customerId"])
    resume_due_plans(op, customer.id)
    subs = op.tx.scalars(
        select(Subscription)
        .where(Subscription.customer_id == customer.id)
        .order_by(Subscription.id)
    ).all()
    latest: dict[int, SubscriptionEvent] = {}
    if subs:
        events = op.tx.scalars(
            select(SubscriptionEvent)
            .where(SubscriptionEvent.subscription_id.in_([s.id for s in subs]))
            .order_by(SubscriptionEvent.id)
        )
        for change in events:
            latest[change.subscription_id] = change
    answer = []
    for sub in subs:
        event = latest.get(sub.id)
        answer.append(
            {
                "subscriptionId": sub_id(sub.id),
                "planId": plan_id(sub.plan_id),
                "planName": sub.plan_name,
                "medications": list(sub.medications),
                "frequency": sub.frequency,
                "price": sub.price,
                "status": sub.status,
                "startDate": _iso_day(sub.start_date),
                "nextDelivery": _iso_day(sub.next_delivery),
                "resumeDate": _iso_day(sub.resume_date),
                "preferences": {
                    "deliveryDay": sub.delivery_day,
                    "deliveryTime": sub.delivery_time,
                },
                "statusSince": iso_or_none(event.at) if event else None,
                "statusReason": event.reason if event else None,
            }
        )
    op.audit(
        "view",
        "customer",
        cust_id(customer.id),
        {"operation": "listCustomerSubscriptions", "subscriptions": len(answer)},
    )
    return {"customerId": cust_id(customer.id), "subscriptions": answer}


# -- listPendingReviews -------------------------------------------------------------------
def _since() -> Any:
    """When the subscription was last sent for review (its newest pendingReview event)."""
    return (
        select(func.max(SubscriptionEvent.at))
        .where(
            SubscriptionEvent.subscription_id == Subscription.id,
            SubscriptionEvent.status == PENDING_REVIEW,
        )
        .correlate(Subscription)
        .scalar_subquery()
    )


@operation("listPendingReviews", params=PAGING, roles=PHARMACISTS)
def list_pending_reviews(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Subscriptions held for a pharmacist's review, the longest-waiting first.

    Order: when each was sent for review, then subscription id. Archived customers are
    left out (their records cannot be changed, so there is nothing to decide). The
    conflicts are computed now, from the subscription's medications and the allergies on
    file, with the same check as enrollment. Audited ``list``, with the ids shown.
    """
    since = _since().label("since")
    pending = (Subscription.status == PENDING_REVIEW, Customer.archived.is_(False))
    total = int(
        op.tx.scalar(
            select(func.count())
            .select_from(Subscription)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(*pending)
        )
        or 0
    )
    page, limit = p["page"], p["limit"]
    offset = (page - 1) * limit
    rows = (
        op.tx.execute(
            select(Subscription, Customer, since)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(*pending)
            .order_by(since, Subscription.id)
            .offset(offset)
            .limit(limit)
        ).all()
        if offset < total
        else []
    )
    reviews = []
    for sub, customer, at in rows:
        allergies = labels(op.tx, CustomerAllergy, customer.id)
        reason = op.tx.scalar(
            select(SubscriptionEvent.reason)
            .where(
                SubscriptionEvent.subscription_id == sub.id,
                SubscriptionEvent.status == PENDING_REVIEW,
            )
            .order_by(SubscriptionEvent.id.desc())
            .limit(1)
        )
        reviews.append(
            {
                "subscriptionId": sub_id(sub.id),
                "customerId": cust_id(customer.id),
                "name": customer.name,
                "phone": customer.phone,
                "planId": plan_id(sub.plan_id),
                "planName": sub.plan_name,
                "medications": list(sub.medications),
                "allergies": allergies,
                "conflicts": allergy_conflicts(allergies, list(sub.medications)),
                "reason": reason,
                "since": iso_or_none(at),
                "nextDelivery": _iso_day(sub.next_delivery),
            }
        )
    op.audit(
        "list",
        "customer",
        None,
        {
            "operation": "listPendingReviews",
            "page": page,
            "limit": limit,
            "subscriptions": [r["subscriptionId"] for r in reviews],
        },
    )
    return {"reviews": reviews, "total": total, "page": page, "hasMore": page * limit < total}
