"""``customer.first_refill`` (migration 0008) is kept by the database: after any mix of
enrollments, reviews, pauses, resumes, cancellations, orders, merges and their undo,
erasure and archiving, it is each customer's earliest active next delivery; and the
migration fills it in for the subscriptions a branch already had."""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.store import migrate

REFUSALS = ("CONFLICT", "VALIDATION_ERROR", "NOT_FOUND", "ARCHIVED", "ALREADY_ENROLLED")
REASON = "Same person registered twice at the counter"
WRONG = """
    SELECT c.id, c.first_refill FROM customer AS c
    WHERE c.first_refill IS DISTINCT FROM (
        SELECT min(s.next_delivery) FROM subscription AS s
        WHERE s.customer_id = c.id AND s.status = 'active'
    )
"""


def _triggers(conn: Any) -> list[str]:
    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    return [name for (name,) in conn.execute(text(query))]


def _wrong(desk: DeskSession) -> list[Any]:
    with desk.db.engine.connect() as conn:
        return list(conn.execute(text(WRONG)).all())


def _plan(desk: DeskSession, name: str, frequency: str) -> str:
    answer = desk.call(
        "addPlan",
        {"name": name, "medications": ["Metformin 500mg"], "frequency": frequency, "price": 9000},
    )
    return str(answer["planId"])


class Branch:
    """A random branch day, one public operation at a time."""

    def __init__(self, admin: DeskSession, rng: random.Random) -> None:
        self.admin, self.rng = admin, rng
        self.plans = [
            _plan(admin, "Diabetes Care", "monthly"),
            _plan(admin, "Pressure Care", "weekly"),
            _plan(admin, "Asthma Care", "quarterly"),
        ]
        self.customers: list[str] = []
        self.subscriptions: list[str] = []
        self.merges: list[str] = []
        self.orders: list[str] = []
        self.phones = iter(range(1000, 9999))

    def _pick(self, items: list[str]) -> str | None:
        return self.rng.choice(items) if items else None

    def add_customer(self) -> None:
        answer = self.admin.call(
            "addProviderCustomer",
            {"name": f"Ada Obi {len(self.customers)}", "phone": f"0803000{next(self.phones)}"},
        )
        self.customers.append(answer["customerId"])

    def enroll(self, who: str | None = None) -> None:
        who = who or self._pick(self.customers)
        if who is None:
            return
        start = dt.date(2026, 4, 18) + dt.timedelta(days=self.rng.randint(0, 40))
        answer = self.admin.call(
            "addCustomerPlan",
            {"customerId": who, "planId": self.rng.choice(self.plans), "startDate": str(start)},
        )
        self.subscriptions.append(answer["subscriptionId"])

    def change_plan(self) -> None:
        sub = self._pick(self.subscriptions)
        if sub is None:
            return
        name = self.rng.choice(
            ["pauseCustomerPlan", "resumeCustomerPlan", "cancelCustomerPlan", "reviewCustomerPlan"]
        )
        params: dict[str, Any] = {"subscriptionId": sub}
        if name == "reviewCustomerPlan":
            params |= {"approve": self.rng.random() < 0.7, "reason": "Checked with the patient"}
        self.admin.call(name, params)

    def order(self) -> None:
        sub = self._pick(self.subscriptions)
        if sub is None:
            return
        owner = self._owner(sub)
        answer = self.admin.call(
            "recordOrder",
            {"customerId": owner, "total": 9000, "subscriptionId": sub,
             "status": self.rng.choice(["completed", "pending"])},
        )  # fmt: skip
        self.orders.append(answer["orderId"])

    def order_status(self) -> None:
        order = self._pick(self.orders)
        if order is not None:
            status = self.rng.choice(["completed", "cancelled", "pending"])
            self.admin.call("updateOrderStatus", {"orderId": order, "status": status})

    def merge(self) -> None:
        if len(self.customers) < 2:
            return
        keep, other = self.rng.sample(self.customers, 2)
        answer = self.admin.call(
            "mergeCustomers", {"keepId": keep, "mergeId": other, "reason": REASON}
        )
        self.merges.append(answer["mergeId"])

    def undo(self) -> None:
        if self.merges:
            merge = self.merges.pop(self.rng.randrange(len(self.merges)))
            self.admin.call("undoMerge", {"mergeId": merge, "reason": "Not the same person"})

    def erase_or_archive(self) -> None:
        who = self._pick(self.customers)
        if who is None:
            return
        if self.rng.random() < 0.5:
            self.admin.call("archiveCustomer", {"customerId": who})
        else:
            self.admin.call("eraseCustomer", {"customerId": who, "reason": "The customer asked"})

    def _owner(self, sub: str) -> str:
        with self.admin.db.engine.connect() as conn:
            number = conn.execute(
                text("SELECT customer_id FROM subscription WHERE id = :id"),
                {"id": int(sub.split("-")[1])},
            ).scalar_one()
        return f"CUST-{number}"

    def step(self) -> None:
        actions = [
            (self.add_customer, 3),
            (self.enroll, 5),
            (self.change_plan, 5),
            (self.order, 4),
            (self.order_status, 2),
            (self.merge, 1),
            (self.undo, 1),
            (self.erase_or_archive, 1),
        ]
        action = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
        try:
            action()
        except PharmDeskError as exc:
            # Refusals (a change that does not fit, a merged or erased record) are part of
            # a real day; a refused operation wrote nothing.
            assert exc.code in REFUSALS, exc.code


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_write_keeps_each_customers_first_refill(admin: DeskSession, seed: int) -> None:
    branch = Branch(admin, random.Random(seed))
    for _ in range(6):
        branch.add_customer()
    for _ in range(120):
        branch.step()
        assert _wrong(admin) == []
    with admin.db.engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM customer WHERE first_refill IS NOT NULL"))
        assert kept.scalar_one() > 0  # the day did leave refills due


def test_the_migration_fills_it_in_and_goes_down_and_up(admin: DeskSession) -> None:
    branch = Branch(admin, random.Random(7))
    for _ in range(8):
        branch.add_customer()
    for who in branch.customers * 3:
        try:
            branch.enroll(who)
        except PharmDeskError as exc:  # the same plan drawn twice
            assert exc.code == "ALREADY_ENROLLED"
    engine = admin.db.engine
    config = migrate._config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    with engine.begin() as conn:
        columns = [c["name"] for c in inspect(conn).get_columns("customer")]
        assert "first_refill" not in columns
        assert not [t for t in _triggers(conn) if "first_refill" in t]
    with engine.begin() as conn:  # the chain itself (the pre-upgrade backup has its tests)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert _wrong(admin) == []
    with engine.connect() as conn:
        filled = conn.execute(text("SELECT count(*) FROM customer WHERE first_refill IS NOT NULL"))
        assert filled.scalar_one() == 8
    with engine.connect() as conn:
        assert [t for t in _triggers(conn) if "first_refill" in t]
    branch.add_customer()
    branch.enroll(branch.customers[-1])  # the triggers are back
    assert _wrong(admin) == []


def _migration_0008() -> Any:
    path = migrate.MIGRATIONS / "versions" / "0008_first_refill.py"
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _query_plan(conn: Any, sql: str) -> str:
    return " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))


@pytest.mark.single_pc("SQLite's query plans on a file without ANALYZE statistics")
def test_the_triggers_read_only_the_customers_own_subscriptions(admin: DeskSession) -> None:
    """A branch's file has no ANALYZE statistics: SQLite would read the first due refill
    through the (status, ...) covering index, every active subscription of the branch for
    each write (and the backfill would take hours at a million). The triggers name the
    (customer_id, status) index; the backfill groups the subscriptions in one pass."""
    m = _migration_0008()
    with admin.db.engine.connect() as conn:
        unhinted = _query_plan(conn, "SELECT " + m.FIRST_DUE.format(who="1", hint=""))
        hinted = _query_plan(conn, "SELECT " + m.FIRST_DUE.format(who="1", hint=m.SQLITE_HINT))
        triggers = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%first_refill%'"
        ).all()
        backfill = _query_plan(conn, m.BACKFILL)
    assert "ix_subscription_customer" not in unhinted  # why the hint is there
    assert "ix_subscription_customer (customer_id=? AND status=?)" in hinted
    assert len(triggers) == 3
    assert all(m.SQLITE_HINT.strip() in sql for (sql,) in triggers)
    assert "CORRELATED" not in backfill and "SCAN due" in backfill
