"""Customer operations: find, register, view, update, consent, archive, export."""

from __future__ import annotations

import datetime as dt
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
    delete,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
    true,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from pharmdesk.clock import to_iso
from pharmdesk.controllers import audit
from pharmdesk.controllers.consent import records as consent_records
from pharmdesk.controllers.consent.languages import DEFAULT_LANGUAGE, LANGUAGES
from pharmdesk.controllers.customer_rows import (
    CUSTOMER,
    ROW_COLUMNS,
    SQLITE_ROW_COLUMNS,
    iso_or_none,
    page_answer,
    page_rows,
)
from pharmdesk.controllers.registry import ADMINS, Op, operation
from pharmdesk.controllers.validation import (
    PAGING,
    Param,
    boolean,
    choice,
    customer_name,
    date_of_birth,
    date_value,
    email_address,
    entity_id,
    free_text,
    integer,
    nullable,
    phone_e164,
    phone_search_forms,
    search_key,
    string_list,
)
from pharmdesk.errors import (
    ARCHIVED,
    CONFLICT,
    DUPLICATE,
    PharmDeskError,
    not_found,
    validation,
)
from pharmdesk.store.schema import (
    ConsentEvent,
    Customer,
    CustomerAllergy,
    CustomerCondition,
    Order,
    Subscription,
    SubscriptionEvent,
)

SORTS = ("name", "createdAt", "lastOrder", "totalOrders", "planCount")
SORT_COLUMNS = {
    "name": Customer.name_key,
    "createdAt": Customer.created_at,
    "lastOrder": Customer.last_order,
    "totalOrders": Customer.total_orders,
    "planCount": Customer.active_plans,
}
MIN_PHONE_DIGITS = 4
RECENT_ORDERS = 10
UNKNOWN, NONE_KNOWN, RECORDED = "unknown", "noneKnown", "recorded"


def cust_id(number: int) -> str:
    return f"{CUSTOMER}-{number}"


# -- shared lookups -----------------------------------------------------------------------
def _missing(number: int) -> PharmDeskError:
    return not_found(f"No customer {cust_id(number)}. Check the id.", "customerId")


def _archived(number: int) -> PharmDeskError:
    return PharmDeskError(
        ARCHIVED,
        f"{cust_id(number)} is archived and cannot be changed. Ask an admin if this is a mistake.",
        "customerId",
    )


def get_customer(tx: Session, number: int, *, for_write: bool = False) -> Customer:
    """The customer, or NOT_FOUND; ARCHIVED when ``for_write`` and it is archived."""
    customer = tx.get(Customer, number)
    if customer is None:
        raise _missing(number)
    if for_write and customer.archived:
        raise _archived(number)
    return customer


_CUSTOMER_BY_ID = select(*Customer.__table__.c).where(
    Customer.__table__.c.id == bindparam("number")
)


def read_customer(tx: Session, number: int, *, for_write: bool = False) -> Row[Any]:
    """``get_customer`` as a plain row (the same columns as attributes, the same errors):
    for the operations on one customer that run at every click, where loading an ORM
    object and flushing it back was a third of the call."""
    row = tx.connection().execute(_CUSTOMER_BY_ID, {"number": number}).first()
    if row is None:
        raise _missing(number)
    if for_write and row.archived:
        raise _archived(number)
    return row


LabelTable = type[CustomerAllergy] | type[CustomerCondition]


_LABELS = {
    label_table: select(label_table.label)
    .where(label_table.customer_id == bindparam("number"))
    .order_by(label_table.position)
    for label_table in (CustomerAllergy, CustomerCondition)
}


def labels(tx: Session, table: LabelTable, number: int) -> list[str]:
    return list(tx.connection().scalars(_LABELS[table], {"number": number}))


def _label_rows(number: int, values: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": number,
            "position": position,
            "label": label,
            "label_key": search_key(label),
        }
        for position, label in enumerate(values)
    ]


def _insert_labels(tx: Session, table: LabelTable, rows: list[dict[str, Any]]) -> None:
    if rows:
        tx.connection().execute(insert(table), rows)


def _replace_labels(tx: Session, table: LabelTable, number: int, values: list[str]) -> None:
    tx.connection().execute(delete(table).where(table.customer_id == number))
    _insert_labels(tx, table, _label_rows(number, values))


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


def _sort_order(sort: str) -> tuple[bool, Any]:
    return sort.startswith("-"), SORT_COLUMNS[sort.lstrip("-")]


def _order_by(key: Any, descending: bool) -> list[Any]:
    return [
        key.desc() if descending else key.asc(),
        Customer.id.desc() if descending else Customer.id.asc(),
    ]


def customer_list_query(search: str | None, sort: str) -> Select:
    descending, key = _sort_order(sort)
    query = select(*ROW_COLUMNS).where(Customer.archived == false())
    if search and search.strip():
        condition = search_condition(search)
        if condition is not None:
            query = query.where(condition)
    order: list[Any] = []
    if key is Customer.last_order:
        order.append(Customer.last_order.is_(None))  # customers with no order last, either way
    return query.order_by(*order, *_order_by(key, descending))


# Engines known to have (True) or lack (False) the search index: checked once per open.
_SEARCH_INDEX_KNOWN: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()
_SEARCH_INDEX_EXISTS: Select[*tuple[Any, ...]] = (
    select(literal_column("1"))
    .select_from(table("sqlite_master", column("type"), column("name")))
    .where(literal_column("type") == "table", literal_column("name") == SEARCH_INDEX.name)
)
# Customers not archived: the table's row count (SQLite counts it from the b-tree pages,
# reading no rows) less the few archived ones (an index range).
_ACTIVE = (
    select(func.count()).select_from(Customer).scalar_subquery()
    - select(func.count()).where(Customer.archived == true()).scalar_subquery()
)
_ACTIVE_TOTAL = select(_ACTIVE)
# A search's two numbers in one statement: the customers listed, and those matching.
_COUNTS = select(
    _ACTIVE.label("active"),
    select(func.count())
    .select_from(SEARCH_INDEX)
    .where(SEARCH_INDEX.c.customer_search.op("MATCH")(bindparam("query")))
    .scalar_subquery()
    .label("matching"),
)


def _has_search_index(tx: Session) -> bool:
    engine = tx.get_bind().engine
    known = _SEARCH_INDEX_KNOWN.get(engine)
    if known is None:
        known = engine.dialect.name == "sqlite" and tx.scalar(_SEARCH_INDEX_EXISTS) is not None
        _SEARCH_INDEX_KNOWN[engine] = known
    return known


def _list_page(conn: Connection, sort: str, offset: int, limit: int) -> tuple[int, list[Any]]:
    """The total and one page of the unsearched list, read in the order of the sort's
    index (rows that the offset skips are never read: SQLite defers the row lookup).
    The total rides along on each row, so a page is one statement."""
    descending, key = _sort_order(sort)
    base = select(*SQLITE_ROW_COLUMNS, _ACTIVE.label("active")).where(Customer.archived == false())
    rows: list[Any] = []
    if key is not Customer.last_order:
        query = base.order_by(*_order_by(key, descending))
        rows = list(conn.execute(query.offset(offset).limit(limit)))
    else:
        # "No order last, either way": the dated customers in order, then the undated by
        # id. Two index ranges instead of sorting a million rows on ``last_order IS NULL``.
        for part in (
            base.where(Customer.last_order.is_not(None)).order_by(*_order_by(key, descending)),
            base.where(Customer.last_order.is_(None)).order_by(*_order_by(Customer.id, descending)),
        ):
            got = list(conn.execute(part.offset(offset).limit(limit - len(rows))))
            rows += got
            if len(rows) == limit:
                break
            if got:
                offset = 0
            elif offset:  # the page starts past this part: skip what it holds
                counted = conn.scalar(
                    select(func.count()).select_from(part.order_by(None).subquery())
                )
                offset = max(0, offset - int(counted or 0))
    total = rows[0].active if rows else conn.scalar(_ACTIVE_TOTAL)
    return int(total or 0), rows


def _walk_ids(
    conn: Connection, terms: SearchTerms, sort: str, offset: int, limit: int, budget: int
) -> list[int]:
    """Matches in sort order by walking the sort's index, reading at most ``budget``
    entries (the caller knows how many rows the page must hold)."""
    descending, key = _sort_order(sort)
    walked = (
        select(Customer.id.label("id"), key.label("sort_key"), terms_condition(terms).label("hit"))
        .where(Customer.archived == false())
        .order_by(*_order_by(key, descending))
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
    descending, key = _sort_order(sort)
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
            .order_by(*order, *_order_by(key, descending))
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


def customer_page(
    tx: Session, search: str | None, sort: str, *, page: int, limit: int
) -> dict[str, Any]:
    """One page of fetchCustomers, as ``customer_list_query`` defines it, by the cheapest
    plan this database offers.

    Plain SQL statements on the session's connection (no ORM objects): at a few
    milliseconds per page, the ORM's own work per statement would be most of the time.
    """
    terms = search_terms(search)
    # An id is one row; FTS5 query strings cannot hold NUL; other databases have no index.
    if terms.customer_id is not None or "\x00" in (search or "") or not _has_search_index(tx):
        return page_answer(tx, customer_list_query(search, sort), page=page, limit=limit)
    conn = tx.connection()
    offset = (page - 1) * limit
    if terms.empty:
        active, listed = _list_page(conn, sort, offset, limit)
        return page_rows(listed, total=active, page=page, limit=limit)
    query = search_index_query(terms)
    counts = conn.execute(_COUNTS, {"query": query}).one()
    active, total = int(counts.active), int(counts.matching)
    wanted = max(0, min(limit, total - offset))
    rows = []
    if wanted:
        key = _sort_order(sort)[1]
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
    params={
        **PAGING,
        "search": Param(free_text(0, 200)),
        "sort": Param(choice(*SORTS, *(f"-{s}" for s in SORTS)), default="name"),
    },
)
def fetch_customers(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    search = p.get("search")
    lookup = kept_record_search(op.tx, search)
    answer = customer_page(op.tx, lookup, p["sort"], page=p["page"], limit=p["limit"])
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


def kept_record_search(tx: Session, search: str | None) -> str | None:
    """A search for a merged duplicate's id leads to the record it was merged into."""
    number = search_terms(search).customer_id
    seen: set[int] = set()
    while number is not None and number not in seen:
        seen.add(number)
        into = tx.scalar(select(Customer.merged_into).where(Customer.id == number))
        if into is None:
            break
        search, number = cust_id(into), into
    return search


# -- fields common to create and update ------------------------------------------------------
def customer_fields(*, for_update: bool) -> dict[str, Param]:
    def optional(conv: Any) -> Param:
        return Param(nullable(conv), keep_null=for_update)

    return {
        "name": Param(free_text(0, 500), required=not for_update, keep_null=for_update),
        "phone": Param(free_text(0, 40), required=not for_update, keep_null=for_update),
        "email": optional(free_text(0, 254)),
        "address": optional(free_text(0, 300)),
        "dateOfBirth": optional(date_value()),
        "allergies": Param(string_list(), keep_null=for_update),
        "noKnownAllergies": Param(boolean(), keep_null=for_update),
        "medicalConditions": Param(string_list(), keep_null=for_update),
        "notes": optional(free_text(0, 4000, multiline=True)),
        "marketingConsent": Param(boolean(), keep_null=for_update),
        # The language reminders are written in (resources/reminder-templates.json).
        "language": Param(choice(*LANGUAGES), keep_null=for_update),
        # Consent by purpose and channel given with a new customer (an import's columns);
        # later changes go through setConsent, with its history.
        **({} if for_update else {"consents": Param(consent_records.consent_list())}),
    }


def _not_null(p: dict[str, Any], *fields: str) -> None:
    for name in fields:
        if name in p and p[name] is None:
            raise validation(f"{name} cannot be cleared; give a value or leave it out.", name)


def normalise(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Field rules shared by create and update; only keys present in ``p`` are touched."""
    out = dict(p)
    if "name" in p:
        out["name"] = customer_name(p["name"])
    if "phone" in p:
        out["phone"] = phone_e164(p["phone"], op.region)
    if p.get("email"):
        out["email"] = email_address(p["email"])
    elif "email" in p:
        out["email"] = None
    if p.get("address") is not None:
        out["address"] = " ".join(p["address"].split()) or None
    if p.get("notes") is not None:
        out["notes"] = p["notes"].strip() or None
    if p.get("dateOfBirth") is not None:
        out["dateOfBirth"] = date_of_birth(p["dateOfBirth"], op.today)
    if p.get("marketingConsent") and "phone" in out:
        consent_records.refuse_if_suppressed(op.tx, out["phone"], "marketingConsent")
    if p.get("consents") and "phone" in out:
        consent_records.refuse_suppressed_grants(op.tx, out["phone"], p["consents"])
    if p.get("allergies") and p.get("noKnownAllergies"):
        raise validation(
            "noKnownAllergies cannot be true when allergies are listed. Remove the allergies "
            "or untick 'No known allergies'.",
            "noKnownAllergies",
        )
    return out


def duplicate_error(existing: int) -> PharmDeskError:
    return PharmDeskError(
        DUPLICATE,
        f"This customer is already on file as {cust_id(existing)} (same name and phone). "
        "Open that record instead.",
        "name",
    )


_SAME_PHONE = select(Customer.id, Customer.name_key, Customer.phone).where(
    Customer.phone == bindparam("phone"),
    or_(Customer.id != bindparam("exclude"), bindparam("exclude").is_(None)),
)


def existing_duplicates(
    tx: Session, people: list[tuple[str, str]], exclude: int | None = None
) -> dict[tuple[str, str], int]:
    """The duplicate rule (API.md: the same name, compared by its search key, and the same
    phone) for many people in one statement: each (name key, phone) on file, with the
    lowest id holding it. ``people`` are (normalised name, E.164 phone) pairs.

    The customers with those phones are read (a phone is shared by a household at most)
    and their stored name keys made again with today's ``search_key``: a name stored
    with invisible characters by an older version still matches its clean form."""
    keys = {(search_key(name), phone) for name, phone in people}
    if not keys:
        return {}
    phones = sorted({phone for _key, phone in keys})
    if len(phones) == 1:  # the form's one customer: a statement compiled once
        query, params = _SAME_PHONE, {"phone": phones[0], "exclude": exclude}
    else:
        query = select(Customer.id, Customer.name_key, Customer.phone).where(
            Customer.phone.in_(phones)
        )
        if exclude is not None:
            query = query.where(Customer.id != exclude)
        params = {}
    found: dict[tuple[str, str], int] = {}
    for number, stored_key, phone in tx.connection().execute(query, params):
        key = (search_key(stored_key), phone)
        if key in keys:
            found[key] = min(number, found.get(key, number))
    return found


def duplicate_check(tx: Session, name: str, phone: str, exclude: int | None) -> None:
    """DUPLICATE if someone else is on file with this name and phone."""
    found = existing_duplicates(tx, [(name, phone)], exclude)
    if found:
        raise duplicate_error(next(iter(found.values())))


def _allergy_state(allergies: list[str], none_known: bool) -> str:
    if allergies:
        return RECORDED
    return NONE_KNOWN if none_known else UNKNOWN


def _consent_values(op: Op, consent: bool) -> dict[str, Any]:
    return {
        "marketing_consent": consent,
        "consent_recorded_at": op.naive_now,
        "consent_recorded_by": op.user,
    }


def _consent_events(op: Op, numbers: list[int], consent: bool) -> None:
    """The consent history rows of a change recorded for these customers."""
    if numbers:
        op.tx.connection().execute(
            insert(ConsentEvent),
            [
                {
                    "customer_id": number,
                    "consent": consent,
                    "recorded_at": op.naive_now,
                    "recorded_by": op.user,
                }
                for number in numbers
            ],
        )


def _record_consent(op: Op, customer: Customer, consent: bool) -> None:
    for attr, value in _consent_values(op, consent).items():
        setattr(customer, attr, value)
    _consent_events(op, [customer.id], consent)


# -- addProviderCustomer -----------------------------------------------------------------
@dataclass(frozen=True)
class NewCustomer:
    """A customer to create: fields already through ``normalise`` and ``duplicate_check``
    (or ``existing_duplicates``), and what its ``create`` audit entry says."""

    data: dict[str, Any]
    audit_detail: dict[str, Any]


_NO_CONSENT = {"marketing_consent": False, "consent_recorded_at": None, "consent_recorded_by": None}


def _new_customer_values(op: Op, data: dict[str, Any]) -> dict[str, Any]:
    status = _allergy_state(data.get("allergies") or [], bool(data.get("noKnownAllergies")))
    now = op.naive_now
    consent = bool(data.get("marketingConsent"))
    return {
        "name": data["name"],
        "name_key": search_key(data["name"]),
        "phone": data["phone"],
        "phone_search": phone_search_forms(data["phone"]),
        "email": data.get("email"),
        "address": data.get("address"),
        "date_of_birth": data.get("dateOfBirth"),
        "allergy_status": status,
        "allergies_confirmed_at": now if status != UNKNOWN else None,
        "allergies_confirmed_by": op.user if status != UNKNOWN else None,
        "notes": data.get("notes"),
        "language": data.get("language") or DEFAULT_LANGUAGE,
        **(_consent_values(op, True) if consent else _NO_CONSENT),
        "archived": False,
        "version": 1,
        "total_orders": 0,
        "total_spent": 0,
        "last_order": None,
        "active_plans": 0,
        "created_at": now,
        "updated_at": now,
    }


_INSERT_CUSTOMERS = insert(Customer).returning(Customer.id, sort_by_parameter_order=True)


def create_customers(op: Op, new: list[NewCustomer]) -> list[int]:
    """Write customers as ``addProviderCustomer`` creates them, in their order: the
    customer rows (the search-index triggers fire per row), their allergy and condition
    lists, consent history, and one ``create`` audit entry each. A batch is a few
    statements whatever its size (an import sends hundreds at a time). Returns the ids."""
    if not new:
        return []
    conn = op.tx.connection()
    values = [_new_customer_values(op, c.data) for c in new]
    numbers = [int(n) for n in conn.scalars(_INSERT_CUSTOMERS, values)]
    for label_table, field in (
        (CustomerAllergy, "allergies"),
        (CustomerCondition, "medicalConditions"),
    ):
        _insert_labels(
            op.tx,
            label_table,
            [
                row
                for number, c in zip(numbers, new, strict=True)
                for row in _label_rows(number, c.data.get(field) or [])
            ],
        )
    agreed = [(n, c) for n, c in zip(numbers, new, strict=True) if c.data.get("marketingConsent")]
    _consent_events(op, [n for n, _c in agreed], True)
    for method in ("form", "import"):
        consent_records.record(
            op,
            [n for n, c in agreed if ("importId" in c.audit_detail) == (method == "import")],
            consent_records.MARKETING,
            consent_records.CHANNELS,
            True,
            method,
            sync_summary=False,
        )
    consent_records.record_new(
        op,
        [
            (n, c.data["consents"], "import" if "importId" in c.audit_detail else "form")
            for n, c in zip(numbers, new, strict=True)
            if c.data.get("consents")
        ],
    )
    audit.append_many(
        op.tx,
        at=op.now,
        user=op.user,
        entries=[
            audit.Entry("create", "customer", cust_id(n), c.audit_detail)
            for n, c in zip(numbers, new, strict=True)
        ],
    )
    return numbers


@operation("addProviderCustomer", params=customer_fields(for_update=False))
def add_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    data = normalise(op, p)
    duplicate_check(op.tx, data["name"], data["phone"], None)
    (number,) = create_customers(op, [NewCustomer(data, {"fields": sorted(p)})])
    return {
        "success": True,
        "customerId": cust_id(number),
        "message": "Customer created successfully",
        "createdAt": to_iso(op.now),
    }


# -- viewProviderCustomerDetails -----------------------------------------------------------
def _subscription_sort_key(sub: Any) -> tuple[Any, ...]:
    return (
        sub.status != "active",
        sub.next_delivery is None,
        sub.next_delivery or dt.date.max,
        sub.id,
    )


_PROFILE_PLANS = select(
    Subscription.id,
    Subscription.plan_id,
    Subscription.plan_name,
    Subscription.medications,
    Subscription.status,
    Subscription.next_delivery,
).where(Subscription.customer_id == bindparam("number"))
_PROFILE_ORDERS = (
    select(Order.id, Order.ordered_at, Order.total, Order.status)
    .where(Order.customer_id == bindparam("number"))
    .order_by(Order.ordered_at.desc(), Order.id.desc())
    .limit(RECENT_ORDERS)
)


def customer_details(
    tx: Session, customer: Customer | Row[Any], today: dt.date | None = None
) -> dict[str, Any]:
    """The full profile shape of API.md (viewProviderCustomerDetails), from the customer
    (an ORM object or a ``read_customer`` row) and plain selects: a profile opens at every
    click, and ORM objects for its plans and orders were most of its time."""
    tx.flush()  # changes made earlier in this transaction (a resumed plan) are read back
    conn = tx.connection()
    subs = sorted(conn.execute(_PROFILE_PLANS, {"number": customer.id}), key=_subscription_sort_key)
    orders = conn.execute(_PROFILE_ORDERS, {"number": customer.id}).all()
    return {
        "id": cust_id(customer.id),
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "address": customer.address,
        "dateOfBirth": customer.date_of_birth.isoformat() if customer.date_of_birth else None,
        "allergies": labels(tx, CustomerAllergy, customer.id),
        "allergyStatus": customer.allergy_status,
        "allergiesConfirmedAt": iso_or_none(customer.allergies_confirmed_at),
        "allergiesConfirmedBy": customer.allergies_confirmed_by,
        "medicalConditions": labels(tx, CustomerCondition, customer.id),
        "stats": {
            "totalOrders": customer.total_orders,
            "totalSpent": customer.total_spent,
            "activePlans": customer.active_plans,
            "lastOrder": iso_or_none(customer.last_order),
        },
        "plans": [
            {
                "id": f"PLAN-{sub.plan_id}",
                "subscriptionId": f"SUB-{sub.id}",
                "name": sub.plan_name,
                "medications": list(sub.medications),
                "status": sub.status,
                "nextDelivery": sub.next_delivery.isoformat() if sub.next_delivery else None,
            }
            for sub in subs
        ],
        "recentOrders": [
            {
                "orderId": f"ORD-{order.id}",
                "date": iso_or_none(order.ordered_at),
                "total": order.total,
                "status": order.status,
            }
            for order in orders
        ],
        "notes": customer.notes,
        "language": customer.language,
        "marketingConsent": customer.marketing_consent,
        "marketingConsentRecordedAt": iso_or_none(customer.consent_recorded_at),
        "marketingConsentRecordedBy": customer.consent_recorded_by,
        # Per purpose and channel (API.md v3), and the phone's STOP, if any.
        "consents": consent_records.current_consents(tx, customer.id),
        "consentSuppressed": consent_records.suppression(tx, customer.phone),
        # The customer record, completed (API.md): links, who pays, merge and erasure.
        **_record_parts(tx, customer, today or dt.date.today()),
        "archived": customer.archived,
        "version": customer.version,
        "createdAt": iso_or_none(customer.created_at),
        "updatedAt": iso_or_none(customer.updated_at),
    }


def _record_parts(tx: Session, customer: Customer | Row[Any], today: dt.date) -> dict[str, Any]:
    # Imported here: those modules build on this one.
    from pharmdesk.controllers.record.merge import merges_of
    from pharmdesk.controllers.record.payer import payer_json
    from pharmdesk.controllers.record.relationships import relationships_of

    return {
        "relationships": relationships_of(tx, customer.id),
        "payer": payer_json(customer, today),
        "mergedInto": cust_id(customer.merged_into) if customer.merged_into else None,
        "merges": merges_of(tx, customer.id),
        "erased": customer.erased_at is not None,
    }


CUSTOMER_ID = {"customerId": Param(entity_id(CUSTOMER), required=True)}


@operation("viewProviderCustomerDetails", params=CUSTOMER_ID)
def view_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    from pharmdesk.controllers.plans import resume_due_plans  # plans imports this module

    customer = read_customer(op.tx, p["customerId"])
    if resume_due_plans(op, customer.id):  # its plan counter changed: read it again
        op.tx.flush()
        customer = read_customer(op.tx, customer.id)
    details = customer_details(op.tx, customer, op.today)
    op.audit("view", "customer", details["id"])
    return details


# -- updateProviderCustomer ----------------------------------------------------------------
def _scalar_changes(customer: Row[Any], data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    mapping = {
        "name": "name",
        "phone": "phone",
        "email": "email",
        "address": "address",
        "dateOfBirth": "date_of_birth",
        "notes": "notes",
        "language": "language",
    }
    changes: dict[str, tuple[Any, Any]] = {}
    for api_name, attr in mapping.items():
        if api_name in data and getattr(customer, attr) != data[api_name]:
            changes[api_name] = (getattr(customer, attr), data[api_name])
    return changes


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# The SET clause is the columns named in the parameters (compiled once per set of columns).
_UPDATE_CUSTOMER = update(Customer).where(Customer.id == bindparam("number"))


@operation(
    "updateProviderCustomer",
    params={
        **CUSTOMER_ID,
        "expectedVersion": Param(integer(1)),
        **customer_fields(for_update=True),
    },
)
def update_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Read as a plain row and written with one UPDATE; the allergy and condition lists
    are read only when the change names them (most edits are a phone or an address)."""
    _not_null(
        p,
        "name",
        "phone",
        "allergies",
        "noKnownAllergies",
        "medicalConditions",
        "marketingConsent",
        "language",
    )
    data = normalise(op, p)
    customer = read_customer(op.tx, p["customerId"], for_write=True)
    if "expectedVersion" in p and p["expectedVersion"] != customer.version:
        raise PharmDeskError(
            CONFLICT,
            f"{cust_id(customer.id)} was changed by someone else since you opened it "
            f"(version {customer.version}, you had {p['expectedVersion']}). Reopen it and "
            "make your change again.",
            "expectedVersion",
        )
    changes = _scalar_changes(customer, data)

    new_status = customer.allergy_status
    new_allergies: list[str] = []
    if "allergies" in data or "noKnownAllergies" in data:
        old_allergies = labels(op.tx, CustomerAllergy, customer.id)
        new_allergies = data.get("allergies", old_allergies)
        if "noKnownAllergies" in data:
            none_known = bool(data["noKnownAllergies"])
        elif "allergies" in data:
            none_known = False
        else:
            none_known = customer.allergy_status == NONE_KNOWN
        if new_allergies and none_known:
            raise validation(
                "noKnownAllergies cannot be true while allergies are recorded. Clear the "
                "allergies in the same change.",
                "noKnownAllergies",
            )
        new_status = _allergy_state(new_allergies, none_known)
        if new_allergies != old_allergies:
            changes["allergies"] = (old_allergies, new_allergies)
        if new_status != customer.allergy_status and (
            new_status == NONE_KNOWN or customer.allergy_status == NONE_KNOWN
        ):
            changes["noKnownAllergies"] = (
                customer.allergy_status == NONE_KNOWN,
                new_status == NONE_KNOWN,
            )
    if "medicalConditions" in data:
        old_conditions = labels(op.tx, CustomerCondition, customer.id)
        if data["medicalConditions"] != old_conditions:
            changes["medicalConditions"] = (old_conditions, data["medicalConditions"])
    if "marketingConsent" in data and data["marketingConsent"] != customer.marketing_consent:
        changes["marketingConsent"] = (customer.marketing_consent, data["marketingConsent"])

    if not changes:
        return {
            "success": True,
            "customerId": cust_id(customer.id),
            "updatedFields": [],
            "version": customer.version,
            "updatedAt": iso_or_none(customer.updated_at),
        }
    new_name = data.get("name", customer.name)
    new_phone = data.get("phone", customer.phone)
    if "name" in changes or "phone" in changes:
        duplicate_check(op.tx, new_name, new_phone, customer.id)
    values: dict[str, Any] = {}
    for api_name, attr in (
        ("name", "name"),
        ("email", "email"),
        ("address", "address"),
        ("dateOfBirth", "date_of_birth"),
        ("notes", "notes"),
        ("language", "language"),
    ):
        if api_name in changes:
            values[attr] = changes[api_name][1]
    if "name" in changes:
        values["name_key"] = search_key(new_name)
    if "phone" in changes:
        values["phone"] = new_phone
        values["phone_search"] = phone_search_forms(new_phone)
    if "allergies" in changes:
        _replace_labels(op.tx, CustomerAllergy, customer.id, new_allergies)
    if "allergies" in changes or "noKnownAllergies" in changes:
        values["allergy_status"] = new_status
        values["allergies_confirmed_at"] = op.naive_now if new_status != UNKNOWN else None
        values["allergies_confirmed_by"] = op.user if new_status != UNKNOWN else None
    if "medicalConditions" in changes:
        _replace_labels(op.tx, CustomerCondition, customer.id, data["medicalConditions"])
    if "marketingConsent" in changes:
        if data["marketingConsent"]:
            consent_records.refuse_if_suppressed(op.tx, new_phone, "marketingConsent")
        values.update(_consent_values(op, data["marketingConsent"]))
        _consent_events(op, [customer.id], data["marketingConsent"])
        consent_records.record(
            op,
            [customer.id],
            consent_records.MARKETING,
            consent_records.CHANNELS,
            data["marketingConsent"],
            "form",
            sync_summary=False,
        )
    version = customer.version + 1
    values["version"] = version
    values["updated_at"] = op.naive_now
    op.tx.connection().execute(_UPDATE_CUSTOMER, {"number": customer.id, **values})
    sent_back: list[str] = []
    if "allergies" in changes:
        # A new allergy may conflict with a plan already running: a pharmacist reviews it
        # before the next delivery. (Imported here: plans builds on this module.)
        from pharmdesk.controllers.plans import review_after_allergy_change

        updated = op.tx.get(Customer, customer.id)  # not loaded before: read as just written
        assert updated is not None  # read above, in this transaction
        sent_back = review_after_allergy_change(op, updated, new_allergies)
    fields = sorted(changes)
    detail: dict[str, Any] = {
        "changes": {f: {"old": _jsonable(o), "new": _jsonable(n)} for f, (o, n) in changes.items()}
    }
    if sent_back:
        detail["sentForReview"] = sent_back
    op.audit("update", "customer", cust_id(customer.id), detail)
    return {
        "success": True,
        "customerId": cust_id(customer.id),
        "updatedFields": fields,
        "version": version,
        "updatedAt": to_iso(op.now),
    }


# -- setMarketingConsent ------------------------------------------------------------------
@operation(
    "setMarketingConsent",
    params={**CUSTOMER_ID, "consent": Param(boolean(), required=True)},
)
def set_marketing_consent(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    if p["consent"]:
        consent_records.refuse_if_suppressed(op.tx, customer.phone, "consent")
    previous = customer.marketing_consent
    _record_consent(op, customer, p["consent"])
    # Marketing on every channel (API.md v3), as the staff member asked it at the desk.
    consent_records.record(
        op,
        [customer.id],
        consent_records.MARKETING,
        consent_records.CHANNELS,
        p["consent"],
        "verbal",
        sync_summary=False,
    )
    customer.version += 1
    customer.updated_at = op.naive_now
    op.audit("consent", "customer", cust_id(customer.id), {"old": previous, "new": p["consent"]})
    return {"success": True, "marketingConsent": p["consent"], "recordedAt": to_iso(op.now)}


# -- archiveCustomer ----------------------------------------------------------------------
@operation("archiveCustomer", params=CUSTOMER_ID, roles=ADMINS)
def archive_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    customer.archived = True
    customer.version += 1
    customer.updated_at = op.naive_now
    op.audit("archive", "customer", cust_id(customer.id))
    return {"success": True}


# -- exportCustomerData --------------------------------------------------------------------
@operation("exportCustomerData", params=CUSTOMER_ID, roles=ADMINS)
def export_customer_data(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Everything held on one customer: a data-subject access request."""
    customer = get_customer(op.tx, p["customerId"])
    subs = op.tx.scalars(
        select(Subscription)
        .where(Subscription.customer_id == customer.id)
        .order_by(Subscription.id)
    ).all()
    subscriptions = []
    for sub in subs:
        events = op.tx.scalars(
            select(SubscriptionEvent)
            .where(SubscriptionEvent.subscription_id == sub.id)
            .order_by(SubscriptionEvent.id)
        ).all()
        subscriptions.append(
            {
                "subscriptionId": f"SUB-{sub.id}",
                "planId": f"PLAN-{sub.plan_id}",
                "planName": sub.plan_name,
                "medications": list(sub.medications),
                "frequency": sub.frequency,
                "price": sub.price,
                "startDate": sub.start_date.isoformat(),
                "status": sub.status,
                "preferences": {"deliveryDay": sub.delivery_day, "deliveryTime": sub.delivery_time},
                "nextDelivery": sub.next_delivery.isoformat() if sub.next_delivery else None,
                "statusHistory": [
                    {"status": e.status, "at": iso_or_none(e.at), "by": e.by, "reason": e.reason}
                    for e in events
                ],
            }
        )
    orders = op.tx.scalars(
        select(Order).where(Order.customer_id == customer.id).order_by(Order.ordered_at, Order.id)
    ).all()
    consent = op.tx.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.customer_id == customer.id)
        .order_by(ConsentEvent.id)
    ).all()
    op.audit("export", "customer", cust_id(customer.id), {"kind": "customerData"})
    return {
        "customer": customer_details(op.tx, customer, op.today),
        "subscriptions": subscriptions,
        "orders": [
            {
                "orderId": f"ORD-{o.id}",
                "date": iso_or_none(o.ordered_at),
                "total": o.total,
                "status": o.status,
                "subscriptionId": f"SUB-{o.subscription_id}" if o.subscription_id else None,
            }
            for o in orders
        ],
        "consentHistory": [
            {
                "consent": c.consent,
                "recordedAt": iso_or_none(c.recorded_at),
                "recordedBy": c.recorded_by,
            }
            for c in consent
        ],
        # Per purpose and channel, with its proof (API.md v3), oldest first.
        "consentRecords": consent_records.history(op.tx, customer.id),
        "exportedAt": to_iso(op.now),
    }
