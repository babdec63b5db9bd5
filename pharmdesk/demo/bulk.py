"""Rows stored exactly as the ORM would store them, fast: each bulk-loaded table's
columns and their own bind processors, and the chunks that carry rows from the workers."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects.sqlite import DATE as SQLITE_DATE
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from pharmdesk.demo.constants import CatalogPlan
from pharmdesk.store.schema import (
    ConsentEvent,
    Customer,
    CustomerAllergy,
    CustomerCondition,
    Order,
    Subscription,
    SubscriptionEvent,
)

DIALECT = SQLiteDialect_pysqlite()


@dataclass(frozen=True)
class BulkTable:
    """How generated rows of one table become driver tuples, stored exactly as Core
    would store them (each value passes its column type's own bind processor)."""

    table: Table
    columns: tuple[str, ...]
    # Columns holding chunk-local subscription ids: the INSERT adds the chunk's base id.
    shifted: tuple[str, ...] = ()

    @cached_property
    def processors(self) -> list[Callable[[Any], Any] | None]:
        return [
            fast_processor(self.table.c[name].type.dialect_impl(DIALECT)) for name in self.columns
        ]

    def pack(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Values in column order; only the columns with a processor are converted (and
        never None). Read by one ``itemgetter`` per row: packing is a hot loop."""
        if not rows:
            return []
        values = operator.itemgetter(*self.columns)
        converted = [(i, f) for i, f in enumerate(self.processors) if f is not None]
        if len(self.columns) == 1:
            rows_values: Iterator[list[Any]] = ([values(row)] for row in rows)
        else:
            rows_values = (list(values(row)) for row in rows)
        packed = []
        for row in rows_values:
            for i, convert in converted:
                value = row[i]
                if value is not None:
                    row[i] = convert(value)
            packed.append(tuple(row))
        return packed

    def insert_sql(self, engine: Engine, sub_base: int) -> str:
        quote = engine.dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in self.columns)
        values = ", ".join(
            f"? + {int(sub_base)}" if name in self.shifted else "?" for name in self.columns
        )
        return f"INSERT INTO {quote(self.table.name)} ({names}) VALUES ({values})"


_DEFAULT_DATETIME = SQLITE_DATETIME()._storage_format


_DEFAULT_DATE = SQLITE_DATE()._storage_format


def fast_processor(impl: Any) -> Callable[[Any], Any] | None:
    """The column type's bind processor, or for SQLite's default DATETIME and DATE
    formats the same text made by ``isoformat`` (C, not a %-format of a dict: that was a
    twelfth of generating a chunk). Anything but a plain naive datetime or a date goes
    to the type's own processor; tests/unit/test_demo_search.py checks they agree."""
    process = impl.bind_processor(DIALECT)
    if process is None:
        return None
    own: Callable[[Any], Any] = process
    if isinstance(impl, SQLITE_DATETIME) and impl._storage_format == _DEFAULT_DATETIME:

        def datetime_text(value: Any) -> Any:
            if type(value) is dt.datetime and value.tzinfo is None:
                return value.isoformat(" ", "microseconds")
            return own(value)

        return datetime_text
    if isinstance(impl, SQLITE_DATE) and impl._storage_format == _DEFAULT_DATE:

        def date_text(value: Any) -> Any:
            return value.isoformat() if type(value) is dt.date else own(value)

        return date_text
    return process


def bulk_table(model: Any) -> Table:
    table: Table = model.__table__
    return table


LABEL_COLUMNS = ("customer_id", "position", "label", "label_key")


# fmt: off
CUSTOMER_COLUMNS = (
    "id", "name", "name_key", "phone", "phone_search", "email", "address", "date_of_birth",
    "allergy_status", "allergies_confirmed_at", "allergies_confirmed_by", "notes",
    "marketing_consent", "consent_recorded_at", "consent_recorded_by", "archived", "version",
    "total_orders", "total_spent", "last_order", "active_plans", "created_at", "updated_at",
)


SUBSCRIPTION_COLUMNS = (
    "id", "customer_id", "plan_id", "plan_name", "medications", "frequency", "price",
    "start_date", "status", "delivery_day", "delivery_time", "next_delivery", "resume_date",
    "created_at", "updated_at",
)


ORDER_COLUMNS = (
    "customer_id", "subscription_id", "ordered_at", "total", "status", "created_by",
    "created_at",
)


# fmt: on
BULK: dict[str, BulkTable] = {
    "customers": BulkTable(bulk_table(Customer), CUSTOMER_COLUMNS),
    "allergies": BulkTable(bulk_table(CustomerAllergy), LABEL_COLUMNS),
    "conditions": BulkTable(bulk_table(CustomerCondition), LABEL_COLUMNS),
    "consents": BulkTable(
        bulk_table(ConsentEvent), ("customer_id", "consent", "recorded_at", "recorded_by")
    ),
    "subscriptions": BulkTable(bulk_table(Subscription), SUBSCRIPTION_COLUMNS, shifted=("id",)),
    "sub_events": BulkTable(
        bulk_table(SubscriptionEvent),
        ("subscription_id", "at", "status", "by", "reason"),
        shifted=("subscription_id",),
    ),
    "orders": BulkTable(bulk_table(Order), ORDER_COLUMNS, shifted=("subscription_id",)),
}


Rows = list[dict[str, Any]]


@dataclass
class ChunkRows:
    """One chunk of generated rows, one list per ``BULK`` key. Subscription ids are local
    to the chunk (0..n-1) until inserted."""

    customers: Rows = field(default_factory=list)
    allergies: Rows = field(default_factory=list)
    conditions: Rows = field(default_factory=list)
    consents: Rows = field(default_factory=list)
    subscriptions: Rows = field(default_factory=list)
    sub_events: Rows = field(default_factory=list)
    orders: Rows = field(default_factory=list)

    def pack(self) -> PackedChunk:
        return PackedChunk(
            {name: bulk.pack(getattr(self, name)) for name, bulk in BULK.items()},
            len(self.customers),
        )


@dataclass(frozen=True)
class PackedChunk:
    """A chunk ready for ``executemany``: small to send between processes."""

    tuples: dict[str, list[tuple[Any, ...]]]
    customers: int

    @property
    def subscriptions(self) -> int:
        return len(self.tuples["subscriptions"])

    @property
    def orders(self) -> int:
        return len(self.tuples["orders"])


@dataclass(frozen=True)
class ChunkJob:
    seed: int
    first_id: int
    count: int
    total: int
    now: dt.datetime  # naive UTC
    today: dt.date
    plans: tuple[CatalogPlan, ...]
