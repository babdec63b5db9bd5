"""The customer row shape shared by fetchCustomers and every segment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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


def _iso_text(column: Any) -> Any:
    """On SQLite, a stored timestamp (naive UTC text) already as API.md writes it."""
    return func.strftime("%Y-%m-%dT%H:%M:%SZ", column).label(column.key)


# The same row with its timestamps formatted by SQLite: reading a page then parses no
# datetimes in Python (the fast list paths of fetchCustomers, which are SQLite-only).
SQLITE_ROW_COLUMNS = (
    *ROW_COLUMNS[:7],
    _iso_text(Customer.created_at),
    _iso_text(Customer.last_order),
)


def iso_or_none(moment: dt.datetime | str | None) -> str | None:
    """A stored (naive UTC) moment as API.md writes it; a list page formats dozens.
    Text is a timestamp the database has already formatted (``SQLITE_ROW_COLUMNS``)."""
    if moment is None or isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return to_iso(moment)


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


def page_rows(
    rows: Sequence[Any], *, total: int, page: int, limit: int, row: Any = customer_row
) -> dict[str, Any]:
    """The shared list answer for rows already read (in order) and a known total."""
    return {
        "customers": [row(r) for r in rows],
        "total": total,
        "page": page,
        "hasMore": page * limit < total,
    }


def page_answer(
    tx: Session,
    query: Select,
    *,
    page: int,
    limit: int,
    row: Any = customer_row,
    total: int | None = None,
    counted: Any = None,
) -> dict[str, Any]:
    """Run a list query for one page; ``query`` must already be fully ordered.

    Without a known ``total`` the count rides along on the page's rows (an uncorrelated
    subquery, evaluated once): one statement, not two; only a page past the end counts
    alone. ``counted``: a scalar expression of the same total that the database keeps
    (so the query's rows need not be counted)."""
    offset = (page - 1) * limit
    if total is not None:
        # A page past the end needs no query; the count already says it is empty.
        rows = tx.execute(query.offset(offset).limit(limit)).all() if offset < total else []
        return page_rows(rows, total=total, page=page, limit=limit, row=row)
    if counted is None:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        counted = counted.scalar_subquery()
    rows = tx.execute(
        query.add_columns(counted.label("page_total")).offset(offset).limit(limit)
    ).all()
    total = int(rows[0].page_total) if rows else int(tx.scalar(select(counted)) or 0)
    return page_rows(rows, total=total, page=page, limit=limit, row=row)
