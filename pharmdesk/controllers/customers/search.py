"""Finding customers: the search terms, the listing query and its page, and
``fetchCustomers``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session

from pharmdesk.controllers import audit
from pharmdesk.controllers.customer_rows import (
    ROW_COLUMNS,
    SQLITE_ROW_COLUMNS,
    page_answer,
    page_rows,
)
from pharmdesk.controllers.customers.listing import (
    COUNTED_WORD,
    SORTS,
    counted,
    list_page,
    order_by,
    sort_order,
)
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import PAGING, Param, choice, free_text, search_key
from pharmdesk.store import driver_sql
from pharmdesk.store.schema import Customer

MIN_PHONE_DIGITS = 4


# -- fetchCustomers -----------------------------------------------------------------------
# Searching a million customers: the LIKE conditions of ``search_condition`` are the
# definition (and what any database runs). On SQLite the trigram index
# ``customer_search`` (migration 0002, kept by triggers) answers the exact ``total`` and
# finds rare fragments; a broad fragment is instead found by walking the sort order's
# index and stopping at the page. Each query is priced both ways from the match count.
SEARCH_INDEX = table("customer_search", column("rowid"), column("customer_search"))
# Relative costs measured on SQLCipher (tests/bench): checking the name key in an index
# entry, reading the customer row for an entry, and reading + sorting one index match.
INDEX_STEP_COST = 1
ROW_STEP_COST = 5
MATCH_ROW_COST = 6


@dataclass(frozen=True)
class SearchTerms:
    """What a search box text asks for (API.md: fetchCustomers, Search)."""

    customer_id: int | None = None
    words: tuple[str, ...] = ()
    digits: str | None = None  # at least MIN_PHONE_DIGITS, else None

    @property
    def empty(self) -> bool:
        return self.customer_id is None and not self.words and self.digits is None


def search_terms(search: str | None) -> SearchTerms:
    if not search:
        return SearchTerms()
    match = re.fullmatch(r"\s*CUST-([1-9][0-9]{0,17})\s*", search, flags=re.IGNORECASE)
    if match:
        return SearchTerms(customer_id=int(match.group(1)))
    digits = re.sub(r"\D", "", search)
    return SearchTerms(
        words=tuple(search_key(search).split()),
        digits=digits if len(digits) >= MIN_PHONE_DIGITS else None,
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(search: str) -> Any:
    """The WHERE clause for a search box text (API.md: fetchCustomers, Search)."""
    return terms_condition(search_terms(search))


def terms_condition(terms: SearchTerms) -> Any:
    if terms.customer_id is not None:
        return Customer.id == terms.customer_id
    clauses = []
    if terms.words:
        name_parts = []
        for word in terms.words:
            pattern = _like_escape(word)
            if len(word) <= 2:
                name_parts.append(
                    or_(
                        Customer.name_key.like(f"{pattern}%", escape="\\"),
                        Customer.name_key.like(f"% {pattern}%", escape="\\"),
                    )
                )
            else:
                name_parts.append(Customer.name_key.like(f"%{pattern}%", escape="\\"))
        clauses.append(and_(*name_parts))
    if terms.digits is not None:
        clauses.append(Customer.phone_search.like(f"%{terms.digits}%"))
    if not clauses:
        return None
    return or_(*clauses)


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def search_index_query(terms: SearchTerms) -> str:
    """The same search as an FTS5 query on ``customer_search``.

    Its ``name`` column holds each name word after two spaces, so a word of 3 or more
    characters is a substring anywhere, and a shorter one, padded with spaces to a
    trigram, is found only at the start of a name word: exactly ``search_condition``.
    """
    parts = []
    if terms.words:
        words = (_fts_phrase(" " * max(0, 3 - len(w)) + w) for w in terms.words)
        parts.append("(" + " AND ".join(f"name : {w}" for w in words) + ")")
    if terms.digits is not None:
        parts.append(f"phone : {_fts_phrase(terms.digits)}")
    return " OR ".join(parts)


def customer_list_query(search: str | None, sort: str) -> Select:
    descending, key = sort_order(sort)
    query = select(*ROW_COLUMNS).where(Customer.archived == false())
    if search and search.strip():
        condition = search_condition(search)
        if condition is not None:
            query = query.where(condition)
    order: list[Any] = []
    if key is Customer.last_order:
        order.append(Customer.last_order.is_(None))  # customers with no order last, either way
    return query.order_by(*order, *order_by(key, descending))


# Engines known to have (True) or lack (False) the search index: checked once per open.
_SEARCH_INDEX_KNOWN: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()
_SEARCH_INDEX_EXISTS: Select[*tuple[Any, ...]] = (
    select(literal_column("1"))
    .select_from(table("sqlite_master", column("type"), column("name")))
    .where(literal_column("type") == "table", literal_column("name") == SEARCH_INDEX.name)
)
# A search's two numbers in one statement: those matching, and (to price walking the
# sort index against reading the matches) how many customers there are at most: the
# highest id, one index probe, where an exact count reads the whole table at a million.
_COUNTS = select(
    select(func.max(Customer.id)).scalar_subquery().label("customers"),
    select(func.count())
    .select_from(SEARCH_INDEX)
    .where(SEARCH_INDEX.c.customer_search.op("MATCH")(bindparam("query")))
    .scalar_subquery()
    .label("matching"),
)
# A search for an id: that customer's row, with what says whether it is listed or was
# merged into another record. On SQLite the timestamps come formatted.
_BY_ID = {
    dialect: select(*columns, Customer.archived, Customer.merged_into).where(
        Customer.id == bindparam("number")
    )
    for dialect, columns in (("sqlite", SQLITE_ROW_COLUMNS), ("postgresql", ROW_COLUMNS))
}


def _has_search_index(tx: Session) -> bool:
    engine = tx.get_bind().engine
    known = _SEARCH_INDEX_KNOWN.get(engine)
    if known is None:
        known = engine.dialect.name == "sqlite" and tx.scalar(_SEARCH_INDEX_EXISTS) is not None
        _SEARCH_INDEX_KNOWN[engine] = known
    return known


def _walk_ids(
    conn: Connection, terms: SearchTerms, sort: str, offset: int, limit: int, budget: int
) -> list[int]:
    """Matches in sort order by walking the sort's index, reading at most ``budget``
    entries (the caller knows how many rows the page must hold)."""
    descending, key = sort_order(sort)
    walked = (
        select(Customer.id.label("id"), key.label("sort_key"), terms_condition(terms).label("hit"))
        .where(Customer.archived == false())
        .order_by(*order_by(key, descending))
        .limit(budget)
        .subquery()
    )
    order = [walked.c.sort_key, walked.c.id]
    return list(
        conn.scalars(
            select(walked.c.id)
            .where(walked.c.hit)
            .order_by(*(column.desc() if descending else column.asc() for column in order))
            .offset(offset)
            .limit(limit)
        )
    )


def _indexed_rows(conn: Connection, query: str, sort: str, offset: int, limit: int) -> list[Any]:
    """Matches found by the search index, read and sorted (few matches).

    A join from the index, not ``id IN (matches)``: SQLite would answer that by walking
    the whole sort index and probing the matches.
    """
    descending, key = sort_order(sort)
    order: list[Any] = []
    if key is Customer.last_order:
        order.append(Customer.last_order.is_(None))
    return list(
        conn.execute(
            select(*SQLITE_ROW_COLUMNS)
            .select_from(SEARCH_INDEX.join(Customer, Customer.id == SEARCH_INDEX.c.rowid))
            .where(
                SEARCH_INDEX.c.customer_search.op("MATCH")(query),
                Customer.archived == false(),
            )
            .order_by(*order, *order_by(key, descending))
            .offset(offset)
            .limit(limit)
        )
    )


def _rows_in_order(conn: Connection, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    found = {
        row.id: row for row in conn.execute(select(*SQLITE_ROW_COLUMNS).where(Customer.id.in_(ids)))
    }
    return [found[i] for i in ids]


def _server_counted(conn: Connection, terms: SearchTerms) -> Any:
    """A one-word search of up to three characters on a branch server: its total as the
    server keeps it (``listing.counted``), the broad searches a keystroke pause sends.
    None: count the matches."""
    if conn.dialect.name != "postgresql" or terms.digits is not None or len(terms.words) != 1:
        return None
    [word] = terms.words
    return counted(word) if len(word) <= COUNTED_WORD else None


def customer_page(
    tx: Session, search: str | None, sort: str, *, page: int, limit: int
) -> dict[str, Any]:
    """One page of fetchCustomers, as ``customer_list_query`` defines it, by the cheapest
    plan this database offers.

    Plain SQL statements on the session's connection (no ORM objects): at a few
    milliseconds per page, the ORM's own work per statement would be most of the time.
    """
    terms = search_terms(search)
    conn = tx.connection()
    offset = (page - 1) * limit
    if terms.empty:
        active, listed = list_page(conn, sort, offset, limit)
        return page_rows(listed, total=active, page=page, limit=limit)
    if terms.customer_id is not None:  # one row or none: nothing to sort or count
        found = _kept_record(conn, terms.customer_id)
        return page_rows(found[offset : offset + limit], total=len(found), page=page, limit=limit)
    # FTS5 query strings cannot hold NUL; other databases have no index.
    if "\x00" in (search or "") or not _has_search_index(tx):
        return page_answer(
            tx,
            customer_list_query(search, sort),
            page=page,
            limit=limit,
            counted=_server_counted(conn, terms),
        )
    query = search_index_query(terms)
    [counts] = driver_sql.rows(conn, _COUNTS, {"query": query})
    active, total = int(counts.customers or 0), int(counts.matching)
    wanted = max(0, min(limit, total - offset))
    rows = []
    if wanted:
        key = sort_order(sort)[1]
        step = INDEX_STEP_COST if key is Customer.name_key and not terms.digits else ROW_STEP_COST
        budget = total * MATCH_ROW_COST // step  # walking costs no more than reading them all
        expected = (offset + limit) * active // total
        if key is not Customer.last_order and expected <= budget:
            rows = _rows_in_order(conn, _walk_ids(conn, terms, sort, offset, limit, budget))
        if len(rows) < wanted:
            rows = _indexed_rows(conn, query, sort, offset, limit)
    return page_rows(rows, total=total, page=page, limit=limit)


@operation(
    "fetchCustomers",
    reads=True,
    params={
        **PAGING,
        "search": Param(free_text(0, 200)),
        "sort": Param(choice(*SORTS, *(f"-{s}" for s in SORTS)), default="name"),
    },
)
def fetch_customers(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    search = p.get("search")
    answer = customer_page(op.tx, search, p["sort"], page=p["page"], limit=p["limit"])
    op.audit(
        "list",
        "customer",
        None,
        {
            "search": search,
            "sort": p["sort"],
            "page": p["page"],
            "shown": len(answer["customers"]),
            "customerIds": audit.shown_ids(answer["customers"]),
        },
    )
    return answer


def _kept_record(conn: Connection, number: int) -> list[Any]:
    """The listed customer with this id: a merged duplicate's id leads to the record it
    was merged into (and on, should that one have been merged too)."""
    statement = _BY_ID[conn.dialect.name]
    seen: set[int] = set()
    while True:
        found = driver_sql.rows(conn, statement, {"number": number})
        row = found[0] if found else None
        if row is None or row.merged_into is None or number in seen:
            break
        seen.add(number)
        number = row.merged_into
    return [row] if row is not None and not row.archived else []
