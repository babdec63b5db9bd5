"""``getSegmentSummary``: the numbers behind the Segments panel's chart.

The segment operations list customers a page at a time; a chart needs the whole
segment at a glance: the branch's most common conditions, refills due per day, and how
the high-value customers' spend is spread (with the segment's total spent, which no
page holds). Answers are counts only, no person is named; still audited as ``segment``.

Archived customers are left out everywhere. They are few, so their share is counted
separately and subtracted: the large counts then run over one index each instead of a
join per row (a million customers answer in tens of milliseconds, not seconds).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, false, func, literal, select, text, true
from sqlalchemy.orm import Session

from pharmdesk.controllers.plans import ACTIVE, resume_due_plans
from pharmdesk.controllers.registry import EVERYONE, Op, operation
from pharmdesk.controllers.segments.condition import MATCHING_KEYS
from pharmdesk.controllers.segments.lists import DAYS, MIN_SPEND
from pharmdesk.controllers.validation import Param, choice
from pharmdesk.errors import validation
from pharmdesk.store.schema import Customer, CustomerCondition, Subscription

TOP_CONDITIONS = 10
MAX_BANDS = 8
SUMMARY_PARAMS = {"condition": None, "upcomingRefills": "days", "highValue": "minSpend"}


# -- customers per condition -------------------------------------------------------------------
def _archived_ids() -> Any:
    """The archived customers, as a subquery: a few thousand at most, looked up by index."""
    return select(Customer.id).where(Customer.archived == true()).scalar_subquery()


# Rows per key of archived customers: the few archived customers first (CROSS JOIN keeps
# that order on SQLite; standard SQL elsewhere), each one's conditions by its index.
_ARCHIVED_PER_KEY = text(
    "SELECT k.label_key, count(*) FROM customer c CROSS JOIN customer_condition k"
    " WHERE k.customer_id = c.id AND c.archived = :archived GROUP BY k.label_key"
)


def top_conditions(tx: Session, limit: int = TOP_CONDITIONS) -> list[dict[str, Any]]:
    """The most common conditions by number of (not archived) customers, most first.

    A customer's conditions are unique by key (``label_list``), so rows per key are
    customers per key: each distinct key by a skip scan of the key index with its row
    count from the same index (``segments.MATCHING_KEYS``), not a read of every row.
    """
    conn = tx.connection()
    counts = {str(key): int(n) for key, n in conn.execute(MATCHING_KEYS, {"pattern": "%"}).all()}
    for key, n in conn.execute(_ARCHIVED_PER_KEY, {"archived": True}).all():
        counts[key] -= int(n)
    top = sorted(((n, key) for key, n in counts.items() if n > 0), key=lambda t: (-t[0], t[1]))
    answer = []
    for n, key in top[:limit]:
        # The first spelling recorded: one index lookup per bar.
        label = tx.scalar(
            select(CustomerCondition.label)
            .where(CustomerCondition.label_key == key)
            .order_by(CustomerCondition.id)
            .limit(1)
        )
        answer.append({"condition": label or key, "customers": n})
    return answer


# -- refills due per day ------------------------------------------------------------------------
def refills_by_day(tx: Session, today: dt.date, days: int) -> dict[str, Any]:
    """Active subscriptions due on each day from today to today + ``days``; overdue apart."""
    horizon = today + dt.timedelta(days=days)
    due = (Subscription.status == ACTIVE, Subscription.next_delivery <= horizon)
    per_day: dict[dt.date, int] = {}
    for day, n in tx.execute(
        select(Subscription.next_delivery, func.count())
        .where(*due)
        .group_by(Subscription.next_delivery)
    ).all():
        if day is not None:
            per_day[day] = int(n)
    for day, n in tx.execute(
        select(Subscription.next_delivery, func.count())
        .where(*due, Subscription.customer_id.in_(_archived_ids()))
        .group_by(Subscription.next_delivery)
    ).all():
        if day is not None:
            per_day[day] -= int(n)
    overdue = sum(n for day, n in per_day.items() if day < today)
    counts = [0] * (days + 1)
    for day, n in per_day.items():
        if day >= today:
            counts[(day - today).days] = n
    by_day = [
        {"date": (today + dt.timedelta(days=i)).isoformat(), "refills": n}
        for i, n in enumerate(counts)
    ]
    return {
        "from": today.isoformat(),
        "to": horizon.isoformat(),
        "overdue": overdue,
        "refills": overdue + sum(counts),
        "dueByDay": by_day,
    }


# -- spend distribution ------------------------------------------------------------------------
def nice_boundaries(low: int, high: int, bands: int = MAX_BANDS) -> list[int]:
    """Round amounts (1, 2, 5 × 10ⁿ) between ``low`` and ``high``: at most ``bands`` - 1,
    the largest ones, so the open-ended top band starts near the biggest spender."""
    found: list[int] = []
    magnitude = 1
    while magnitude <= high:
        for step in (1, 2, 5):
            value = step * magnitude
            if low < value <= high:
                found.append(value)
        magnitude *= 10
    return found[-(bands - 1) :] if bands > 1 else []


def spend_bands(tx: Session, min_spend: int) -> dict[str, Any]:
    """Customers (and their spend) in round-numbered bands from ``min_spend`` up."""
    in_segment = (Customer.archived == false(), Customer.total_spent >= min_spend)
    top = tx.scalar(
        select(Customer.total_spent)
        .where(*in_segment)
        .order_by(Customer.total_spent.desc())
        .limit(1)
    )
    if top is None:
        return {"minSpend": min_spend, "customers": 0, "totalSpent": 0, "bands": []}
    cuts = nice_boundaries(min_spend, int(top))
    starts = [min_spend, *cuts]
    # One band needs no CASE (a CASE without a WHEN is not SQL).
    band = (
        case(*((Customer.total_spent < cut, i) for i, cut in enumerate(cuts)), else_=len(cuts))
        if cuts
        else literal(0)
    ).label("band")
    counted = {
        int(i): (int(n), int(spent or 0))
        for i, n, spent in tx.execute(
            select(band, func.count(), func.sum(Customer.total_spent))
            .where(*in_segment)
            .group_by(band)
        ).all()
    }
    bands = []
    for i, start in enumerate(starts):
        n, spent = counted.get(i, (0, 0))
        end = starts[i + 1] if i + 1 < len(starts) else None
        bands.append({"from": start, "to": end, "customers": n, "totalSpent": spent})
    return {
        "minSpend": min_spend,
        "customers": sum(b["customers"] for b in bands),
        "totalSpent": sum(b["totalSpent"] for b in bands),
        "bands": bands,
    }


# -- the operation --------------------------------------------------------------------------------
def _check_params(p: dict[str, Any]) -> str:
    chosen = str(p["segment"])
    wanted = SUMMARY_PARAMS[chosen]
    for other in ("days", "minSpend"):
        if other != wanted and other in p:
            takes = f"it takes {wanted}" if wanted else "it takes no other parameter"
            raise validation(f"{other} does not apply to the {chosen} summary; {takes}.", other)
    if wanted is not None and wanted not in p:
        raise validation(f"{wanted} is required for the {chosen} summary.", wanted)
    return chosen


@operation(
    "getSegmentSummary",
    params={
        "segment": Param(choice(*SUMMARY_PARAMS), required=True),
        "days": DAYS,
        "minSpend": MIN_SPEND,
    },
    roles=EVERYONE,
)
def segment_summary(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    chosen = _check_params(p)
    params: dict[str, Any] = {}
    if chosen == "condition":
        answer: dict[str, Any] = {"conditions": top_conditions(op.tx)}
    elif chosen == "upcomingRefills":
        params = {"days": p["days"]}
        resume_due_plans(op)
        answer = refills_by_day(op.tx, op.today, p["days"])
    else:
        params = {"minSpend": p["minSpend"]}
        answer = spend_bands(op.tx, p["minSpend"])
    op.audit("segment", "customer", None, {"segment": chosen, "params": params, "summary": True})
    return {"segment": chosen, **answer}
