"""The indexes of migration 0003 are the ones SQLite picks (without ANALYZE statistics, as
at a branch), and the segment probes seek by customer instead of scanning a range."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from pharmdesk.controllers.segments.refills import refills_segment
from pharmdesk.controllers.segments.segment import show_page
from pharmdesk.controllers.session import DeskSession
from tests.controllers.test_segments import TODAY, new_customer, new_plan, subscribe

pytestmark = pytest.mark.single_pc("SQLite's query plans (PostgreSQL's: tests/server)")


def _plans(desk: DeskSession, run: Any, marker: str) -> list[str]:
    """The query plan of each statement ``run`` executes whose SQL holds ``marker``."""
    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: Any) -> None:
        if marker in statement and not statement.startswith("EXPLAIN"):
            seen.append((statement, params))

    event.listen(desk.db.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(desk.db.engine, "before_cursor_execute", capture)
    assert seen
    with desk.db.engine.connect() as conn:
        return [
            " | ".join(str(row[3]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", p))
            for sql, p in seen
        ]


def test_likely_duplicates_look_up_the_birth_date(admin: DeskSession) -> None:
    plans = _plans(
        admin,
        lambda: admin.call(
            "findLikelyDuplicates", {"name": "Ada Obi", "dateOfBirth": "1980-05-05"}
        ),
        "date_of_birth =",
    )
    assert all("USING INDEX ix_customer_birth" in plan for plan in plans), plans


def test_condition_segment_reads_the_condition_key_index(admin: DeskSession) -> None:
    admin.call(
        "addProviderCustomer",
        {"name": "Ada Obi", "phone": "08031234567", "medicalConditions": ["Diabetes Type 2"]},
    )
    plans = _plans(
        admin,
        lambda: admin.call("getCustomersByCondition", {"condition": "diabetes"}),
        "customer_condition",
    )
    assert any("ix_customer_condition_key" in plan for plan in plans), plans
    assert not any("SCAN customer_condition" in plan for plan in plans), plans


def test_the_refill_segment_is_a_range_of_the_first_refill_index(admin: DeskSession) -> None:
    """The page and its total read ix_customer_first_refill's range (migration 0008): no
    subscription is read to count or order the customers; only the page's own refills
    are looked up afterwards, by customer."""
    customer = new_customer(admin, "Ada Obi")
    subscribe(admin, customer, new_plan(admin, "Care Plan"), TODAY, "active")
    segment = refills_segment(7, TODAY)

    def run() -> None:
        with admin.db.transaction() as tx:
            show_page(tx, segment, 1, 20)
            show_page(tx, segment, 9, 20)  # past the end: the total on its own

    plans = _plans(admin, run, "first_refill")
    assert len(plans) == 3, plans  # page 1, the empty page 9, then its total alone
    for plan in plans:
        assert "INDEX ix_customer_first_refill (archived=? AND first_refill<?)" in plan, plan
        assert "subscription" not in plan and "SCAN" not in plan, plan
    lookups = _plans(admin, run, "FROM subscription")
    assert all("USING INDEX ix_subscription_customer" in plan for plan in lookups), lookups


def test_one_customers_due_pause_is_sought_by_customer(admin: DeskSession) -> None:
    """The probe that runs before a customer's subscriptions are read or changed (does a
    pause end today?) seeks the customer's few subscriptions, not every due pause of the
    branch (ix_subscription_resume)."""
    customer = new_customer(admin, "Ada Obi")
    subscribe(admin, customer, new_plan(admin, "Care Plan"), TODAY, "active")
    plans = _plans(
        admin,
        lambda: admin.call("listCustomerSubscriptions", {"customerId": customer}),
        "resume_date <=",
    )
    assert plans, "the probe ran"
    assert all("ix_subscription_customer" in plan for plan in plans), plans
