"""The unsearched customer list (one page of it, in the order of a sort's index) and the
counts of listed customers that every list answer carries, read the cheapest way each
store offers: SQLite counts a table from its b-tree pages; a branch server keeps the
counts (``customer_search_count``, migration 0011) because PostgreSQL has to visit every
row it counts (30 ms for the list's total at a million customers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, column, false, func, select, table, true

from pharmdesk.controllers.customer_rows import ROW_COLUMNS, SQLITE_ROW_COLUMNS
from pharmdesk.store.schema import Customer

SORTS = ("name", "createdAt", "lastOrder", "totalOrders", "planCount")
SORT_COLUMNS = {
    "name": Customer.name_key,
    "createdAt": Customer.created_at,
    "lastOrder": Customer.last_order,
    "totalOrders": Customer.total_orders,
    "planCount": Customer.active_plans,
}
SEARCH_COUNT = table("customer_search_count", column("token"), column("listed"))
# Longest search word whose matches the server counts ahead (0011's tokens).
COUNTED_WORD = 3


def counted(token: str) -> Any:
    """How many listed customers a branch server counted for a search token ('' for all
    of them), as a scalar subquery (0 when no customer ever had it)."""
    return func.coalesce(
        select(SEARCH_COUNT.c.listed).where(SEARCH_COUNT.c.token == token).scalar_subquery(), 0
    )


def listed_customers(conn: Connection) -> Any:
    """Customers not archived, as a scalar subquery. On SQLite: the table's row count
    (from the b-tree pages, reading no rows) less the few archived ones (an index range)."""
    if conn.dialect.name != "sqlite":
        return counted("")
    return (
        select(func.count()).select_from(Customer).scalar_subquery()
        - select(func.count()).where(Customer.archived == true()).scalar_subquery()
    )


def sort_order(sort: str) -> tuple[bool, Any]:
    return sort.startswith("-"), SORT_COLUMNS[sort.lstrip("-")]


def order_by(key: Any, descending: bool) -> list[Any]:
    return [
        key.desc() if descending else key.asc(),
        Customer.id.desc() if descending else Customer.id.asc(),
    ]


def _page_of(conn: Connection, part: Select, order: list[Any], offset: int, limit: int) -> Any:
    """One page of ``part`` (listed customers, some filter) in ``order``. On SQLite the
    rows the offset skips are never read (it defers the row lookup); a server is asked
    for the page's ids from the index alone first (an index-only scan), then their rows:
    the offset of page 500 skips 10,000 index entries, not 10,000 rows."""
    columns = SQLITE_ROW_COLUMNS if conn.dialect.name == "sqlite" else ROW_COLUMNS
    active = listed_customers(conn).label("active")
    if conn.dialect.name == "sqlite":
        query = part.with_only_columns(*columns, active).order_by(*order)
        return list(conn.execute(query.offset(offset).limit(limit)))
    ids = part.with_only_columns(Customer.id).order_by(*order).offset(offset).limit(limit)
    page = ids.subquery()
    query = (
        select(*columns, active)
        .join_from(Customer, page, Customer.id == page.c.id)
        .order_by(*order)
    )
    return list(conn.execute(query))


def list_page(conn: Connection, sort: str, offset: int, limit: int) -> tuple[int, list[Any]]:
    """The total and one page of the unsearched list, read in the order of the sort's
    index. The total rides along on each row, so a page is one statement. The same on a
    server (where the ``lastOrder`` sort took 170 ms at 100,000 customers as one sort)."""
    descending, key = sort_order(sort)
    base = select(Customer.id).where(Customer.archived == false())
    rows: list[Any] = []
    if key is not Customer.last_order:
        rows = _page_of(conn, base, order_by(key, descending), offset, limit)
    else:
        # "No order last, either way": the dated customers in order, then the undated by
        # id. Two index ranges instead of sorting a million rows on ``last_order IS NULL``.
        for part, order in (
            (base.where(Customer.last_order.is_not(None)), order_by(key, descending)),
            (base.where(Customer.last_order.is_(None)), order_by(Customer.id, descending)),
        ):
            got = _page_of(conn, part, order, offset, limit - len(rows))
            rows += got
            if len(rows) == limit:
                break
            if got:
                offset = 0
            elif offset:  # the page starts past this part: skip what it holds
                counted_part = conn.scalar(select(func.count()).select_from(part.subquery()))
                offset = max(0, offset - int(counted_part or 0))
    total = rows[0].active if rows else conn.scalar(select(listed_customers(conn)))
    return int(total or 0), rows
