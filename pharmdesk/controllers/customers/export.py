"""Everything held on one customer: ``exportCustomerData``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pharmdesk.clock import to_iso
from pharmdesk.controllers.consent import records as consent_records
from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.customers.profile import customer_details
from pharmdesk.controllers.registry import ADMINS, Op, operation
from pharmdesk.store.schema import ConsentEvent, Order, Subscription, SubscriptionEvent


# -- exportCustomerData --------------------------------------------------------------------
@operation("exportCustomerData", params=CUSTOMER_ID, roles=ADMINS)
def export_customer_data(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Everything held on one customer: a data-subject access request."""
    customer = get_customer(op.tx, p["customerId"])
    subs = op.tx.scalars(
        select(Subscription)
        .where(Subscription.customer_id == customer.id)
        .order_by(Subscription.id)
    ).all()
    subscriptions = []
    for sub in subs:
        events = op.tx.scalars(
            select(SubscriptionEvent)
            .where(SubscriptionEvent.subscription_id == sub.id)
            .order_by(SubscriptionEvent.id)
        ).all()
        subscriptions.append(
            {
                "subscriptionId": f"SUB-{sub.id}",
                "planId": f"PLAN-{sub.plan_id}",
                "planName": sub.plan_name,
                "medications": list(sub.medications),
                "frequency": sub.frequency,
                "price": sub.price,
                "startDate": sub.start_date.isoformat(),
                "status": sub.status,
                "preferences": {"deliveryDay": sub.delivery_day, "deliveryTime": sub.delivery_time},
                "nextDelivery": sub.next_delivery.isoformat() if sub.next_delivery else None,
                "statusHistory": [
                    {"status": e.status, "at": iso_or_none(e.at), "by": e.by, "reason": e.reason}
                    for e in events
                ],
            }
        )
    orders = op.tx.scalars(
        select(Order).where(Order.customer_id == customer.id).order_by(Order.ordered_at, Order.id)
    ).all()
    consent = op.tx.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.customer_id == customer.id)
        .order_by(ConsentEvent.id)
    ).all()
    op.audit("export", "customer", cust_id(customer.id), {"kind": "customerData"})
    return {
        "customer": customer_details(op.tx, customer, op.today),
        "subscriptions": subscriptions,
        "orders": [
            {
                "orderId": f"ORD-{o.id}",
                "date": iso_or_none(o.ordered_at),
                "total": o.total,
                "status": o.status,
                "subscriptionId": f"SUB-{o.subscription_id}" if o.subscription_id else None,
            }
            for o in orders
        ],
        "consentHistory": [
            {
                "consent": c.consent,
                "recordedAt": iso_or_none(c.recorded_at),
                "recordedBy": c.recorded_by,
            }
            for c in consent
        ],
        # Per purpose and channel, with its proof (API.md v3), oldest first.
        "consentRecords": consent_records.history(op.tx, customer.id),
        "exportedAt": to_iso(op.now),
    }
