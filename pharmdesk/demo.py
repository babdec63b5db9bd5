"""Deterministic demo data: a database that looks like a busy Lagos branch.

The same seed and the same "now" give the same database. Every customer comes from
their own seeded random stream, so the result depends neither on the chunk size nor on
how many worker processes generated it. Every value first goes through the same field
rules as the operations (``validation.phone_e164``, ``phone_search_forms``, ``search_key``,
``customer_name``, ``label_list``, the drug-class check, the delivery schedule), and the
per-customer counters are computed from exactly the orders inserted.

Rows are then bulk-inserted: ``executemany`` on the SQLAlchemy connection in large
transactions, each value converted by its column type's own bind processor, so it is
stored exactly as the ORM would store it. Indexes are dropped for the load and rebuilt
from their own SQL afterwards (much faster than updating them row by row). So are the
search index's insert triggers (migration 0002): a trigger fires once per customer; the
same INSERT, run once as ``INSERT ... SELECT`` over the loaded rows, fills the index
eight times faster; then the triggers are made again from their own stored SQL. The
audit log gets one ``import`` summary entry, not one per row, so its chain stays short
and verifiable.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import operator
import os
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.dialects.sqlite import DATE as SQLITE_DATE
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from pharmdesk.clock import Clock, to_iso
from pharmdesk.controllers import audit
from pharmdesk.controllers.allergy_check import allergy_conflicts
from pharmdesk.controllers.schedule import (
    FREQUENCIES,
    first_delivery,
    next_delivery_after,
    on_weekday,
)
from pharmdesk.controllers.session import create_database, sign_in
from pharmdesk.controllers.validation import (
    WEEKDAYS,
    clean_text,
    customer_name,
    date_of_birth,
    email_address,
    integer,
    label_list,
    phone_e164,
    phone_search_forms,
    search_key,
    single_script,
)
from pharmdesk.demo_consent import add_demo_consents
from pharmdesk.errors import validation
from pharmdesk.paths import DatabaseFiles
from pharmdesk.resources import load_json
from pharmdesk.store.schema import (
    ConsentEvent,
    Customer,
    CustomerAllergy,
    CustomerCondition,
    Order,
    Plan,
    Subscription,
    SubscriptionEvent,
)
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams

DEMO_USER = "demo"
DEMO_PASSWORD = "pharmdesk-demo-2026"
DEMO_FULL_NAME = "Demo Admin"
DEMO_BRANCH = "PharmDesk Demo Pharmacy, Lekki"
DEFAULT_CUSTOMERS = 2000
DEFAULT_SEED = 2026
MAX_CUSTOMERS = 5_000_000  # below 10**7, so every customer can have a distinct phone
CHUNK = 5000
HISTORY = dt.timedelta(days=3 * 365)
FREQUENCY_WEIGHT = {"weekly": 1, "biweekly": 2, "monthly": 8, "quarterly": 6}
FAMILY_SHARE = 0.08  # customers who share a relative's phone
HEAVY_EVERY = 997  # one customer in ~1000 has about 200 orders (and at least a few do)
REGION = "NG"

# Nigerian mobile prefixes (MTN, Glo, Airtel, 9mobile); all valid for phonenumbers.
# fmt: off
MOBILE_PREFIXES = (
    "803", "806", "703", "706", "813", "816", "810", "814", "903", "906", "913", "916",
    "805", "807", "705", "815", "811", "905", "915", "802", "808", "708", "812", "701",
    "902", "901", "904", "907", "912", "809", "818", "817", "909", "908",
)
# fmt: on
PHONE_MULTIPLIER = 4_370_813  # odd, not a multiple of 5: a permutation of 7-digit suffixes

CONDITIONS = (
    ("Hypertension", 30),
    ("Diabetes Type 2", 16),
    ("High Cholesterol", 9),
    ("Asthma", 7),
    ("Peptic Ulcer Disease", 6),
    ("Osteoarthritis", 6),
    ("Sickle Cell Disease", 3),
    ("Hypothyroidism", 3),
    ("Chronic Kidney Disease", 2),
    ("Glaucoma", 2),
    ("Epilepsy", 2),
    ("Benign Prostatic Hyperplasia", 3),
    ("Heart Failure", 2),
    ("Migraine", 4),
    ("Diabetes Type 1", 2),
    ("Depression", 2),
)
ALLERGIES = (
    ("Penicillin", 30),
    ("Sulfonamides", 14),
    ("Aspirin", 10),
    ("Ibuprofen", 9),
    ("Codeine", 6),
    ("Chloroquine", 8),
    ("Latex", 4),
    ("Peanuts", 6),
    ("Shellfish", 5),
    ("Erythromycin", 4),
    ("Metronidazole", 4),
)
NOTES = (
    "Prefers morning deliveries. Contact before arrival.",
    "Call before delivery; the gate code is with the security post.",
    "Prefers to be called in Yoruba.",
    "Prefers to be called in Igbo.",
    "Prefers to be called in Hausa.",
    "Pays by bank transfer.",
    "Picks up in person on Saturdays.",
    "Caregiver collects the medicines.",
    "Deliver to the office address on weekdays.",
    "Asks for large-print labels.",
)
PHONE_FORMS = ("0{p} {a} {b}", "0{p}{a}{b}", "+234 {p} {a} {b}", "234{p}{a}{b}", "+234{p}{a}{b}")


# -- what the caller sees --------------------------------------------------------------------
@dataclass(frozen=True)
class DemoProgress:
    """How far the demo has got; ``done``/``total`` count customers in the customer stage."""

    stage: str
    done: int
    total: int


ProgressCallback = Callable[[DemoProgress], None]


@dataclass(frozen=True)
class DemoResult:
    path: str
    username: str
    password: str
    recovery_key: str
    customers: int
    plans: int
    subscriptions: int
    orders: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "success": True,
            "database": self.path,
            "username": self.username,
            "password": self.password,
            "customers": self.customers,
            "plans": self.plans,
            "subscriptions": self.subscriptions,
            "orders": self.orders,
            "seconds": round(self.seconds, 1),
        }


# -- the plan catalog ------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogPlan:
    id: int
    name: str
    medications: tuple[str, ...]
    frequency: str
    price: int
    name_key: str


def catalog_plans(raw: Any) -> list[dict[str, Any]]:
    """The catalog entries, normalised with the operations' rules (as addPlan would)."""
    if not isinstance(raw, list) or not raw:
        raise validation("The plan catalog must be a non-empty list of plans.", "catalog")
    price = integer(0)
    plans = []
    for entry in raw:
        if not isinstance(entry, dict) or not {"name", "medications", "frequency", "price"} <= set(
            entry
        ):
            raise validation(
                "Each catalog entry must be an object with name, medications, frequency and price.",
                "catalog",
            )
        name = clean_text(str(entry["name"]))
        if not 2 <= len(name) <= 120:
            raise validation(f"Plan name '{name[:40]}' must be 2 to 120 characters.", "catalog")
        single_script(name, "catalog")
        medications = label_list(list(entry["medications"]), "medications")
        if not medications:
            raise validation(f"Plan '{name}' has no medications.", "catalog")
        if entry["frequency"] not in FREQUENCIES:
            raise validation(f"Plan '{name}' has an unknown frequency.", "catalog")
        plans.append(
            {
                "name": name,
                "medications": medications,
                "frequency": entry["frequency"],
                "price": price("price", entry["price"]),
            }
        )
    return plans


# -- generation (pure: rows from a seed, no database) ------------------------------------------
_DIALECT = SQLiteDialect_pysqlite()


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
            fast_processor(self.table.c[name].type.dialect_impl(_DIALECT)) for name in self.columns
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
    process = impl.bind_processor(_DIALECT)
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


def _table(model: Any) -> Table:
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
    "customers": BulkTable(_table(Customer), CUSTOMER_COLUMNS),
    "allergies": BulkTable(_table(CustomerAllergy), LABEL_COLUMNS),
    "conditions": BulkTable(_table(CustomerCondition), LABEL_COLUMNS),
    "consents": BulkTable(
        _table(ConsentEvent), ("customer_id", "consent", "recorded_at", "recorded_by")
    ),
    "subscriptions": BulkTable(_table(Subscription), SUBSCRIPTION_COLUMNS, shifted=("id",)),
    "sub_events": BulkTable(
        _table(SubscriptionEvent),
        ("subscription_id", "at", "status", "by", "reason"),
        shifted=("subscription_id",),
    ),
    "orders": BulkTable(_table(Order), ORDER_COLUMNS, shifted=("subscription_id",)),
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


def _weighted(options: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    return [name for name, _ in options], [weight for _, weight in options]


def demo_phone(number: int, seed: int) -> tuple[str, str, str]:
    """A distinct mobile number for each ``number`` below 10,000,000 (prefix, 3 digits,
    4 digits): the 7-digit suffix alone is already a permutation of the numbers."""
    prefix = MOBILE_PREFIXES[(number * 13 + seed) % len(MOBILE_PREFIXES)]
    suffix = (PHONE_MULTIPLIER * number + seed * 7919) % 10_000_000
    digits = f"{suffix:07d}"
    return prefix, digits[:3], digits[3:]


@cache
def delivery_schedule(
    start: dt.date, frequency: str, weekday: str | None, today: dt.date
) -> tuple[tuple[dt.date, ...], dt.date]:
    """Deliveries due from ``start`` up to ``today``, and the first one after today,
    on the same cycle as the operations (``schedule``)."""
    made: list[dt.date] = []
    due = first_delivery(start, weekday)
    while due <= today:
        made.append(due)
        due = next_delivery_after(due, frequency, start, weekday)
    return tuple(made), due


@cache
def plan_conflicts(allergies: tuple[str, ...], medications: tuple[str, ...]) -> bool:
    """True when enrollment would need a pharmacist's review (the demo avoids those)."""
    return bool(allergies) and bool(allergy_conflicts(allergies, medications))


def plan_matches(plan: CatalogPlan, condition: str) -> bool:
    """A plan made for the condition ('Thyroid Care' for 'Hypothyroidism')."""
    condition_key = search_key(condition)
    if any(len(w) > 3 and w in plan.name_key for w in condition_key.split()):
        return True
    return any(len(w) > 4 and w in condition_key for w in plan.name_key.split())


def customer_rng(seed: int, number: int) -> random.Random:
    """Each customer's own random stream: the data does not depend on chunks or workers."""
    return random.Random(f"pharmdesk-demo:{seed}:{number}")


def _ascii_word(text: str) -> str:
    return "".join(ch for ch in search_key(text) if ch.isalnum())


class _Generator:
    """Makes the rows of one chunk; every value passes the operations' field rules."""

    def __init__(self, job: ChunkJob) -> None:
        self.job = job
        self.rng = customer_rng(job.seed, job.first_id)
        names = load_json("demo-names.json")
        self.first_names: dict[str, list[str]] = names["firstNames"]
        self.surnames: dict[str, list[str]] = names["surnames"]
        self.origins = list(names["origins"])
        self.origin_weights = [int(names["origins"][o]) for o in self.origins]
        self.streets = [
            (street, area) for area, streets in names["lagosStreets"].items() for street in streets
        ]
        self.domains: list[str] = names["emailDomains"]
        self.conditions = _weighted(CONDITIONS)
        self.allergies = _weighted(ALLERGIES)
        self.start = job.now - HISTORY
        self.span = int(HISTORY.total_seconds())
        self.rows = ChunkRows()
        self.for_condition = {
            name: [p for p in job.plans if plan_matches(p, name)] for name, _ in CONDITIONS
        }

    # -- one customer ----------------------------------------------------------------------
    def run(self) -> ChunkRows:
        for number in range(self.job.first_id, self.job.first_id + self.job.count):
            self.rng = customer_rng(self.job.seed, number)
            self.customer(number)
        return self.rows

    def identity(self, rng: random.Random) -> tuple[bool, str, str, str]:
        """The first draws of a customer's stream: family flag, origin, surname, name."""
        family = rng.random() < FAMILY_SHARE
        origin = rng.choices(self.origins, self.origin_weights)[0]
        surname = rng.choice(self.surnames[origin])
        return family, origin, surname, self.name_for(rng, origin, surname)

    def household(self, number: int) -> tuple[str, int]:
        """Name and phone of customer ``number``: sometimes a relative of the previous
        customer, sharing their surname and phone (families share phones) but never their
        name (that would be a DUPLICATE). Decided from the two customers' own streams
        only, so chunking and workers cannot change it."""
        family, _origin, _surname, name = self.identity(self.rng)
        if not family or number == 1:
            return name, number
        head_family, head_origin, head_surname, head_name = self.identity(
            customer_rng(self.job.seed, number - 1)
        )
        if head_family:  # the previous customer is a relative of someone else: no chains
            return name, number
        relative = self.name_for(self.rng, head_origin, head_surname)
        if search_key(relative) == search_key(head_name):
            return name, number
        return relative, number - 1

    def moment_between(self, first: dt.datetime, last: dt.datetime) -> dt.datetime:
        seconds = max(0, int((last - first).total_seconds()))
        return first + dt.timedelta(seconds=self.rng.randint(0, seconds))

    def day_time(self, day: dt.date) -> dt.datetime:
        """A moment in branch opening hours (08:00-19:00 Lagos is 07:00-18:00 UTC)."""
        return dt.datetime.combine(day, dt.time(7)) + dt.timedelta(
            seconds=self.rng.randint(0, 11 * 3600 - 1)
        )

    def name_for(self, rng: random.Random, origin: str, surname: str) -> str:
        pool = self.first_names[origin] if rng.random() < 0.85 else self.first_names["other"]
        first = rng.choice(pool)
        parts = [first]
        if rng.random() < 0.15:
            middle = rng.choice(self.first_names[origin])
            if middle != first:
                parts.append(middle)
        parts.append(surname)
        raw = " ".join(parts)
        if rng.random() < 0.02:
            raw = f"  {raw.upper()} "  # typed in capitals with stray spaces
        return customer_name(raw)

    def customer(self, number: int) -> None:
        """One customer, with their allergies, conditions, plans and orders."""
        rng, job = self.rng, self.job
        name, phone_no = self.household(number)
        step = self.span / max(1, job.total)
        created = self.start + dt.timedelta(
            seconds=int((number - 1) * step) + rng.randint(0, max(0, int(step) - 1))
        )
        created = min(created, job.now)
        prefix, mid, last = demo_phone(phone_no, job.seed)
        phone = phone_e164(rng.choice(PHONE_FORMS).format(p=prefix, a=mid, b=last), REGION)
        email = None
        if rng.random() < 0.35:
            words = search_key(name).split()
            local = f"{_ascii_word(words[0])}.{_ascii_word(words[-1])}"
            if rng.random() < 0.6:
                local += str(rng.randint(1, 99))
            email = email_address(f"{local}@{rng.choice(self.domains)}")
        address = None
        if rng.random() < 0.85:
            street, area = rng.choice(self.streets)
            flat = f"Flat {rng.randint(1, 12)}, " if rng.random() < 0.2 else ""
            address = clean_text(f"{flat}{rng.randint(1, 180)} {street}, {area}, Lagos")
        birth = None
        if rng.random() < 0.9:
            birth = date_of_birth(
                dt.date(1938, 1, 1) + dt.timedelta(days=rng.randint(0, 72 * 365)), job.today
            )
        n_conditions = rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0]
        conditions = label_list(
            rng.choices(self.conditions[0], self.conditions[1], k=n_conditions),
            "medicalConditions",
        )
        roll = rng.random()
        allergies: list[str] = []
        if roll < 0.30:
            allergy_status = "unknown"  # not yet asked
        elif roll < 0.75:
            allergy_status = "noneKnown"
        else:
            allergy_status = "recorded"
            allergies = label_list(
                rng.choices(self.allergies[0], self.allergies[1], k=rng.choice((1, 1, 2))),
                "allergies",
            )
        asked = allergy_status != "unknown"
        consent = rng.random() < 0.3
        archived = rng.random() < 0.005 and number % HEAVY_EVERY != 3
        customer: dict[str, Any] = {
            "id": number,
            "name": name,
            "name_key": search_key(name),
            "phone": phone,
            "phone_search": phone_search_forms(phone),
            "email": email,
            "address": address,
            "date_of_birth": birth,
            "allergy_status": allergy_status,
            "allergies_confirmed_at": created if asked else None,
            "allergies_confirmed_by": DEMO_USER if asked else None,
            "notes": rng.choice(NOTES) if rng.random() < 0.1 else None,
            "marketing_consent": consent,
            "consent_recorded_at": created if consent else None,
            "consent_recorded_by": DEMO_USER if consent else None,
            "archived": archived,
            "version": 2 if archived else 1,
            "created_at": created,
            "updated_at": created,
        }
        for position, label in enumerate(allergies):
            self.rows.allergies.append(
                {
                    "customer_id": number,
                    "position": position,
                    "label": label,
                    "label_key": search_key(label),
                }
            )
        for position, label in enumerate(conditions):
            self.rows.conditions.append(
                {
                    "customer_id": number,
                    "position": position,
                    "label": label,
                    "label_key": search_key(label),
                }
            )
        if consent:
            self.rows.consents.append(
                {
                    "customer_id": number,
                    "consent": True,
                    "recorded_at": created,
                    "recorded_by": DEMO_USER,
                }
            )
        orders_start = len(self.rows.orders)
        active = self.subscriptions(number, created, conditions, allergies)
        self.walk_in_orders(number, created)
        completed = [o for o in self.rows.orders[orders_start:] if o["status"] == "completed"]
        customer["total_orders"] = len(completed)
        customer["total_spent"] = sum(o["total"] for o in completed)
        customer["last_order"] = max((o["ordered_at"] for o in completed), default=None)
        customer["active_plans"] = active
        if archived:
            customer["updated_at"] = self.moment_between(created, job.now)
        self.rows.customers.append(customer)

    # -- plans and orders ---------------------------------------------------------------------
    def pick_plans(self, conditions: list[str], allergies: list[str], count: int) -> list[Any]:
        usable = [p for p in self.job.plans if not self.conflicts(allergies, p)]
        chosen: list[CatalogPlan] = []
        for condition in conditions:
            matching = [p for p in self.for_condition[condition] if p in usable]
            if matching:
                chosen.append(self.pick(matching))
        while len(chosen) < count and usable:
            chosen.append(self.pick(usable))
        unique: list[CatalogPlan] = []
        for plan in chosen:
            if plan not in unique:
                unique.append(plan)
        return unique[:count]

    def pick(self, plans: list[CatalogPlan]) -> CatalogPlan:
        """Weekly packs are rarer than monthly refills."""
        return self.rng.choices(plans, [FREQUENCY_WEIGHT[p.frequency] for p in plans])[0]

    def conflicts(self, allergies: list[str], plan: CatalogPlan) -> bool:
        return plan_conflicts(tuple(allergies), plan.medications)

    def subscriptions(
        self, number: int, created: dt.datetime, conditions: list[str], allergies: list[str]
    ) -> int:
        rng, job = self.rng, self.job
        wanted = 0
        if conditions and rng.random() < 0.55:
            wanted = rng.choice((1, 1, 1, 1, 2, 2, 3))
        elif rng.random() < 0.06:
            wanted = 1
        if not wanted:
            return 0
        active = 0
        # Most enrollments are recent: a plan started within the last ~14 months.
        first_day = max((created + dt.timedelta(days=1)).date(), job.today - dt.timedelta(days=420))
        latest_start = job.today - dt.timedelta(days=3)
        for plan in self.pick_plans(conditions, allergies, wanted):
            if first_day > latest_start:
                start = job.today
            else:
                start = latest_start - dt.timedelta(
                    days=int((latest_start - first_day).days * rng.random() ** 1.5)
                )
            status = rng.choices(("active", "paused", "cancelled"), (80, 8, 12))[0]
            day = rng.choice(WEEKDAYS) if rng.random() < 0.5 else None
            local_id = len(self.rows.subscriptions)
            schedule, due = delivery_schedule(start, plan.frequency, day, job.today)
            deliveries = list(schedule)
            next_delivery: dt.date | None = None
            resume: dt.date | None = None
            if status == "active":
                active += 1
                next_delivery = due
                if deliveries and rng.random() < 0.15:
                    next_delivery = deliveries.pop()  # missed: overdue in the refill queue
            else:
                kept = rng.randint(len(deliveries) // 2, len(deliveries))
                if status == "paused":
                    # As pauseCustomerPlan leaves it: the cycle's next date, or the resume date.
                    next_delivery = deliveries[kept] if kept < len(deliveries) else due
                    if rng.random() < 0.5:
                        resume = job.today + dt.timedelta(days=rng.randint(7, 60))
                        next_delivery = max(next_delivery, on_weekday(resume, day))
                deliveries = deliveries[:kept]
            for index, delivery in enumerate(deliveries):
                when = min(self.day_time(delivery), job.now)
                state = "cancelled" if rng.random() < 0.03 else "completed"
                recent = when > job.now - dt.timedelta(days=2)
                if status == "active" and index == len(deliveries) - 1 and recent:
                    state = "pending"
                self.order(number, local_id, when, plan.price, state)
            enrolled = min(self.day_time(start), job.now)
            changed = enrolled
            if status != "active":
                changed = self.moment_between(enrolled, job.now)
            self.rows.subscriptions.append(
                {
                    "id": local_id,
                    "customer_id": number,
                    "plan_id": plan.id,
                    "plan_name": plan.name,
                    "medications": list(plan.medications),
                    "frequency": plan.frequency,
                    "price": plan.price,
                    "start_date": start,
                    "status": status,
                    "delivery_day": day,
                    "delivery_time": rng.choice(("morning", "afternoon", "evening", None)),
                    "next_delivery": next_delivery,
                    "resume_date": resume,
                    "created_at": enrolled,
                    "updated_at": changed,
                }
            )
            self.rows.sub_events.append(
                {
                    "subscription_id": local_id,
                    "at": enrolled,
                    "status": "active",
                    "by": DEMO_USER,
                    "reason": None,
                }
            )
            if status != "active":
                self.rows.sub_events.append(
                    {
                        "subscription_id": local_id,
                        "at": changed,
                        "status": status,
                        "by": DEMO_USER,
                        "reason": None,
                    }
                )
        return active

    def order(
        self, number: int, local_sub: int | None, when: dt.datetime, total: int, status: str
    ) -> None:
        self.rows.orders.append(
            {
                "customer_id": number,
                "subscription_id": local_sub,
                "ordered_at": when,
                "total": total,
                "status": status,
                "created_by": DEMO_USER,
                "created_at": when,
            }
        )

    def walk_in_orders(self, number: int, created: dt.datetime) -> None:
        rng, job = self.rng, self.job
        if number % HEAVY_EVERY == 3:
            count = rng.randint(185, 215)
        else:
            band = rng.choices((0, 1, 2, 3), (35, 42, 19, 4))[0]
            count = (0, rng.randint(1, 3), rng.randint(4, 8), rng.randint(9, 25))[band]
        first_day, days = created.date(), (job.today - created.date()).days
        pending_seen = False
        for _ in range(count):
            when = min(self.day_time(first_day + dt.timedelta(days=rng.randint(0, days))), job.now)
            when = max(when, created)
            status = rng.choices(("completed", "cancelled", "pending"), (92, 5, 3))[0]
            if status == "pending" and pending_seen:
                status = "completed"  # a real customer has at most one order still open
            if status == "pending":
                pending_seen = True
                when = self.moment_between(max(created, job.now - dt.timedelta(days=5)), job.now)
            self.order(number, None, when, rng.randint(8, 900) * 50, status)


def generate_chunk(job: ChunkJob) -> ChunkRows:
    """The rows of customers ``first_id .. first_id + count - 1``."""
    return _Generator(job).run()


def packed_chunk(job: ChunkJob) -> PackedChunk:
    """A generated chunk as driver tuples (what the worker processes run)."""
    return generate_chunk(job).pack()


# -- the database ----------------------------------------------------------------------------
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
    _insert(conn, _table(Plan), rows)
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


def _drop_indexes(conn: Connection) -> list[str]:
    """Drop the bulk-loaded tables' indexes, returning their exact SQL to rebuild them.

    Building an index once over sorted rows is far cheaper than updating it row by row
    in random order (a million names); the SQL comes from the database itself, so what is
    rebuilt is exactly what the migrations made.
    """
    names = sorted({bulk.table.name for bulk in BULK.values()})
    marks = ", ".join("?" for _ in names)
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        tuple(names),
    ).all()
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
    """An insert trigger set aside for the bulk load: its SQL, and its replay."""

    create_sql: str
    replay_sql: str


def _drop_insert_triggers(conn: Connection) -> list[DroppedTrigger]:
    """Drop the bulk-loaded tables' insert triggers that can be replayed afterwards.

    The demo fills a brand-new database, so the replay (over every row) inserts exactly
    what the triggers would have, once per row. Others (none today) stay and fire.
    """
    names = sorted({bulk.table.name for bulk in BULK.values()})
    marks = ", ".join("?" for _ in names)
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        tuple(names),
    ).all()
    quote = conn.engine.dialect.identifier_preparer.quote
    dropped = []
    for name, sql in rows:
        replay = replay_sql(str(sql))
        if replay is not None:
            conn.exec_driver_sql(f"DROP TRIGGER {quote(name)}")
            dropped.append(DroppedTrigger(str(sql), replay))
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
                triggers = _drop_insert_triggers(conn)
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
                    conn.exec_driver_sql(trigger.replay_sql)
                    conn.exec_driver_sql(trigger.create_sql)
                for sql in index_sql:
                    conn.exec_driver_sql(sql)
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
