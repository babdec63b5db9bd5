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

The parts: ``constants`` (what the demo is, the catalog, progress and result),
``generate`` (rows from a seed, pure), ``bulk`` (rows stored as the ORM would, fast) and
``load`` (``create_demo``: the database, the workers, the bulk load).
"""

from __future__ import annotations

from pharmdesk.demo.bulk import DIALECT, fast_processor
from pharmdesk.demo.constants import (
    ALLERGIES,
    CHUNK,
    CONDITIONS,
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    DEMO_BRANCH,
    DEMO_FULL_NAME,
    DEMO_PASSWORD,
    DEMO_USER,
    FAMILY_SHARE,
    FREQUENCY_WEIGHT,
    HEAVY_EVERY,
    HISTORY,
    MAX_CUSTOMERS,
    MOBILE_PREFIXES,
    NOTES,
    PHONE_FORMS,
    PHONE_MULTIPLIER,
    REGION,
    CatalogPlan,
    DemoProgress,
    DemoResult,
    ProgressCallback,
    catalog_plans,
)
from pharmdesk.demo.draws import demo_phone
from pharmdesk.demo.generate import generate_chunk, packed_chunk
from pharmdesk.demo.load import create_demo, default_workers, replay_sql

__all__ = [
    "ALLERGIES",
    "CHUNK",
    "CONDITIONS",
    "DEFAULT_CUSTOMERS",
    "DEFAULT_SEED",
    "DEMO_BRANCH",
    "DEMO_FULL_NAME",
    "DEMO_PASSWORD",
    "DEMO_USER",
    "DIALECT",
    "FAMILY_SHARE",
    "FREQUENCY_WEIGHT",
    "HEAVY_EVERY",
    "HISTORY",
    "MAX_CUSTOMERS",
    "MOBILE_PREFIXES",
    "NOTES",
    "PHONE_FORMS",
    "PHONE_MULTIPLIER",
    "REGION",
    "CatalogPlan",
    "DemoProgress",
    "DemoResult",
    "ProgressCallback",
    "catalog_plans",
    "create_demo",
    "default_workers",
    "demo_phone",
    "fast_processor",
    "generate_chunk",
    "packed_chunk",
    "replay_sql",
]
