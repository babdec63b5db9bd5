"""What a merge does to the rows the two records hold: consents (the newer answer wins),
allergy and condition lists (both kept), the allergy status, relationships, and the
counters recomputed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from pharmdesk.store.schema import (
    Customer,
    CustomerAllergy,
    CustomerCondition,
    CustomerConsent,
    CustomerRelationship,
    Order,
    Subscription,
)

LABEL_TABLES: dict[str, Any] = {
    "allergies": CustomerAllergy,
    "medicalConditions": CustomerCondition,
}


def merge_consents(tx: Session, keep: int, other: int) -> None:
    """Per purpose and channel the newer answer wins (the newest record is the current
    answer, as everywhere); the duplicate's current answers then go."""
    conn = tx.connection()
    current = {
        (r.purpose, r.channel): r
        for r in conn.execute(select(CustomerConsent).where(CustomerConsent.customer_id == keep))
    }
    theirs = conn.execute(select(CustomerConsent).where(CustomerConsent.customer_id == other)).all()
    conn.execute(delete(CustomerConsent).where(CustomerConsent.customer_id == other))
    for row in theirs:
        mine = current.get((row.purpose, row.channel))
        values = {"granted": row.granted, "record_id": row.record_id}
        if mine is None:
            conn.execute(
                insert(CustomerConsent).values(
                    customer_id=keep, purpose=row.purpose, channel=row.channel, **values
                )
            )
        elif row.record_id > mine.record_id:
            conn.execute(
                update(CustomerConsent)
                .where(
                    and_(
                        CustomerConsent.customer_id == keep,
                        CustomerConsent.purpose == row.purpose,
                        CustomerConsent.channel == row.channel,
                    )
                )
                .values(**values)
            )


def merge_labels(tx: Session, keep: int, other: int) -> dict[str, list[str]]:
    """The duplicate's allergies and conditions that the kept record lacks, appended."""
    conn = tx.connection()
    added: dict[str, list[str]] = {}
    for field, table in LABEL_TABLES.items():
        mine = conn.execute(
            select(table.label_key, table.position).where(table.customer_id == keep)
        ).all()
        keys = {k for k, _ in mine}
        position = max((pos for _, pos in mine), default=-1) + 1
        theirs = conn.execute(
            select(table.label, table.label_key)
            .where(table.customer_id == other)
            .order_by(table.position)
        ).all()
        new = []
        for label, key in theirs:
            if key not in keys:
                keys.add(key)
                new.append(
                    {"customer_id": keep, "position": position, "label": label, "label_key": key}
                )
                position += 1
        conn.execute(delete(table).where(table.customer_id == other))
        if new:
            conn.execute(insert(table), new)
            added[field] = [row["label"] for row in new]
    return added


def merge_allergy_status(keep: Customer, other: Customer) -> None:
    statuses = {keep.allergy_status, other.allergy_status}
    if keep.allergy_status == other.allergy_status:
        return
    confirmed = [c for c in (keep, other) if c.allergies_confirmed_at is not None]
    newest = max(confirmed, key=lambda c: c.allergies_confirmed_at or dt.datetime.min, default=None)
    keep.allergy_status = (
        "recorded"
        if "recorded" in statuses
        else "noneKnown"
        if "noneKnown" in statuses
        else "unknown"
    )
    if newest is not None:
        keep.allergies_confirmed_at = newest.allergies_confirmed_at
        keep.allergies_confirmed_by = newest.allergies_confirmed_by


def move_relationships(tx: Session, keep: int, other: int) -> None:
    conn = tx.connection()
    table = CustomerRelationship
    conn.execute(update(table).where(table.customer_id == other).values(customer_id=keep))
    conn.execute(
        update(table).where(table.related_customer_id == other).values(related_customer_id=keep)
    )
    # A link between the two records themselves means nothing once they are one.
    conn.execute(delete(table).where(table.customer_id == keep, table.related_customer_id == keep))


def recount(tx: Session, customer: Customer) -> None:
    """The counters from the rows themselves (completed orders, active plans), and the
    marketing summary from the current consents."""
    tx.flush()
    conn = tx.connection()
    count, spent, last = conn.execute(
        select(
            func.count(), func.coalesce(func.sum(Order.total), 0), func.max(Order.ordered_at)
        ).where(Order.customer_id == customer.id, Order.status == "completed")
    ).one()
    customer.total_orders = int(count)
    customer.total_spent = int(spent)
    customer.last_order = last
    customer.active_plans = int(
        conn.scalar(
            select(func.count()).where(
                Subscription.customer_id == customer.id, Subscription.status == "active"
            )
        )
        or 0
    )
    agreed = conn.scalar(
        select(func.count()).where(
            CustomerConsent.customer_id == customer.id,
            CustomerConsent.purpose == "marketing",
            CustomerConsent.granted.is_(True),
        )
    )
    customer.marketing_consent = bool(agreed)
