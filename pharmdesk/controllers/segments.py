"""Customer segments (by condition, upcoming refills, high value) and the campaign audience.

Each segment is defined by one ordered query over the customer table (archived customers
are never listed) with the shared row shape and paging of ``customer_rows``. The campaign
audience is the same query narrowed to customers who consented to marketing.

A million customers: counting such a query and paging it from the top would read every
customer (seconds). The condition and refill segments therefore have a faster reader that
gives exactly the same answer (tests/controllers/test_segments.py holds both to it):

- condition: the distinct condition keys that match, found by a skip scan of the key
  index (one seek per distinct key); the total from that index alone (customers per key,
  less those counted under a bigger key already, less the few archived ones); the page by
  walking the name index and probing each customer's conditions, or, when the matches
  are few and the walk would be long, by reading the matches and sorting them.
- upcoming refills: each customer's first due refill is a column (``first_refill``, kept
  by triggers on ``subscription``, migration 0008), so the total is a range count of its
  index and the page walks that index in date order, sorting only one date's rows.

The SQL is standard (a recursive CTE, EXISTS, CROSS JOIN with WHERE), so it runs as is
on PostgreSQL; only the row's timestamp formatting is SQLite's (``SQLITE_ROW_COLUMNS``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    distinct,
    exists,
    false,
    func,
    select,
    text,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from pharmdesk.controllers import audit
from pharmdesk.controllers.consent.records import CHANNELS
from pharmdesk.controllers.customer_rows import (
    ROW_COLUMNS,
    SQLITE_ROW_COLUMNS,
    customer_row,
    page_answer,
    page_rows,
)
from pharmdesk.controllers.plans import ACTIVE, resume_due_plans
from pharmdesk.controllers.registry import EVERYONE, PHARMACISTS, Op, operation
from pharmdesk.controllers.validation import (
    MAX_MONEY,
    PAGING,
    Param,
    choice,
    free_text,
    integer,
    search_key,
)
from pharmdesk.errors import validation
from pharmdesk.store.schema import Customer, CustomerCondition, CustomerConsent, Subscription

MAX_REFILL_DAYS = 365
SEGMENT_PARAMS = {"condition": "condition", "upcomingRefills": "days", "highValue": "minSpend"}

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


class unindexed(FunctionElement[Any]):
    """A column that must not choose the index: on SQLite ``+column``, its documented way
    to keep a term from using an index; elsewhere the plain column.

    Without ANALYZE statistics SQLite takes ``status = 'active'`` (the first column of
    ix_subscription_refill) for a selective equality and would answer "this customer's
    due subscriptions" by scanning every active subscription due in the range, once per
    customer, instead of seeking the customer's few through ix_subscription_customer.
    """

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _plain_column(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unary_plus(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


def _row_columns(conn: Connection) -> tuple[Any, ...]:
    """The list row; on SQLite with its timestamps already formatted by the database."""
    return SQLITE_ROW_COLUMNS if conn.dialect.name == "sqlite" else ROW_COLUMNS


# Customers not archived: the table's row count (SQLite counts it from the b-tree pages,
# reading no rows) less the few archived ones (an index range).
_ACTIVE = select(
    select(func.count()).select_from(Customer).scalar_subquery()
    - select(func.count()).where(Customer.archived == true()).scalar_subquery()
)


# -- the condition segment, read fast ------------------------------------------------------------
def _like_pattern(key: str) -> str:
    return "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# The distinct condition keys holding ``pattern``, each with its number of rows (one per
# customer: ``label_list`` keeps a customer's keys unique), by a skip scan of
# ix_customer_condition_key: one seek per distinct key, not a read of every row.
MATCHING_KEYS = text(
    "WITH RECURSIVE k(key) AS ("
    " SELECT min(label_key) FROM customer_condition"
    " UNION ALL"
    " SELECT (SELECT min(c.label_key) FROM customer_condition c WHERE c.label_key > k.key)"
    " FROM k WHERE k.key IS NOT NULL)"
    " SELECT k.key, (SELECT count(*) FROM customer_condition n WHERE n.label_key = k.key)"
    " FROM k WHERE k.key LIKE :pattern ESCAPE '\\'"
)
# More matching keys than this: count distinct customers instead of key by key.
MAX_KEYS_APART = 8
# Relative costs (measured at 1M): one step of the name-index walk with its conditions
# probe, and reading + sorting one matching customer. Reading the matches is chosen only
# while they are few enough to pass as a list of ids.
WALK_STEP_COST = 1
MATCH_ROW_COST = 3
MAX_ID_LIST = 20_000


def _holds_any(keys: list[str]) -> Any:
    return exists().where(
        CustomerCondition.customer_id == Customer.id, CustomerCondition.label_key.in_(keys)
    )


def _condition_total(conn: Connection, keys: list[tuple[str, int]]) -> tuple[int, int]:
    """Customers (not archived) holding one of ``keys`` (with their row counts, most
    first), and all customers not archived. Index reads only, in one statement: every
    key's rows, less the rows of customers counted under a bigger key already, less the
    archived customers holding one."""
    names = [key for key, _n in keys]
    if len(keys) <= MAX_KEYS_APART:
        holding: Any = sum(n for _key, n in keys)
        for i, key in enumerate(names[1:], start=1):
            k = aliased(CustomerCondition)
            e = aliased(CustomerCondition)
            counted_before = exists().where(
                e.customer_id == k.customer_id, e.label_key.in_(names[:i])
            )
            holding -= (
                select(func.count())
                .select_from(k)
                .where(k.label_key == key, counted_before)
                .scalar_subquery()
            )
    else:
        holding = (
            select(func.count(distinct(CustomerCondition.customer_id)))
            .where(CustomerCondition.label_key.in_(names))
            .scalar_subquery()
        )
    archived = (
        select(func.count()).where(Customer.archived == true(), _holds_any(names)).scalar_subquery()
    )
    active = _ACTIVE.scalar_subquery()
    row = conn.execute(select((holding - archived).label("total"), active.label("active"))).one()
    return int(row.total), int(row.active)


def _consented(customer: Any = Customer) -> tuple[Any, ...]:
    """Listed and consented, as per-customer checks: without statistics SQLite would
    otherwise start from ``archived = 0`` and read every customer (``unindexed``)."""
    return (
        unindexed(customer.archived) == false(),
        unindexed(customer.marketing_consent) == true(),
    )


def _condition_consented(conn: Connection, names: list[str]) -> int:
    """Customers holding one of the keys who are listed and consented: one probe of the
    customer per key row (a campaign needs the consent of each)."""
    return int(
        conn.scalar(
            select(func.count(distinct(CustomerCondition.customer_id)))
            .select_from(CustomerCondition)
            .join(Customer, Customer.id == CustomerCondition.customer_id)
            .where(CustomerCondition.label_key.in_(names), *_consented())
        )
        or 0
    )


def _condition_reader(key: str) -> PageReader:
    def read(
        conn: Connection, offset: int, limit: int, consented_only: bool
    ) -> tuple[int, list[Any]]:
        found = conn.execute(MATCHING_KEYS, {"pattern": _like_pattern(key)}).all()
        keys = sorted(((k, int(n)) for k, n in found if n), key=lambda kn: (-kn[1], kn[0]))
        if not keys:
            return 0, []
        names = [k for k, _n in keys]
        total, active = _condition_total(conn, keys)
        if consented_only and total:
            total = _condition_consented(conn, names)
        if offset >= total or limit == 0:
            return total, []
        consent = (Customer.marketing_consent == true(),) if consented_only else ()
        columns = _row_columns(conn)
        walk = (offset + limit) * active // max(total, 1) * WALK_STEP_COST
        if walk <= total * MATCH_ROW_COST or total > MAX_ID_LIST:
            # Walk the name index; each customer's conditions probed by index seeks.
            query = select(*columns).where(
                Customer.archived == false(), *consent, _holds_any(names)
            )
        else:
            # Few matches far apart in name order: read them and sort them.
            ids = conn.scalars(
                select(CustomerCondition.customer_id)
                .where(CustomerCondition.label_key.in_(names))
                .distinct()
            ).all()
            query = select(*columns).where(
                Customer.id.in_(ids), Customer.archived == false(), *consent
            )
        rows = conn.execute(
            query.order_by(Customer.name_key, Customer.id).offset(offset).limit(limit)
        ).all()
        return total, list(rows)

    return read


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
    return Segment("condition", {"condition": condition}, query, reader=_condition_reader(key))


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


_REFILLS_PAGE = {
    (dialect, consented_only): _refills_page(columns, consented_only)
    for dialect, columns in (("sqlite", SQLITE_ROW_COLUMNS), ("other", ROW_COLUMNS))
    for consented_only in (False, True)
}
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


def _dialect(conn: Connection) -> str:
    return "sqlite" if conn.dialect.name == "sqlite" else "other"


def _total_riding_reader(
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


def _refills_reader(horizon: dt.date) -> PageReader:
    return _total_riding_reader(_REFILLS_PAGE, _REFILLS_TOTALS, {"horizon": horizon})


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


_HIGH_VALUE = {
    (dialect, consented_only): _high_value_statement(columns, consented_only)
    for dialect, columns in (("sqlite", SQLITE_ROW_COLUMNS), ("other", ROW_COLUMNS))
    for consented_only in (False, True)
}
_HIGH_VALUE_TOTAL = {
    consented_only: select(func.count()).where(*_high_value_filter(consented_only))
    for consented_only in (False, True)
}


def _high_value_reader(min_spend: int) -> PageReader:
    return _total_riding_reader(_HIGH_VALUE, _HIGH_VALUE_TOTAL, {"min_spend": min_spend})


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


def _run_segment(op: Op, segment: Segment, p: dict[str, Any]) -> dict[str, Any]:
    answer = show_page(op.tx, segment, p["page"], p["limit"])
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
            "customerIds": audit.shown_ids(answer["customers"]),
        },
    )
    return answer


# -- the operations -------------------------------------------------------------------------
CONDITION = Param(free_text(1, 120))
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
    resume_due_plans(op)  # a pause whose resume date has come is due again
    return _run_segment(op, refills_segment(p["days"], op.today), p)


@operation(
    "getHighValueCustomers",
    params={**PAGING, "minSpend": _required(MIN_SPEND)},
    roles=EVERYONE,
)
def high_value_customers(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    return _run_segment(op, high_value_segment(p["minSpend"]), p)


def without_consent(
    tx: Session, segment: Segment, consented: int, channel: str | None = None
) -> int:
    """The segment's customers left out for lack of consent: all of them less those who
    consented (consent is never unknown), all counted by the reader when there is one."""
    if channel is not None:
        listed = segment.query.order_by(None).subquery()
        return int(tx.scalar(select(func.count()).select_from(listed)) or 0) - consented
    if segment.reader is not None:
        everyone, _rows = segment.reader(tx.connection(), 0, 0, False)
        return everyone - consented
    without = segment.query.where(Customer.marketing_consent == false())
    return int(tx.scalar(select(func.count()).select_from(without.order_by(None).subquery())) or 0)


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
        resume_due_plans(op)
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
        "channel": Param(choice(*CHANNELS)),
    },
    roles=PHARMACISTS,
)
def campaign_audience(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """A segment's customers who agreed to marketing (on ``channel`` when named: per
    channel consent); the others are only counted."""
    segment = _chosen_segment(op, p)
    channel = p.get("channel")
    answer = show_page(op.tx, segment, p["page"], p["limit"], consented_only=True, channel=channel)
    excluded = without_consent(op.tx, segment, answer["total"], channel)
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
            **({"channel": channel} if channel else {}),
            "customerIds": audit.shown_ids(answer["customers"]),
        },
    )
    return answer
