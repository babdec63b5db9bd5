"""The upcoming-refills segment: customers with a delivery due within a number of days,
read along the per-customer ``first_refill`` index."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, bindparam, false, func, select, true
from sqlalchemy.orm import Session

from pharmdesk.controllers.customer_rows import ROW_COLUMNS
from pharmdesk.controllers.plans import ACTIVE
from pharmdesk.controllers.segments.segment import (
    PageReader,
    Segment,
    page_statements,
    total_riding_reader,
)
from pharmdesk.store.planner import unindexed
from pharmdesk.store.schema import Customer, Subscription


def _refill_filter(horizon: dt.date, *, per_customer: bool = False) -> tuple[Any, ...]:
    """Due subscriptions. Overdue deliveries (before today) are due too: they are the
    most urgent. ``per_customer``: the query seeks by customer (see ``unindexed``)."""
    status = unindexed(Subscription.status) if per_customer else Subscription.status
    return (status == ACTIVE, Subscription.next_delivery <= horizon)


def _due(*, per_customer: bool = False) -> tuple[Any, ...]:
    """``_refill_filter`` with the horizon as a parameter (statements built once)."""
    status = unindexed(Subscription.status) if per_customer else Subscription.status
    return (status == ACTIVE, Subscription.next_delivery <= bindparam("horizon"))


# Listed customers whose first due refill (``first_refill``, kept by triggers) is by the
# horizon: a range count of ix_customer_first_refill.
_REFILLS_DUE = (Customer.archived == false(), Customer.first_refill <= bindparam("horizon"))
_REFILLS_TOTAL = select(func.count()).select_from(Customer).where(*_REFILLS_DUE)
# The same customers who consented (the campaign audience's total): each probed for it.
_REFILLS_CONSENTED = (
    select(func.count())
    .select_from(Customer)
    .where(*_REFILLS_DUE, unindexed(Customer.marketing_consent) == true())
)
_REFILLS_TOTALS = {False: _REFILLS_TOTAL, True: _REFILLS_CONSENTED}


def _refills_page(columns: tuple[Any, ...], consented_only: bool) -> Select[*tuple[Any, ...]]:
    """A page of the segment, the total riding along on each row (one statement): the
    customers in ix_customer_first_refill's range, in date order, so only one date's rows
    are ever sorted (by name) before the page is complete."""
    total = _REFILLS_TOTALS[consented_only].scalar_subquery()
    consent = (Customer.marketing_consent == true(),) if consented_only else ()
    return (
        select(*columns, total.label("segment_total"))
        .select_from(Customer)
        .where(*_REFILLS_DUE, *consent)
        .order_by(Customer.first_refill, Customer.name_key, Customer.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


_REFILLS_PAGE = page_statements(_refills_page)
_DUE_REFILLS = (
    select(
        Subscription.id,
        Subscription.customer_id,
        Subscription.plan_id,
        Subscription.plan_name,
        Subscription.next_delivery,
    )
    .where(
        Subscription.customer_id.in_(bindparam("numbers", expanding=True)),
        *_due(per_customer=True),
    )
    .order_by(Subscription.next_delivery, Subscription.id)
)


def _refills_reader(horizon: dt.date) -> PageReader:
    return total_riding_reader(_REFILLS_PAGE, _REFILLS_TOTALS, {"horizon": horizon})


def refills_segment(days: int, today: dt.date) -> Segment:
    horizon = today + dt.timedelta(days=days)
    first = (
        select(
            Subscription.customer_id.label("customer_id"),
            func.min(Subscription.next_delivery).label("first_delivery"),
        )
        .where(*_refill_filter(horizon))
        .group_by(Subscription.customer_id)
        .subquery()
    )
    query = (
        select(*ROW_COLUMNS)
        .select_from(Customer)
        .join(first, first.c.customer_id == Customer.id)
        .where(Customer.archived == false())
        .order_by(first.c.first_delivery, Customer.name_key, Customer.id)
    )

    def add_refills(tx: Session, rows: list[dict[str, Any]]) -> None:
        numbers = [int(row["id"].split("-", 1)[1]) for row in rows]
        due: dict[int, list[dict[str, Any]]] = {n: [] for n in numbers}
        subs = tx.execute(_DUE_REFILLS, {"numbers": numbers, "horizon": horizon}).all()
        for sub in subs:
            due[sub.customer_id].append(
                {
                    "subscriptionId": f"SUB-{sub.id}",
                    "planId": f"PLAN-{sub.plan_id}",
                    "planName": sub.plan_name,
                    "nextDelivery": sub.next_delivery.isoformat(),
                }
            )
        for row, number in zip(rows, numbers, strict=True):
            row["upcomingRefills"] = due[number]

    return Segment(
        "upcomingRefills",
        {"days": days},
        query,
        enrich=add_refills,
        reader=_refills_reader(horizon),
    )
