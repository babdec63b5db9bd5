"""The high-value segment: customers who have spent at least a given amount."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, false, func, select, true

from pharmdesk.controllers.customer_rows import ROW_COLUMNS, customer_row
from pharmdesk.controllers.segments.segment import (
    PageReader,
    Segment,
    page_statements,
    total_riding_reader,
)
from pharmdesk.store.schema import Customer


def _high_value_row(row: Any) -> dict[str, Any]:
    return {**customer_row(row), "totalSpent": row.total_spent}


def _high_value_filter(consented_only: bool) -> tuple[Any, ...]:
    consent = (Customer.marketing_consent == true(),) if consented_only else ()
    return (Customer.archived == false(), Customer.total_spent >= bindparam("min_spend"), *consent)


def _high_value_statement(
    columns: tuple[Any, ...], consented_only: bool
) -> Select[*tuple[Any, ...]]:
    """The page (``offset``, ``limit``) with the segment's total riding along on each row:
    one statement, built once (a one-row page costs mostly Python, not SQL)."""
    in_segment = _high_value_filter(consented_only)
    total = select(func.count()).where(*in_segment).correlate(None).scalar_subquery()
    return (
        select(*columns, Customer.total_spent, total.label("segment_total"))
        .where(*in_segment)
        .order_by(Customer.total_spent.desc(), Customer.name_key, Customer.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


_HIGH_VALUE = page_statements(_high_value_statement)
_HIGH_VALUE_TOTAL = {
    consented_only: select(func.count()).where(*_high_value_filter(consented_only))
    for consented_only in (False, True)
}


def _high_value_reader(min_spend: int) -> PageReader:
    return total_riding_reader(_HIGH_VALUE, _HIGH_VALUE_TOTAL, {"min_spend": min_spend})


def high_value_segment(min_spend: int) -> Segment:
    # total_spent is the counter of completed orders kept by the order operations.
    query = (
        select(*ROW_COLUMNS, Customer.total_spent)
        .where(Customer.archived == false(), Customer.total_spent >= min_spend)
        .order_by(Customer.total_spent.desc(), Customer.name_key, Customer.id)
    )
    return Segment(
        "highValue",
        {"minSpend": min_spend},
        query,
        row=_high_value_row,
        reader=_high_value_reader(min_spend),
    )
