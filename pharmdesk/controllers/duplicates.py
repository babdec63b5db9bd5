"""``findDuplicateCustomers``: the pairs of records that look like one person, branch-wide.

Imports from older systems and busy front desks leave the same person on file twice. The
finder reads every active customer's name key, phone and date of birth once, groups the
records that share a phone (by its digits) or a date of birth, and within each group
compares the names that have a word in common (``duplicate_rules``): a 100,000-customer
branch takes a few seconds, not the ten billion comparisons of every pair. A phone or
date of birth shared by more than ``PLACEHOLDER_GROUP`` records is a placeholder, not
evidence, and is passed over (their other evidence still counts).

The whole list is worked out at once and kept (ids and scores only, no names) with a
fingerprint of the customer table (rows, highest id, sum of row versions, latest change):
the next page, or the same page again, is read from it while nothing has changed, so
pages are cut from one list and neither repeat nor skip a pair. Any write to a customer
changes the fingerprint and the next call works the list out again.

- ``findDuplicateCustomers`` (operation, paging): one page of pairs, highest score first,
  then by the two ids. Each pair shows both customers (the list row plus the date of
  birth), so it is audited ``list`` with the ids shown, one entry per page.
- ``scanDuplicateCustomers`` (job): the same work on the job's own connection with
  progress, so the duplicates screen can show a bar while the list is made in a worker
  thread; it answers only how many pairs there are (no customer is shown, nothing is
  audited) and the screen then reads pages with the operation.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from pharmdesk.controllers.customer_rows import CUSTOMER, ROW_COLUMNS, customer_row
from pharmdesk.controllers.duplicate_rules import (
    compare_names,
    customer_key,
    name_words,
    pair_score,
    phone_key,
)
from pharmdesk.controllers.registry import (
    PHARMACISTS,
    JobRun,
    Op,
    Progress,
    job,
    no_progress,
    operation,
)
from pharmdesk.controllers.settings_store import load_settings
from pharmdesk.controllers.validation import PAGING
from pharmdesk.store.schema import Customer

SMALL_GROUP = 16  # compare every pair; in a bigger group only names sharing a word
# A phone or birth date on more records than this is a placeholder (the branch's own
# number typed for walk-ins, 1900-01-01 for "unknown"), not evidence of one person.
PLACEHOLDER_GROUP = 1000
REPORT_EVERY = 5000


@dataclass(frozen=True)
class Pair:
    a: int
    b: int
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class _Person:
    id: int
    key: str
    words: frozenset[str]
    phone: str
    birth: dt.date | None


Fingerprint = tuple[Any, ...]
_cache: dict[str, tuple[Fingerprint, tuple[Pair, ...]]] = {}
_cache_lock = threading.Lock()


def fingerprint(tx: Session) -> Fingerprint:
    """Changes whenever a customer is added, edited, archived or restored."""
    row = tx.execute(
        select(
            func.count(),
            func.max(Customer.id),
            func.sum(Customer.version),
            func.max(Customer.updated_at),
        )
    ).one()
    return tuple(row)


# -- the work -------------------------------------------------------------------------------
def _read(tx: Session, region: str, progress: Progress) -> list[_Person]:
    total = int(tx.scalar(select(func.count()).where(Customer.archived == false())) or 0)
    progress("Reading customers", 0, total)
    query = (
        select(Customer.id, Customer.name_key, Customer.phone, Customer.date_of_birth)
        .where(Customer.archived == false())
        .order_by(Customer.id)
    )
    people = []
    for number, name_key, phone, birth in tx.execute(query):
        key = customer_key(name_key)
        people.append(
            _Person(number, key, frozenset(name_words(key)), phone_key(phone, region), birth)
        )
        if len(people) % REPORT_EVERY == 0:
            progress("Reading customers", len(people), total)
    progress("Reading customers", len(people), total)
    return people


def _group_pairs(group: Sequence[int], people: Sequence[_Person]) -> Iterable[tuple[int, int]]:
    """Index pairs worth comparing in one group (indexes ascending, so ids ascending)."""
    if len(group) <= SMALL_GROUP:
        yield from combinations(group, 2)
        return
    by_word: dict[str, list[int]] = defaultdict(list)
    for index in group:
        for word in people[index].words:
            by_word[word].append(index)
    for members in by_word.values():
        yield from combinations(members, 2)


def find_pairs(tx: Session, region: str, progress: Progress = no_progress) -> list[Pair]:
    """Every pair of active customers that look like one person, in the answer's order."""
    people = _read(tx, region, progress)
    by_phone: dict[str, list[int]] = defaultdict(list)
    by_birth: dict[dt.date, list[int]] = defaultdict(list)
    for index, person in enumerate(people):
        if person.phone:
            by_phone[person.phone].append(index)
        if person.birth is not None:
            by_birth[person.birth].append(index)
    groups = [
        g for g in (*by_phone.values(), *by_birth.values()) if 1 < len(g) <= PLACEHOLDER_GROUP
    ]
    seen: set[tuple[int, int]] = set()
    pairs: list[Pair] = []
    progress("Comparing names", 0, len(groups))
    for done, group in enumerate(groups, 1):
        for i, j in _group_pairs(group, people):
            if (i, j) in seen:
                continue
            seen.add((i, j))
            found = _judge(people[i], people[j])
            if found is not None:
                pairs.append(found)
        if done % REPORT_EVERY == 0:
            progress("Comparing names", done, len(groups))
    progress("Comparing names", len(groups), len(groups))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs


def _judge(a: _Person, b: _Person) -> Pair | None:
    if not a.words & b.words and len(a.words) > 1 and len(b.words) > 1:
        return None  # the common case (different people born the same day): no work
    names = compare_names(a.key, b.key)
    if names is None:
        return None
    same_birth = a.birth is not None and a.birth == b.birth
    differ = a.birth is not None and b.birth is not None and a.birth != b.birth
    judged = pair_score(names, bool(a.phone) and a.phone == b.phone, same_birth, differ)
    if judged is None:
        return None
    return Pair(a.id, b.id, judged[0], judged[1])


def current_pairs(
    tx: Session, database: str, region: str, progress: Progress = no_progress
) -> tuple[Pair, ...]:
    """The pairs for the data as it is now: kept from the last run while the customer
    table's fingerprint is unchanged, else worked out again."""
    mark = (region, *fingerprint(tx))
    with _cache_lock:
        kept = _cache.get(database)
    if kept is not None and kept[0] == mark:
        progress("Comparing names", 1, 1)
        return kept[1]
    pairs = tuple(find_pairs(tx, region, progress))
    with _cache_lock:
        _cache[database] = (mark, pairs)
    return pairs


def forget(database: str | None = None) -> None:
    """Drop the kept list (one database's, or all)."""
    with _cache_lock:
        if database is None:
            _cache.clear()
        else:
            _cache.pop(database, None)


# -- the operation and the job -------------------------------------------------------------
def _side(row: Any) -> dict[str, Any]:
    birth = row.date_of_birth
    return {**customer_row(row), "dateOfBirth": birth.isoformat() if birth else None}


@operation("findDuplicateCustomers", params=PAGING, roles=PHARMACISTS)
def find_duplicate_customers(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """One page of the pairs: ``{"pairs": [{"a", "b", "score", "reasons"}], "total", "page",
    "hasMore"}``, where ``a`` (the older record) and ``b`` are customer rows."""
    pairs = current_pairs(op.tx, str(op.desk.files.db), op.region)
    page, limit = p["page"], p["limit"]
    shown = pairs[(page - 1) * limit : page * limit]
    ids = sorted({n for pair in shown for n in (pair.a, pair.b)})
    rows = {
        row.id: _side(row)
        for row in op.tx.execute(
            select(*ROW_COLUMNS, Customer.date_of_birth).where(Customer.id.in_(ids))
        )
    }
    answer = [
        {"a": rows[pair.a], "b": rows[pair.b], "score": pair.score, "reasons": list(pair.reasons)}
        for pair in shown
    ]
    op.audit(
        "list",
        "customer",
        None,
        {
            "operation": "findDuplicateCustomers",
            "page": page,
            "limit": limit,
            "shown": len(answer),
            "customerIds": list(
                dict.fromkeys(f"{CUSTOMER}-{n}" for pair in shown for n in (pair.a, pair.b))
            ),
        },
    )
    return {
        "pairs": answer,
        "total": len(pairs),
        "page": page,
        "hasMore": page * limit < len(pairs),
    }


@job("scanDuplicateCustomers", params={}, roles=PHARMACISTS)
def scan_duplicate_customers(run: JobRun, _p: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Work the list out on the job's own connection, with progress; answers the count."""
    db = run.open_database()
    try:
        with db.transaction() as tx:
            region = str(load_settings(tx)["defaultRegion"])
            pairs = current_pairs(tx, str(run.files.db), region, progress)
    finally:
        db.close()
    return {"total": len(pairs)}
