"""The customer row shape shared by fetchCustomers and every segment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pharmdesk.clock import to_iso
from pharmdesk.store.schema import Customer

CUSTOMER = "CUST"
ROW_COLUMNS = (
    Customer.id,
    Customer.name,
    Customer.phone,
    Customer.email,
    Customer.address,
    Customer.active_plans,
    Customer.total_orders,
    Customer.created_at,
    Customer.last_order,
)


def iso_or_none(moment: dt.datetime | None) -> str | None:
    return to_iso(moment.replace(tzinfo=dt.UTC)) if moment is not None else None


def customer_row(row: Any) -> dict[str, Any]:
    """One list row as API.md's fetchCustomers shows it."""
    return {
        "id": f"{CUSTOMER}-{row.id}",
        "name": row.name,
        "phone": row.phone,
        "email": row.email,
        "address": row.address,
        "planCount": row.active_plans,
        "totalOrders": row.total_orders,
        "createdAt": iso_or_none(row.created_at),
        "lastOrder": iso_or_none(row.last_order),
    }


def page_answer(
    tx: Session,
    query: Select,
    *,
    page: int,
    limit: int,
    row: Any = customer_row,
    total: int | None = None,
) -> dict[str, Any]:
    """Run a list query for one page; ``query`` must already be fully ordered."""
    if total is None:
        total = int(
            tx.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        )
    rows = tx.execute(query.offset((page - 1) * limit).limit(limit)).all()
    return {
        "customers": [row(r) for r in rows],
        "total": total,
        "page": page,
        "hasMore": page * limit < total,
    }
