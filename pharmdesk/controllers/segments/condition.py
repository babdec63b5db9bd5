"""The condition segment: customers with a recorded medical condition, with its fast
reader (a skip scan of the condition key index)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, distinct, exists, false, func, literal, select, text, true
from sqlalchemy.orm import aliased

from pharmdesk.controllers.customer_rows import ROW_COLUMNS, SQLITE_ROW_COLUMNS
from pharmdesk.controllers.customers.listing import listed_customers
from pharmdesk.controllers.segments.segment import PageReader, Segment
from pharmdesk.controllers.validation import search_key
from pharmdesk.errors import validation
from pharmdesk.store.planner import unindexed
from pharmdesk.store.schema import Customer, CustomerCondition


def _row_columns(conn: Connection) -> tuple[Any, ...]:
    """The list row; on SQLite with its timestamps already formatted by the database."""
    return SQLITE_ROW_COLUMNS if conn.dialect.name == "sqlite" else ROW_COLUMNS


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
# On a branch server the same keys with their listed customers, as the server keeps them
# (``customer_condition_count``, migration 0011): a small table, no count of key rows.
SERVER_KEYS = text(
    "SELECT label_key, listed FROM customer_condition_count"
    " WHERE label_key LIKE :pattern ESCAPE '\\' AND listed > 0"
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


def _probe_any(keys: list[str]) -> Any:
    """``_holds_any`` as a probe per customer (one index seek each): for the few archived
    customers, where PostgreSQL would otherwise read every matching key row into a hash
    (43 ms for diabetes at a million customers, against 14)."""
    return (
        select(true())
        .where(CustomerCondition.customer_id == Customer.id, CustomerCondition.label_key.in_(keys))
        .limit(1)
        .scalar_subquery()
    )


def _condition_total(
    conn: Connection, keys: list[tuple[str, int]], listed: bool
) -> tuple[int, int]:
    """Customers (not archived) holding one of ``keys`` (with their row counts, most
    first; ``listed``: counts of listed customers, as a server keeps them), and all
    customers not archived. Index reads only, in one statement: every key's rows, less
    the rows of customers counted under a bigger key already, less the archived
    customers holding one."""
    names = [key for key, _n in keys]
    if len(keys) <= MAX_KEYS_APART:
        holding: Any = literal(sum(n for _key, n in keys))
        for i, key in enumerate(names[1:], start=1):
            k = aliased(CustomerCondition)
            e = aliased(CustomerCondition)
            again = [
                k.label_key == key,
                exists().where(e.customer_id == k.customer_id, e.label_key.in_(names[:i])),
            ]
            if listed:  # the few archived ids hashed: no customer row read per match
                archived_ids = select(Customer.id).where(Customer.archived == true())
                again.append(k.customer_id.not_in(archived_ids))
            holding -= select(func.count()).select_from(k).where(*again).scalar_subquery()
        if listed:
            row = conn.execute(
                select(holding.label("total"), listed_customers(conn).label("active"))
            ).one()
            return int(row.total), int(row.active)
    else:
        holding = (
            select(func.count(distinct(CustomerCondition.customer_id)))
            .where(CustomerCondition.label_key.in_(names))
            .scalar_subquery()
        )
    archived = (
        select(func.count()).where(Customer.archived == true(), _probe_any(names)).scalar_subquery()
    )
    active = listed_customers(conn)
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
        server = conn.dialect.name == "postgresql"
        keyed = SERVER_KEYS if server else MATCHING_KEYS
        found = conn.execute(keyed, {"pattern": _like_pattern(key)}).all()
        keys = sorted(((k, int(n)) for k, n in found if n), key=lambda kn: (-kn[1], kn[0]))
        if not keys:
            return 0, []
        names = [k for k, _n in keys]
        total, active = _condition_total(conn, keys, listed=server)
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
