"""The customer profile: ``viewProviderCustomerDetails`` and the shape it returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from pharmdesk.controllers.consent import records as consent_records
from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.customers.labels import allergies_and_conditions
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, read_customer
from pharmdesk.controllers.plans import PAUSED, resume_due_plans
from pharmdesk.controllers.record.merge import merges_of
from pharmdesk.controllers.record.payer import payer_json
from pharmdesk.controllers.record.relationships import relationships_of
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.store import driver_sql
from pharmdesk.store.schema import Customer, Order, Subscription

RECENT_ORDERS = 10


# -- viewProviderCustomerDetails -----------------------------------------------------------
# Active first, then by next delivery (none last), then by id (API.md).
_PROFILE_PLANS = (
    select(
        Subscription.id,
        Subscription.plan_id,
        Subscription.plan_name,
        Subscription.medications,
        Subscription.status,
        Subscription.next_delivery,
        Subscription.resume_date,
    )
    .where(Subscription.customer_id == bindparam("number"))
    .order_by(
        Subscription.status != "active",
        Subscription.next_delivery.is_(None),
        Subscription.next_delivery,
        Subscription.id,
    )
)
_PROFILE_ORDERS = (
    select(Order.id, Order.ordered_at, Order.total, Order.status)
    .where(Order.customer_id == bindparam("number"))
    .order_by(Order.ordered_at.desc(), Order.id.desc())
    .limit(RECENT_ORDERS)
)


def _plans_of(tx: Session, number: int) -> Sequence[Any]:
    tx.flush()  # changes made earlier in this transaction (a resumed plan) are read back
    return driver_sql.rows(tx.connection(), _PROFILE_PLANS, {"number": number})


def _pause_due(plans: Sequence[Any], today: dt.date) -> bool:
    """Whether one of these plans is paused until a day that has come (what
    ``resume_due_plans`` ends)."""
    return any(
        sub.status == PAUSED and sub.resume_date is not None and sub.resume_date <= today
        for sub in plans
    )


def customer_details(
    tx: Session,
    customer: Customer | Row[Any],
    today: dt.date | None = None,
    plans: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """The full profile shape of API.md (viewProviderCustomerDetails), from the customer
    (an ORM object or a ``read_customer`` row), its ``plans`` (``_plans_of``; read here
    when not given) and plain selects: a profile opens at every click, so each part is a
    statement built once (here and in the modules of its part), run on the connection,
    with rows, not ORM objects (ORM reads were most of its time)."""
    subs = _plans_of(tx, customer.id) if plans is None else plans
    conn = tx.connection()
    orders = driver_sql.rows(conn, _PROFILE_ORDERS, {"number": customer.id})
    allergies, conditions = allergies_and_conditions(tx, customer.id)
    return {
        "id": cust_id(customer.id),
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "address": customer.address,
        "dateOfBirth": customer.date_of_birth.isoformat() if customer.date_of_birth else None,
        "allergies": allergies,
        "allergyStatus": customer.allergy_status,
        "allergiesConfirmedAt": iso_or_none(customer.allergies_confirmed_at),
        "allergiesConfirmedBy": customer.allergies_confirmed_by,
        "medicalConditions": conditions,
        "stats": {
            "totalOrders": customer.total_orders,
            "totalSpent": customer.total_spent,
            "activePlans": customer.active_plans,
            "lastOrder": iso_or_none(customer.last_order),
        },
        "plans": [
            {
                "id": f"PLAN-{sub.plan_id}",
                "subscriptionId": f"SUB-{sub.id}",
                "name": sub.plan_name,
                "medications": list(sub.medications),
                "status": sub.status,
                "nextDelivery": sub.next_delivery.isoformat() if sub.next_delivery else None,
            }
            for sub in subs
        ],
        "recentOrders": [
            {
                "orderId": f"ORD-{order.id}",
                "date": iso_or_none(order.ordered_at),
                "total": order.total,
                "status": order.status,
            }
            for order in orders
        ],
        "notes": customer.notes,
        "language": customer.language,
        "marketingConsent": customer.marketing_consent,
        "marketingConsentRecordedAt": iso_or_none(customer.consent_recorded_at),
        "marketingConsentRecordedBy": customer.consent_recorded_by,
        # Per purpose and channel (API.md v3), and the phone's STOP, if any.
        "consents": consent_records.current_consents(tx, customer.id),
        "consentSuppressed": consent_records.suppression(tx, customer.phone),
        # The customer record, completed (API.md): links, who pays, merge and erasure.
        **_record_parts(tx, customer, today or dt.date.today()),
        "archived": customer.archived,
        "version": customer.version,
        "createdAt": iso_or_none(customer.created_at),
        "updatedAt": iso_or_none(customer.updated_at),
    }


def _record_parts(tx: Session, customer: Customer | Row[Any], today: dt.date) -> dict[str, Any]:
    return {
        "relationships": relationships_of(tx, customer.id),
        "payer": payer_json(customer, today),
        "mergedInto": cust_id(customer.merged_into) if customer.merged_into else None,
        "merges": merges_of(tx, customer.id),
        "erased": customer.erased_at is not None,
    }


@operation("viewProviderCustomerDetails", params=CUSTOMER_ID, reads=True)
def view_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = read_customer(op.tx, p["customerId"])
    plans = _plans_of(op.tx, customer.id)
    # A pause whose resume date has come ends as the profile is read. The plans read for
    # the answer tell whether there is one: no separate look for it at every click.
    if _pause_due(plans, op.today) and resume_due_plans(op, customer.id):
        op.tx.flush()  # its plan counter changed: read it and the plans again
        customer = read_customer(op.tx, customer.id)
        plans = _plans_of(op.tx, customer.id)
    details = customer_details(op.tx, customer, op.today, plans)
    op.audit("view", "customer", details["id"])
    return details
