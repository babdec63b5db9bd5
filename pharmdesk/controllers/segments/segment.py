"""What a segment is (its ordered query, row shape and faster reader) and how one page of
it is shown, to staff or, narrowed to consenting customers, to a campaign."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, exists, true
from sqlalchemy.orm import Session

from pharmdesk.controllers.customer_rows import (
    ROW_COLUMNS,
    SQLITE_ROW_COLUMNS,
    customer_row,
    page_answer,
    page_rows,
)
from pharmdesk.store.schema import Customer, CustomerConsent

RowMaker = Callable[[Any], dict[str, Any]]
Enricher = Callable[[Session, list[dict[str, Any]]], None]
# The total and one page's rows of a segment's query, read a faster way: (connection,
# offset, limit, only customers who consented to marketing). A limit of 0 only counts.
PageReader = Callable[[Connection, int, int, bool], tuple[int, list[Any]]]


@dataclass(frozen=True)
class Segment:
    """A segment's fully ordered query, how one row is shown, any per-page additions, and
    a faster reader of exactly that query's total and pages (large segments)."""

    name: str
    params: dict[str, Any]
    query: Select[*tuple[Any, ...]]
    row: RowMaker = customer_row
    enrich: Enricher | None = None
    reader: PageReader | None = None


def _dialect(conn: Connection) -> str:
    return "sqlite" if conn.dialect.name == "sqlite" else "other"


def page_statements(
    build: Callable[[tuple[Any, ...], bool], Any],
) -> dict[tuple[str, bool], Any]:
    """A segment's page statement for each store and audience (everyone, or consented
    only), built once; on SQLite the rows come with their timestamps already formatted."""
    return {
        (dialect, consented_only): build(columns, consented_only)
        for dialect, columns in (("sqlite", SQLITE_ROW_COLUMNS), ("other", ROW_COLUMNS))
        for consented_only in (False, True)
    }


def total_riding_reader(
    pages: dict[tuple[str, bool], Any], totals: dict[bool, Any], params: dict[str, Any]
) -> PageReader:
    """A reader whose page statement carries the segment's total on every row
    (``segment_total``); only an empty page (past the end, or ``limit`` 0) asks the total
    statement."""

    def read(
        conn: Connection, offset: int, limit: int, consented_only: bool
    ) -> tuple[int, list[Any]]:
        rows: list[Any] = []
        if limit:
            rows = list(
                conn.execute(
                    pages[_dialect(conn), consented_only],
                    {**params, "offset": offset, "limit": limit},
                ).all()
            )
        if rows:
            return int(rows[0].segment_total), rows
        counted = conn.scalar(totals[consented_only], params)
        return int(counted or 0), []

    return read


def _narrowed(
    segment: Segment, consented_only: bool, channel: str | None = None
) -> Select[*tuple[Any, ...]]:
    if channel is not None:
        return segment.query.where(
            exists().where(
                CustomerConsent.customer_id == Customer.id,
                CustomerConsent.purpose == "marketing",
                CustomerConsent.channel == channel,
                CustomerConsent.granted == true(),
            )
        )
    if consented_only:
        return segment.query.where(Customer.marketing_consent == true())
    return segment.query


def show_page(
    tx: Session,
    segment: Segment,
    page: int,
    limit: int,
    *,
    consented_only: bool = False,
    fast: bool = True,
    channel: str | None = None,
) -> dict[str, Any]:
    """One page of the segment (of its consented customers only, for a campaign; on one
    channel when ``channel`` is named): by its fast reader if it has one, else (or with
    ``fast`` off, or for one channel) by its defining query."""
    if channel is not None:
        query = _narrowed(segment, True, channel)
        answer = page_answer(tx, query, page=page, limit=limit, row=segment.row)
    elif fast and segment.reader is not None:
        total, rows = segment.reader(tx.connection(), (page - 1) * limit, limit, consented_only)
        answer = page_rows(rows, total=total, page=page, limit=limit, row=segment.row)
    else:
        query = _narrowed(segment, consented_only)
        answer = page_answer(tx, query, page=page, limit=limit, row=segment.row)
    if segment.enrich is not None and answer["customers"]:
        segment.enrich(tx, answer["customers"])
    return answer
