"""Loading the demo database: a fresh encrypted database, chunks generated in worker
processes and bulk-inserted, indexes and search triggers rebuilt from their own SQL,
one import summary in the audit log."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table, func, select

from pharmdesk.clock import Clock, to_iso
from pharmdesk.controllers import audit
from pharmdesk.controllers.session import create_database, sign_in
from pharmdesk.controllers.validation import search_key
from pharmdesk.demo.bulk import BULK, ChunkJob, PackedChunk, bulk_table
from pharmdesk.demo.constants import (
    CHUNK,
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    DEMO_BRANCH,
    DEMO_FULL_NAME,
    DEMO_PASSWORD,
    DEMO_USER,
    HISTORY,
    MAX_CUSTOMERS,
    CatalogPlan,
    DemoProgress,
    DemoResult,
    ProgressCallback,
    catalog_plans,
)
from pharmdesk.demo.generate import packed_chunk
from pharmdesk.demo_consent import add_demo_consents
from pharmdesk.errors import validation
from pharmdesk.paths import DatabaseFiles
from pharmdesk.resources import load_json
from pharmdesk.store.derived import FILLS
from pharmdesk.store.schema import Plan
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table.insert(), rows)


def _plan_rows(
    conn: Connection, plans: list[dict[str, Any]], moment: dt.datetime
) -> list[CatalogPlan]:
    first_id = int(conn.scalar(select(func.coalesce(func.max(Plan.id), 0))) or 0) + 1
    rows = [
        {"id": first_id + i, **plan, "active": True, "created_at": moment, "updated_at": moment}
        for i, plan in enumerate(plans)
    ]
    _insert(conn, bulk_table(Plan), rows)
    return [
        CatalogPlan(
            row["id"],
            row["name"],
            tuple(row["medications"]),
            row["frequency"],
            row["price"],
            search_key(row["name"]),
        )
        for row in rows
    ]


@dataclass
class _Counters:
    subscriptions: int = 0
    orders: int = 0
    next_sub: int = 1


def _store_chunk(conn: Connection, chunk: PackedChunk, counters: _Counters) -> None:
    """Insert one chunk; its chunk-local subscription ids become real ones in the SQL."""
    base = counters.next_sub
    for name, bulk in BULK.items():
        rows = chunk.tuples[name]
        if rows:
            conn.exec_driver_sql(bulk.insert_sql(conn.engine, base), rows)
    counters.next_sub += chunk.subscriptions
    counters.subscriptions += chunk.subscriptions
    counters.orders += chunk.orders


def _bulk_schema(conn: Connection, kind: str) -> list[tuple[str, str]]:
    """(name, CREATE sql) of the bulk-loaded tables' indexes or triggers, by name
    (automatic indexes, which have no SQL, left out)."""
    names = sorted({bulk.table.name for bulk in BULK.values()})
    marks = ", ".join("?" for _ in names)
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        (kind, *names),
    ).all()
    return [(str(name), str(sql)) for name, sql in rows]


def _drop_indexes(conn: Connection) -> list[str]:
    """Drop the bulk-loaded tables' indexes, returning their exact SQL to rebuild them.

    Building an index once over sorted rows is far cheaper than updating it row by row
    in random order (a million names); the SQL comes from the database itself, so what is
    rebuilt is exactly what the migrations made.
    """
    rows = _bulk_schema(conn, "index")
    quote = conn.engine.dialect.identifier_preparer.quote
    for name, _sql in rows:
        conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
    return [str(sql) for _name, sql in rows]


# An AFTER INSERT trigger whose body is one ``INSERT ... VALUES (NEW...)``: the same rows
# for every row already in the table are ``INSERT ... SELECT ... FROM table AS NEW``.
_INSERT_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+\S+\s+AFTER\s+INSERT\s+ON\s+(?P<table>\w+)\s+"
    r"(?:WHEN\s+(?P<when>.*?)\s+)?BEGIN\s+"
    r"(?P<insert>INSERT\s+INTO\s+\w+\s*\([^)]*\))\s*VALUES\s*\((?P<values>.*)\)\s*;\s*END",
    re.IGNORECASE | re.DOTALL,
)


def replay_sql(trigger_sql: str) -> str | None:
    """What an AFTER INSERT trigger would have inserted for every row of its table, as
    one statement; None when the trigger is not of that simple form."""
    match = _INSERT_TRIGGER.fullmatch(trigger_sql.strip())
    if match is None:
        return None
    where = f" WHERE {match['when']}" if match["when"] else ""
    return f"{match['insert']} SELECT {match['values']} FROM {match['table']} AS NEW{where}"


@dataclass(frozen=True)
class DroppedTrigger:
    """A trigger set aside for the bulk load: its SQL, and its replay (None for one that
    keeps a derived column, filled in by ``store.derived`` afterwards)."""

    create_sql: str
    replay_sql: str | None


def _drop_triggers(conn: Connection) -> list[DroppedTrigger]:
    """Drop the bulk-loaded tables' triggers for the load.

    The demo fills a brand-new database, so the replay of an insert trigger (over every
    row) inserts exactly what it would have, once per row; the others keep derived
    columns (``customer.first_refill``), which ``store.derived.FILLS`` compute in one pass
    each. Fired row by row they would run once per subscription, against tables whose
    indexes are dropped for the load.
    """
    rows = _bulk_schema(conn, "trigger")
    quote = conn.engine.dialect.identifier_preparer.quote
    dropped = []
    for name, sql in rows:
        conn.exec_driver_sql(f"DROP TRIGGER {quote(name)}")
        dropped.append(DroppedTrigger(str(sql), replay_sql(str(sql))))
    return dropped


def _chunks(jobs: list[ChunkJob], workers: int) -> Iterator[PackedChunk]:
    """Generated chunks in order; in worker processes when there are several CPUs.

    At most two chunks per worker are in flight, so memory stays flat even when the
    database is slower than the workers.
    """
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield packed_chunk(job)
        return
    # "spawn", not "fork": the GUI calls this from a process that runs threads.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        waiting = iter(jobs)
        in_flight = deque(
            pool.apply_async(packed_chunk, (job,)) for job in islice(waiting, 2 * workers)
        )
        while in_flight:
            done = in_flight.popleft().get()
            following = next(waiting, None)
            if following is not None:
                in_flight.append(pool.apply_async(packed_chunk, (following,)))
            yield done


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


def create_demo(
    files: DatabaseFiles,
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    clock: Clock | None = None,
    progress: ProgressCallback | None = None,
    kdf: KdfParams = DEFAULT_KDF,
    catalog: Any = None,
    workers: int | None = None,
) -> DemoResult:
    """Create the demo database at ``files``; refuses, changing nothing, if one exists."""
    began = time.monotonic()
    clock = clock or Clock()
    if isinstance(customers, bool) or not 1 <= customers <= MAX_CUSTOMERS:
        raise validation(
            f"The number of demo customers must be 1 to {MAX_CUSTOMERS:,}.", "customers"
        )
    if files.exists():
        raise validation(
            f"A database already exists at {files.db}; nothing was changed. Choose another "
            "--db, or move that file away first.",
            "db",
        )
    plans = catalog_plans(load_json("plan-catalog.json") if catalog is None else catalog)
    report = progress or (lambda _p: None)
    report(DemoProgress("Creating the encrypted database", 0, customers))
    recovery = create_database(
        files,
        admin=DEMO_USER,
        full_name=DEMO_FULL_NAME,
        password=DEMO_PASSWORD,
        branch_name=DEMO_BRANCH,
        clock=clock,
        kdf=kdf,
    )
    try:
        desk = sign_in(files, DEMO_USER, DEMO_PASSWORD, clock=clock, kdf=kdf)
        try:
            now = clock.now()
            naive_now = now.replace(tzinfo=None)
            counters = _Counters()
            with desk.db.engine.begin() as conn:
                catalog_rows = _plan_rows(conn, plans, naive_now - HISTORY)
                index_sql = _drop_indexes(conn)
                triggers = _drop_triggers(conn)
            jobs = [
                ChunkJob(
                    seed,
                    first,
                    min(CHUNK, customers - first + 1),
                    customers,
                    naive_now,
                    clock.local_date(now),
                    tuple(catalog_rows),
                )
                for first in range(1, customers + 1, CHUNK)
            ]
            done = 0
            report(DemoProgress("Creating customers", 0, customers))
            chunks = _chunks(jobs, default_workers() if workers is None else workers)
            with desk.db.engine.connect() as conn:
                transaction = conn.begin()
                for index, rows in enumerate(chunks, start=1):
                    _store_chunk(conn, rows, counters)
                    done += rows.customers
                    if index % 10 == 0:  # a commit every 50,000 customers keeps the WAL small
                        transaction.commit()
                        transaction = conn.begin()
                    report(DemoProgress("Creating customers", done, customers))
                transaction.commit()
            report(DemoProgress("Building the search indexes", customers, customers))
            with desk.db.engine.begin() as conn:
                for trigger in triggers:
                    if trigger.replay_sql is not None:
                        conn.exec_driver_sql(trigger.replay_sql)
                for sql in index_sql:
                    conn.exec_driver_sql(sql)
                for trigger in triggers:  # after the indexes they may name
                    conn.exec_driver_sql(trigger.create_sql)
                for fill in FILLS:
                    conn.exec_driver_sql(fill)
                add_demo_consents(conn, DEMO_USER)
            report(DemoProgress("Recording the import in the audit log", customers, customers))
            with desk.db.transaction() as tx:
                audit.append(
                    tx,
                    at=clock.now(),
                    user=DEMO_USER,
                    action="import",
                    entity_type="demo",
                    detail={
                        "kind": "demo",
                        "seed": seed,
                        "customers": customers,
                        "plans": len(catalog_rows),
                        "subscriptions": counters.subscriptions,
                        "orders": counters.orders,
                        "createdAt": to_iso(now),
                    },
                )
        finally:
            desk.close()
    except BaseException:
        # A half-made demo is worth nothing: remove what this call created.
        for path in [*files.all_files(), *files.lock_files()]:
            if path.exists():
                path.unlink()
        raise
    report(DemoProgress("Done", customers, customers))
    return DemoResult(
        str(files.db),
        DEMO_USER,
        DEMO_PASSWORD,
        recovery,
        customers,
        len(catalog_rows),
        counters.subscriptions,
        counters.orders,
        time.monotonic() - began,
    )
