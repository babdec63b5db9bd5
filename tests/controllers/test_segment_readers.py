"""The fast segment readers (``Segment.reader``) answer exactly what the segment's
defining query answers: the same total, the same rows in the same order on every page,
whichever plan the reader picks (walk the name index or read and sort the matches) and
however it counts (key by key, or distinct customers).

A seeded mix of customers: shared and overlapping conditions (two diabetes keys held by
the same people), equal names (the id decides), archived customers, and subscriptions
due before, on and after the horizon in every status, some due the same day.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import false, func, select

from pharmdesk.controllers.segments import campaign, lists
from pharmdesk.controllers.segments import condition as by_condition
from pharmdesk.controllers.segments.high_value import high_value_segment
from pharmdesk.controllers.segments.refills import refills_segment
from pharmdesk.controllers.segments.segment import Segment, show_page
from pharmdesk.controllers.session import DeskSession
from pharmdesk.store.schema import Customer
from tests.controllers.test_segments import TODAY, archive, new_customer, new_plan, subscribe

CONDITIONS = (
    "Diabetes Type 1",
    "Diabetes Type 2",
    "Asthma",
    "Hypertension",
    "Glaucoma",
    "Sickle cell disease",
    "Peptic ulcer",
    "Arthritis",
    "Depression",
    "Epilepsy",
)
NAMES = ("Ada Obi", "Bola Ade", "Chidi Eze", "Dayo Ojo", "Efe Ola", "Funke Bello")
STATUSES = ("active", "active", "active", "paused", "cancelled", "pending")


@pytest.fixture
def mixed(admin: DeskSession) -> DeskSession:
    rng = random.Random(2026)
    plans = [new_plan(admin, f"Care Plan {i}") for i in range(3)]
    for n in range(70):
        held = rng.sample(CONDITIONS, rng.choice((0, 1, 1, 2, 3)))
        if n % 5 == 0:
            held = ["Diabetes Type 1", "Diabetes Type 2", *held[:1]]
        customer = new_customer(
            admin, rng.choice(NAMES), list(dict.fromkeys(held)), consent=rng.random() < 0.5
        )
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            due = TODAY + dt.timedelta(days=rng.randint(-10, 20))
            subscribe(admin, customer, rng.choice(plans), due, rng.choice(STATUSES))
        if n % 9 == 4:
            archive(admin, customer)
    return admin


def _pages(
    desk: DeskSession, segment: Segment, limit: int, *, fast: bool, consented: bool
) -> Iterator[dict[str, Any]]:
    """Every page (and one past the end) by the reader, or by the defining query."""
    page = 1
    while True:
        with desk.db.transaction() as tx:
            answer = show_page(tx, segment, page, limit, consented_only=consented, fast=fast)
            if consented:
                answer["excluded"] = (
                    campaign.without_consent(tx, segment, answer["total"])
                    if fast
                    else _excluded_by_definition(tx, segment)
                )
        yield answer
        if not answer["customers"]:
            return
        page += 1


def _excluded_by_definition(tx: Any, segment: Segment) -> int:
    without = segment.query.where(Customer.marketing_consent == false())
    return int(tx.scalar(select(func.count()).select_from(without.order_by(None).subquery())))


def _same_answers(desk: DeskSession, segment: Segment) -> None:
    """Everyone, and the campaign audience (consented only, and how many were left out)."""
    assert segment.reader is not None
    for consented in (False, True):
        for limit in (1, 3, 7, 100):
            fast = list(_pages(desk, segment, limit, fast=True, consented=consented))
            slow = list(_pages(desk, segment, limit, fast=False, consented=consented))
            assert fast == slow
        assert slow[0]["total"] > 0


# (name, walk cost factor, keys counted apart): walk always, read the matches always,
# and the distinct count instead of key by key.
PLANS = [
    ("walk", 10**9, by_condition.MAX_KEYS_APART),
    ("matches", 0, by_condition.MAX_KEYS_APART),
    ("distinct", 3, 0),
]


def test_condition_reader_matches_the_definition(
    mixed: DeskSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _plan, cost, apart in PLANS:
        monkeypatch.setattr(by_condition, "MATCH_ROW_COST", cost)
        monkeypatch.setattr(by_condition, "MAX_KEYS_APART", apart)
        for condition in ("diabetes", "DIABETES TYPE", "a", "sickle", "ulcer"):
            _same_answers(mixed, by_condition.condition_segment(condition))


def test_condition_reader_with_no_matching_key(mixed: DeskSession) -> None:
    segment = by_condition.condition_segment("tuberculosis")
    with mixed.db.transaction() as tx:
        answer = show_page(tx, segment, 1, 20)
    assert answer == {"customers": [], "total": 0, "page": 1, "hasMore": False}


def test_overlapping_keys_count_each_customer_once(mixed: DeskSession) -> None:
    """Customers holding both diabetes keys are counted once, key by key or distinct."""
    answer = mixed.call("getCustomersByCondition", {"condition": "diabetes", "limit": 100})
    assert len(answer["customers"]) == answer["total"]
    assert len(set(row["id"] for row in answer["customers"])) == answer["total"]


def test_refills_reader_matches_the_definition(mixed: DeskSession) -> None:
    for days in (0, 3, 7, 20, 365):
        _same_answers(mixed, refills_segment(days, TODAY))


def test_high_value_reader_matches_the_definition(mixed: DeskSession) -> None:
    with mixed.db.transaction() as tx:
        for n, customer in enumerate(tx.scalars(select(Customer).order_by(Customer.id))):
            customer.total_spent = (n * 7919) % 13 * 1000  # ties: the name key, the id decide
    for min_spend in (0, 5000, 12000):
        _same_answers(mixed, high_value_segment(min_spend))


def test_the_operations_use_the_readers(
    mixed: DeskSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The segment operations page through the reader (not the defining query)."""
    used: list[tuple[int, int, bool]] = []
    condition = by_condition.condition_segment

    def counted(text: str) -> Segment:
        segment = condition(text)
        assert segment.reader is not None
        reader = segment.reader

        def read(conn: Any, offset: int, limit: int, consented: bool) -> tuple[int, list[Any]]:
            used.append((offset, limit, consented))
            return reader(conn, offset, limit, consented)

        return Segment(
            segment.name, segment.params, segment.query, segment.row, segment.enrich, read
        )

    monkeypatch.setattr(lists, "condition_segment", counted)
    monkeypatch.setattr(campaign, "condition_segment", counted)
    mixed.call("getCustomersByCondition", {"condition": "asthma", "page": 2, "limit": 2})
    assert used == [(2, 2, False)]
    used.clear()
    mixed.call(
        "getCampaignAudience",
        {"segment": "condition", "condition": "asthma", "page": 3, "limit": 2},
    )
    assert used == [(4, 2, True), (0, 0, False)]
