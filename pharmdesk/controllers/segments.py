"""Customer segments (by condition, upcoming refills, high value) and the campaign audience.

Each segment is one ordered query over the customer table (archived customers are never
listed) with the shared row shape and paging of ``customer_rows``. The campaign audience
is the same query narrowed to customers who consented to marketing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, false, func, select, true
from sqlalchemy.orm import Session

from pharmdesk.controllers.customer_rows import (
    ROW_COLUMNS,
    customer_row,
    page_answer,
)
from pharmdesk.controllers.plans import ACTIVE
from pharmdesk.controllers.registry import EVERYONE, PHARMACISTS, Op, operation
from pharmdesk.controllers.validation import (
    MAX_MONEY,
    PAGING,
    Param,
    choice,
    integer,
    search_key,
    string,
)
from pharmdesk.errors import validation
from pharmdesk.store.schema import Customer, CustomerCondition, Subscription

MAX_REFILL_DAYS = 365
SEGMENT_PARAMS = {"condition": "condition", "upcomingRefills": "days", "highValue": "minSpend"}

RowMaker = Callable[[Any], dict[str, Any]]
Enricher = Callable[[Session, list[dict[str, Any]]], None]


@dataclass(frozen=True)
class Segment:
    """A segment's fully ordered query, how one row is shown, and any per-page additions."""

    name: str
    params: dict[str, Any]
    query: Select[*tuple[Any, ...]]
    row: RowMaker = customer_row
    enrich: Enricher | None = None


# -- the three segments ---------------------------------------------------------------------
def condition_segment(condition: str) -> Segment:
    key = search_key(condition)
    if not key:
        raise validation("Enter part of a condition's name, such as diabetes.", "condition")
    has_condition = exists().where(
        CustomerCondition.customer_id == Customer.id,
        CustomerCondition.label_key.contains(key, autoescape=True),
    )
    # EXISTS, not a join: a customer with two matching conditions is listed once.
    query = (
        select(*ROW_COLUMNS)
        .where(Customer.archived == false(), has_condition)
        .order_by(Customer.name_key, Customer.id)
    )
    return Segment("condition", {"condition": condition}, query)


def _refill_filter(horizon: dt.date) -> tuple[Any, ...]:
    # Overdue deliveries (before today) are due too: they are the most urgent.
    return (Subscription.status == ACTIVE, Subscription.next_delivery <= horizon)


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
        subs = tx.execute(
            select(
                Subscription.id,
                Subscription.customer_id,
                Subscription.plan_id,
                Subscription.plan_name,
                Subscription.next_delivery,
            )
            .where(Subscription.customer_id.in_(numbers), *_refill_filter(horizon))
            .order_by(Subscription.next_delivery, Subscription.id)
        ).all()
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

    return Segment("upcomingRefills", {"days": days}, query, enrich=add_refills)


def _high_value_row(row: Any) -> dict[str, Any]:
    return {**customer_row(row), "totalSpent": row.total_spent}


def high_value_segment(min_spend: int) -> Segment:
    # total_spent is the counter of completed orders kept by the order operations.
    query = (
        select(*ROW_COLUMNS, Customer.total_spent)
        .where(Customer.archived == false(), Customer.total_spent >= min_spend)
        .order_by(Customer.total_spent.desc(), Customer.name_key, Customer.id)
    )
    return Segment("highValue", {"minSpend": min_spend}, query, row=_high_value_row)


def show_page(
    tx: Session, segment: Segment, query: Select[*tuple[Any, ...]], page: int, limit: int
) -> dict[str, Any]:
    answer = page_answer(tx, query, page=page, limit=limit, row=segment.row)
    if segment.enrich is not None and answer["customers"]:
        segment.enrich(tx, answer["customers"])
    return answer


def _run_segment(op: Op, segment: Segment, p: dict[str, Any]) -> dict[str, Any]:
    answer = show_page(op.tx, segment, segment.query, p["page"], p["limit"])
    op.audit(
        "segment",
        "customer",
        None,
        {
            "segment": segment.name,
            "params": segment.params,
            "page": p["page"],
            "shown": len(answer["customers"]),
            "total": answer["total"],
        },
    )
    return answer


# -- the operations -------------------------------------------------------------------------
CONDITION = Param(string(1, 120))
DAYS = Param(integer(0, MAX_REFILL_DAYS))
MIN_SPEND = Param(integer(0, MAX_MONEY))


def _required(param: Param) -> Param:
    return Param(param.convert, required=True)


@operation(
    "getCustomersByCondition",
    params={**PAGING, "condition": _required(CONDITION)},
    roles=EVERYONE,
)
def customers_by_condition(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    return _run_segment(op, condition_segment(p["condition"]), p)


@operation(
    "getCustomersWithUpcomingRefills",
    params={**PAGING, "days": _required(DAYS)},
    roles=EVERYONE,
)
def customers_with_upcoming_refills(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    return _run_segment(op, refills_segment(p["days"], op.today), p)


@operation(
    "getHighValueCustomers",
    params={**PAGING, "minSpend": _required(MIN_SPEND)},
    roles=EVERYONE,
)
def high_value_customers(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    return _run_segment(op, high_value_segment(p["minSpend"]), p)


def _chosen_segment(op: Op, p: dict[str, Any]) -> Segment:
    """The segment asked for, with its own param required and the others refused."""
    chosen = p["segment"]
    wanted = SEGMENT_PARAMS[chosen]
    for other in SEGMENT_PARAMS.values():
        if other != wanted and other in p:
            raise validation(
                f"{other} does not apply to the {chosen} segment; it takes {wanted}.", other
            )
    if wanted not in p:
        raise validation(f"{wanted} is required for the {chosen} segment.", wanted)
    if chosen == "condition":
        return condition_segment(p["condition"])
    if chosen == "upcomingRefills":
        return refills_segment(p["days"], op.today)
    return high_value_segment(p["minSpend"])


@operation(
    "getCampaignAudience",
    params={
        **PAGING,
        "segment": Param(choice(*SEGMENT_PARAMS), required=True),
        "condition": CONDITION,
        "days": DAYS,
        "minSpend": MIN_SPEND,
    },
    roles=PHARMACISTS,
)
def campaign_audience(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """A segment's customers who agreed to marketing; the others are only counted."""
    segment = _chosen_segment(op, p)
    consented = segment.query.where(Customer.marketing_consent == true())
    without = segment.query.where(Customer.marketing_consent == false())
    excluded = int(
        op.tx.scalar(select(func.count()).select_from(without.order_by(None).subquery())) or 0
    )
    answer = show_page(op.tx, segment, consented, p["page"], p["limit"])
    answer["excludedWithoutConsent"] = excluded
    op.audit(
        "export",
        "customer",
        None,
        {
            "kind": "campaignAudience",
            "segment": segment.name,
            "params": segment.params,
            "page": p["page"],
            "shown": len(answer["customers"]),
            "total": answer["total"],
            "excludedWithoutConsent": excluded,
        },
    )
    return answer
