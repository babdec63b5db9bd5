"""Rows as JSON and back, for the merge snapshot that ``undoMerge`` restores from.

Each column's value is stored as JSON can hold it (dates and times as ISO text) and read
back by the column's own type, so a restored row is the row that was there, counters,
version and timestamps included.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, DateTime, func, select
from sqlalchemy.orm import Session

from pharmdesk.store.schema import (
    ConsentRecord,
    Customer,
    CustomerRelationship,
    Order,
    Subscription,
)


def row_json(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row._mapping.items():
        out[key] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def row_values(table: Any, data: dict[str, Any]) -> dict[str, Any]:
    """A ``row_json`` back into the values of ``table``'s columns."""
    out: dict[str, Any] = {}
    for column in table.c:
        if column.name not in data:
            continue
        value = data[column.name]
        if value is not None and isinstance(column.type, DateTime):
            value = dt.datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, Date):
            value = dt.date.fromisoformat(value)
        out[column.name] = value
    return out


def rows_of(tx: Session, table: Any, *where: Any) -> list[dict[str, Any]]:
    return [row_json(r) for r in tx.connection().execute(select(table).where(*where))]


def customer_json(tx: Session, number: int) -> dict[str, Any]:
    table: Any = Customer.__table__
    row = tx.connection().execute(select(table).where(table.c.id == number)).one()
    return row_json(row)


def fingerprint(tx: Session, number: int) -> dict[str, Any]:
    """What a later change to the kept record would alter: its version and counters, and
    the orders, plans, consents and relationships it holds. ``undoMerge`` restores only
    when it still matches what the merge left."""
    tx.flush()
    conn = tx.connection()
    customer = customer_json(tx, number)
    orders = conn.execute(
        select(Order.id, Order.status).where(Order.customer_id == number).order_by(Order.id)
    ).all()
    subs = conn.execute(
        select(Subscription.id, Subscription.status, Subscription.next_delivery)
        .where(Subscription.customer_id == number)
        .order_by(Subscription.id)
    ).all()
    consents = list(
        conn.execute(
            select(func.count(), func.max(ConsentRecord.id)).where(
                ConsentRecord.customer_id == number
            )
        ).one()
    )
    relationships = conn.scalars(
        select(CustomerRelationship.id)
        .where(
            (CustomerRelationship.customer_id == number)
            | (CustomerRelationship.related_customer_id == number)
        )
        .order_by(CustomerRelationship.id)
    ).all()
    return {
        "customer": {
            k: customer[k]
            for k in ("version", "total_orders", "total_spent", "last_order", "active_plans")
        },
        "orders": [[o.id, o.status] for o in orders],
        "subscriptions": [
            [s.id, s.status, s.next_delivery.isoformat() if s.next_delivery else None] for s in subs
        ],
        "consentRecords": consents,
        "relationships": list(relationships),
    }
