"""demo.py: realistic, deterministic demo data that obeys the operations' rules."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import select, text

from pharmdesk import demo
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.allergy_check import allergy_conflicts
from pharmdesk.controllers.passwords import check_new_password
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.controllers.validation import phone_e164, phone_search_forms, search_key
from pharmdesk.demo import load as demo_load
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.resources import load_json
from pharmdesk.store.schema import (
    AuditEntry,
    ConsentEvent,
    Customer,
    CustomerAllergy,
    CustomerCondition,
    Order,
    Plan,
    Subscription,
    SubscriptionEvent,
)
from pharmdesk.store.vault import KdfParams

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
CUSTOMERS = 1200  # ids 3 and 1000 are the heavy buyers


def build(folder: Path, customers: int = CUSTOMERS, seed: int = 7, **kw: Any) -> DatabaseFiles:
    files = DatabaseFiles(folder / "demo.db")
    demo.create_demo(
        files, customers=customers, seed=seed, clock=FixedClock(), kdf=FAST, workers=1, **kw
    )
    return files


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> DatabaseFiles:
    return build(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def desk(demo_files: DatabaseFiles) -> Any:
    session = sign_in(demo_files, demo.DEMO_USER, demo.DEMO_PASSWORD, clock=FixedClock())
    yield session
    session.close()


def rows(desk: DeskSession, sql: str) -> list[Any]:
    with desk.db.transaction() as tx:
        return list(tx.execute(text(sql)).all())


def test_the_demo_sign_in_is_a_valid_admin_password(desk: DeskSession):
    assert check_new_password(demo.DEMO_PASSWORD, username=demo.DEMO_USER)
    assert desk.staff.role == "admin"


def test_plans_are_the_catalog(desk: DeskSession):
    catalog = load_json("plan-catalog.json")
    with desk.db.transaction() as tx:
        plans = tx.scalars(select(Plan).order_by(Plan.id)).all()
        assert [(p.name, p.medications, p.frequency, p.price) for p in plans] == [
            (c["name"], c["medications"], c["frequency"], c["price"]) for c in catalog
        ]
        assert all(p.active for p in plans)


def test_every_value_is_normalised_as_the_operations_would(desk: DeskSession):
    with desk.db.transaction() as tx:
        customers = tx.scalars(select(Customer)).all()
        assert len(customers) == CUSTOMERS
        for c in customers:
            assert c.name == " ".join(c.name.split()) and 2 <= len(c.name) <= 120
            assert c.name_key == search_key(c.name)
            assert phone_e164(c.phone, "NG") == c.phone
            assert phonenumbers.is_valid_number(phonenumbers.parse(c.phone))
            assert c.phone.startswith("+234")
            assert c.phone_search == phone_search_forms(c.phone)
            assert c.email is None or ("@" in c.email and c.email == c.email.strip())
            assert c.address is None or c.address.endswith(", Lagos")
            assert c.date_of_birth is None or dt.date(1900, 1, 1) <= c.date_of_birth
            assert c.created_at <= dt.datetime(2026, 4, 18, 12)
        for allergy in tx.scalars(select(CustomerAllergy)).all():
            assert allergy.label_key == search_key(allergy.label)
        for condition in tx.scalars(select(CustomerCondition)).all():
            assert condition.label_key == search_key(condition.label)


def test_names_are_nigerian_and_some_carry_accents(desk: DeskSession):
    names = load_json("demo-names.json")
    surnames = {search_key(s) for group in names["surnames"].values() for s in group}
    with desk.db.transaction() as tx:
        keys = tx.scalars(select(Customer.name_key)).all()
        names_shown = tx.scalars(select(Customer.name)).all()
    assert all(key.split()[-1] in surnames for key in keys)
    assert any(not name.isascii() for name in names_shown)  # Adéwálé, Ọládipọ̀, ...
    assert all(key.isascii() for key in keys)


def test_no_duplicate_name_and_phone_but_families_share_phones(desk: DeskSession):
    pairs = rows(desk, "SELECT name_key, phone FROM customer")
    assert len(set(pairs)) == len(pairs)
    phones = Counter(phone for _, phone in pairs)
    assert any(count > 1 for count in phones.values())


def test_counters_match_the_orders_exactly(desk: DeskSession):
    mismatches = rows(
        desk,
        """
        SELECT c.id FROM customer c
        LEFT JOIN (
            SELECT customer_id, count(*) AS n, sum(total) AS spent, max(ordered_at) AS last
            FROM customer_order WHERE status = 'completed' GROUP BY customer_id
        ) o ON o.customer_id = c.id
        LEFT JOIN (
            SELECT customer_id, count(*) AS active FROM subscription
            WHERE status = 'active' GROUP BY customer_id
        ) s ON s.customer_id = c.id
        WHERE c.total_orders != coalesce(o.n, 0)
           OR c.total_spent != coalesce(o.spent, 0)
           OR coalesce(c.last_order, '') != coalesce(o.last, '')
           OR c.active_plans != coalesce(s.active, 0)
        """,
    )
    assert mismatches == []
    assert rows(desk, "SELECT count(*) FROM customer WHERE last_order IS NOT NULL")[0][0] > 0


def test_each_customers_first_refill_is_kept_and_the_triggers_are_back(desk: DeskSession):
    """The load sets the triggers aside; afterwards ``first_refill`` is each customer's
    earliest active delivery, and the triggers keep it from then on."""
    wrong = """
        SELECT c.id FROM customer c WHERE c.first_refill IS NOT (
            SELECT min(s.next_delivery) FROM subscription s
            WHERE s.customer_id = c.id AND s.status = 'active')
    """
    assert rows(desk, wrong) == []
    assert rows(desk, "SELECT count(*) FROM customer WHERE first_refill IS NOT NULL")[0][0] > 0
    names = {
        name for (name,) in rows(desk, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    assert {"subscription_first_refill_insert", "customer_search_update"} <= names


def test_a_few_customers_have_about_two_hundred_orders(desk: DeskSession):
    heavy = rows(
        desk,
        "SELECT customer_id, count(*) FROM customer_order GROUP BY customer_id "
        "HAVING count(*) >= 150 ORDER BY customer_id",
    )
    assert [customer for customer, _ in heavy] == [3, 1000]
    assert all(150 <= n <= 260 for _, n in heavy)


def test_allergy_statuses(desk: DeskSession):
    with desk.db.transaction() as tx:
        customers = tx.scalars(select(Customer)).all()
        with_rows = set(tx.scalars(select(CustomerAllergy.customer_id)).all())
    status = Counter(c.allergy_status for c in customers)
    assert set(status) == {"unknown", "noneKnown", "recorded"}
    for c in customers:
        assert (c.id in with_rows) == (c.allergy_status == "recorded")
        asked = c.allergy_status != "unknown"
        assert (c.allergies_confirmed_at is not None) == asked
        assert (c.allergies_confirmed_by == "demo") == asked


def test_marketing_consent_has_its_history(desk: DeskSession):
    with desk.db.transaction() as tx:
        consenting = tx.scalars(select(Customer).where(Customer.marketing_consent)).all()
        events = tx.scalars(select(ConsentEvent)).all()
    assert 0 < len(consenting) < CUSTOMERS
    assert {e.customer_id for e in events} == {c.id for c in consenting}
    assert all(c.consent_recorded_by == "demo" and c.consent_recorded_at for c in consenting)


def test_subscriptions_are_realistic(desk: DeskSession):
    today = dt.date(2026, 4, 18)
    with desk.db.transaction() as tx:
        subs = tx.scalars(select(Subscription)).all()
        plans = {p.id: p for p in tx.scalars(select(Plan))}
        allergies: dict[int, list[str]] = {}
        for row in tx.scalars(select(CustomerAllergy).order_by(CustomerAllergy.position)):
            allergies.setdefault(row.customer_id, []).append(row.label)
        events = Counter(e.subscription_id for e in tx.scalars(select(SubscriptionEvent)))
    status = Counter(s.status for s in subs)
    assert status["active"] > status["paused"] > 0 and status["cancelled"] > 0
    upcoming = [s.next_delivery for s in subs if s.status == "active"]
    assert None not in upcoming
    assert any(day < today for day in upcoming if day)  # overdue
    assert any(day > today + dt.timedelta(days=14) for day in upcoming if day)
    assert all(s.next_delivery is None for s in subs if s.status == "cancelled")
    assert all(s.next_delivery is not None for s in subs if s.status == "paused")
    for s in subs:
        plan = plans[s.plan_id]
        assert (s.plan_name, s.medications, s.frequency, s.price) == (
            plan.name, plan.medications, plan.frequency, plan.price,
        )  # fmt: skip
        assert s.start_date <= today
        assert not allergy_conflicts(allergies.get(s.customer_id, []), s.medications)
        assert events[s.id] == (1 if s.status == "active" else 2)
    enrolled = Counter((s.customer_id, s.plan_id) for s in subs if s.status != "cancelled")
    assert max(enrolled.values()) == 1  # never ALREADY_ENROLLED


def test_orders_are_in_the_past_and_linked(desk: DeskSession):
    with desk.db.transaction() as tx:
        orders = tx.scalars(select(Order)).all()
        subs = {s.id: s.customer_id for s in tx.scalars(select(Subscription))}
        created = dict(tx.execute(select(Customer.id, Customer.created_at)).all())
    assert {o.status for o in orders} == {"completed", "cancelled", "pending"}
    for o in orders:
        assert o.ordered_at <= dt.datetime(2026, 4, 18, 12)
        assert o.ordered_at >= created[o.customer_id]
        assert o.total >= 0
        if o.subscription_id is not None:
            assert subs[o.subscription_id] == o.customer_id


def test_the_audit_log_is_short_and_verifies(desk: DeskSession):
    with desk.db.transaction() as tx:
        actions = tx.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        detail = tx.scalar(select(AuditEntry.detail).where(AuditEntry.action == "import"))
    assert actions[:3] == ["staff", "signIn", "import"]
    assert json.loads(detail or "{}")["customers"] == CUSTOMERS
    answer = desk.call("verifyAuditLog")
    assert answer["ok"] is True


def test_search_and_lists_work_on_the_demo(desk: DeskSession):
    everyone = desk.call("fetchCustomers", {"limit": 100})
    archived = rows(desk, "SELECT count(*) FROM customer WHERE archived")[0][0]
    assert everyone["total"] == CUSTOMERS - archived
    first = everyone["customers"][0]
    found = desk.call("fetchCustomers", {"search": first["name"]})
    assert first["id"] in [c["id"] for c in found["customers"]]
    by_phone = desk.call("fetchCustomers", {"search": "0" + first["phone"][4:]})
    assert first["id"] in [c["id"] for c in by_phone["customers"]]
    refills = desk.call("getCustomersWithUpcomingRefills", {"days": 7})
    assert refills["total"] > 0


def test_indexes_are_rebuilt_exactly(desk: DeskSession, db_files: DatabaseFiles):
    expected = sign_in(db_files, "admin", "correct horse staple battery 42")
    try:
        wanted = rows(expected, "SELECT name, sql FROM sqlite_master WHERE type = 'index'")
    finally:
        expected.close()
    assert sorted(rows(desk, "SELECT name, sql FROM sqlite_master WHERE type = 'index'")) == (
        sorted(wanted)
    )


def table_dump(files: DatabaseFiles) -> dict[str, list[Any]]:
    session = sign_in(files, demo.DEMO_USER, demo.DEMO_PASSWORD, clock=FixedClock())
    try:
        dump = {}
        for table in ("customer", "customer_order", "subscription", "customer_allergy"):
            dump[table] = rows(session, f"SELECT * FROM {table} ORDER BY id")
        return dump
    finally:
        session.close()


def test_the_same_seed_gives_the_same_data(tmp_path: Path, monkeypatch):
    first = table_dump(build(tmp_path / "a", customers=300))
    monkeypatch.setattr(demo_load, "CHUNK", 70)  # chunking does not change the data
    again = table_dump(build(tmp_path / "b", customers=300))
    other = table_dump(build(tmp_path / "c", customers=300, seed=8))
    assert first == again
    assert first["customer"] != other["customer"]


def test_worker_processes_give_the_same_data(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(demo_load, "CHUNK", 100)
    single = table_dump(build(tmp_path / "a", customers=250))
    files = DatabaseFiles(tmp_path / "b" / "demo.db")
    demo.create_demo(files, customers=250, seed=7, clock=FixedClock(), kdf=FAST, workers=2)
    assert table_dump(files) == single


def test_progress_is_reported(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(demo_load, "CHUNK", 50)
    seen: list[demo.DemoProgress] = []
    build(tmp_path, customers=120, progress=seen.append)
    creating = [p.done for p in seen if p.stage == "Creating customers"]
    assert creating == [0, 50, 100, 120]
    assert seen[-1] == demo.DemoProgress("Done", 120, 120)


def test_refuses_an_existing_database(demo_files: DatabaseFiles):
    before = demo_files.db.stat().st_mtime_ns
    with pytest.raises(PharmDeskError) as caught:
        demo.create_demo(demo_files, customers=5, kdf=FAST)
    assert caught.value.field == "db"
    assert demo_files.db.stat().st_mtime_ns == before


@pytest.mark.parametrize("count", [0, -1, demo.MAX_CUSTOMERS + 1])
def test_refuses_a_bad_count(tmp_path: Path, count: int):
    with pytest.raises(PharmDeskError) as caught:
        demo.create_demo(DatabaseFiles(tmp_path / "d.db"), customers=count, kdf=FAST)
    assert caught.value.field == "customers"
    assert list(tmp_path.iterdir()) == []


def test_a_failure_half_way_leaves_no_files(tmp_path: Path, monkeypatch):
    def broken(*_args: Any) -> None:
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(demo_load, "_store_chunk", broken)
    with pytest.raises(RuntimeError):
        build(tmp_path, customers=10)
    assert list(tmp_path.iterdir()) == []


def test_a_broken_catalog_is_refused(tmp_path: Path):
    with pytest.raises(PharmDeskError):
        build(tmp_path, customers=5, catalog=[{"name": "X", "medications": [],
                                                "frequency": "daily", "price": 1}])  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_demo_phones_are_distinct_and_valid():
    numbers = [demo.demo_phone(n, 2026) for n in range(1, 200_001)]
    assert len(set(numbers)) == len(numbers)
    for prefix, mid, last in numbers[:2000]:
        assert phonenumbers.is_valid_number(phonenumbers.parse(f"0{prefix}{mid}{last}", "NG"))
