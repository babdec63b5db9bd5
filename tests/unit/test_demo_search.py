"""The demo loads customers with the search index's insert trigger set aside and fills
the index once at the end: the index must then hold exactly what the trigger would have
put there, and the triggers must be back, as the migration made them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from pharmdesk import demo
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.demo import load as demo_load
from pharmdesk.paths import DatabaseFiles
from tests.unit.test_demo import build

TRIGGER = (
    "CREATE TRIGGER customer_search_insert AFTER INSERT ON customer\n"
    "    WHEN NEW.archived = 0\n    BEGIN\n        INSERT INTO customer_search (rowid, name, "
    "phone) VALUES (NEW.id, '  ' || replace(NEW.name_key, ' ', '  '), NEW.phone_search);\n"
    "    END"
)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> DatabaseFiles:
    return build(tmp_path_factory.mktemp("demo-search"), customers=400)


@pytest.fixture
def desk(demo_files: DatabaseFiles) -> Any:
    session = sign_in(demo_files, demo.DEMO_USER, demo.DEMO_PASSWORD, clock=FixedClock())
    yield session
    session.close()


def _rows(desk: DeskSession, sql: str, **params: Any) -> list[Any]:
    with desk.db.transaction() as tx:
        return list(tx.execute(text(sql), params).all())


def test_replay_of_the_insert_trigger() -> None:
    assert demo.replay_sql(TRIGGER) == (
        "INSERT INTO customer_search (rowid, name, phone) SELECT NEW.id, '  ' || "
        "replace(NEW.name_key, ' ', '  '), NEW.phone_search FROM customer AS NEW "
        "WHERE NEW.archived = 0"
    )
    assert demo.replay_sql(TRIGGER.replace("    WHEN NEW.archived = 0\n", "")) == (
        "INSERT INTO customer_search (rowid, name, phone) SELECT NEW.id, '  ' || "
        "replace(NEW.name_key, ' ', '  '), NEW.phone_search FROM customer AS NEW"
    )
    update = TRIGGER.replace("AFTER INSERT ON", "AFTER UPDATE ON")
    assert demo.replay_sql(update) is None
    two = TRIGGER.replace("    END", "        DELETE FROM x;\n    END")
    assert demo.replay_sql(two) is None


def test_the_triggers_are_back_as_the_migration_made_them(
    desk: DeskSession, db_files: DatabaseFiles
) -> None:
    fresh = sign_in(db_files, "admin", "correct horse staple battery 42")
    try:
        wanted = _rows(fresh, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    finally:
        fresh.close()
    got = _rows(desk, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    assert sorted(got) == sorted(wanted)
    assert {name for name, _sql in got} >= {
        "customer_search_insert",
        "customer_search_update",
        "customer_search_delete",
    }


def test_the_index_holds_every_listed_customer_once(desk: DeskSession) -> None:
    listed = _rows(desk, "SELECT count(*) FROM customer WHERE archived = 0")[0][0]
    archived = _rows(desk, "SELECT count(*) FROM customer WHERE archived = 1")[0][0]
    assert archived > 0
    fragment = _rows(
        desk,
        "SELECT substr(name_key, 2, 3) FROM customer WHERE archived = 0 "
        "AND instr(substr(name_key, 2, 3), ' ') = 0",
    )[0][0]
    indexed = _rows(
        desk,
        "SELECT count(*) FROM customer_search WHERE customer_search MATCH :q",
        q=f'name : "{fragment}"',
    )
    everyone = _rows(
        desk,
        "SELECT count(*) FROM customer WHERE archived = 0 AND name_key LIKE :like",
        like=f"%{fragment}%",
    )
    assert indexed == everyone
    assert everyone[0][0] > 0
    assert _rows(desk, "SELECT count(*) FROM customer_search")[0][0] == listed
    # every listed customer is found by its full name, archived ones never
    for number, name, is_archived in _rows(
        desk, "SELECT id, name, archived FROM customer WHERE id % 37 = 1 ORDER BY id"
    ):
        found = desk.call("fetchCustomers", {"search": name, "limit": 100})
        assert (f"CUST-{number}" in [row["id"] for row in found["customers"]]) is not bool(
            is_archived
        )
    assert listed == desk.call("fetchCustomers", {"limit": 1})["total"]


def test_a_known_demo_name_and_phone_are_found(desk: DeskSession) -> None:
    number, name, phone = _rows(
        desk, "SELECT id, name, phone FROM customer WHERE archived = 0 ORDER BY id DESC LIMIT 1"
    )[0]
    surname = name.split()[-1]
    found = desk.call("fetchCustomers", {"search": surname, "limit": 100})
    assert found["total"] >= 1
    by_name = desk.call("fetchCustomers", {"search": name})
    assert f"CUST-{number}" in [row["id"] for row in by_name["customers"]]
    by_phone = desk.call("fetchCustomers", {"search": "0" + phone[4:]})
    assert f"CUST-{number}" in [row["id"] for row in by_phone["customers"]]


def test_the_triggers_work_after_the_demo(desk: DeskSession) -> None:
    added = desk.call("addProviderCustomer", {"name": "Ngozi Quarshie", "phone": "08039990001"})
    customer = added["customerId"]
    assert [r["id"] for r in desk.call("fetchCustomers", {"search": "quarshie"})["customers"]] == [
        customer
    ]
    desk.call("updateProviderCustomer", {"customerId": customer, "name": "Ngozi Quaye"})
    assert desk.call("fetchCustomers", {"search": "quarshie"})["total"] == 0
    assert desk.call("fetchCustomers", {"search": "quaye"})["total"] == 1


def test_the_demo_leaves_no_trigger_behind_on_failure(tmp_path: Path, monkeypatch: Any) -> None:
    """A demo that fails after setting the triggers aside leaves no files at all."""

    def broken(*_args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_load, "_store_chunk", broken)
    with pytest.raises(RuntimeError):
        build(tmp_path, customers=10)
    assert not any(tmp_path.iterdir())


def test_the_fast_date_processors_store_what_the_column_types_store() -> None:
    import datetime as dt
    import random

    from pharmdesk.store.schema import Order, Subscription

    rng = random.Random(5)
    checked = 0
    for column in (Order.ordered_at, Subscription.start_date, Subscription.next_delivery):
        impl = column.type.dialect_impl(demo.DIALECT)
        fast = demo.fast_processor(impl)
        own = impl.bind_processor(demo.DIALECT)
        assert fast is not None and own is not None and fast is not own
        values: list[Any] = [None, dt.date(2026, 4, 18), dt.datetime(1, 1, 1)]
        for _ in range(500):
            moment = dt.datetime(1900, 1, 1) + dt.timedelta(
                seconds=rng.randint(0, 200 * 365 * 86400), microseconds=rng.choice((0, 1, 999999))
            )
            values += [moment, moment.date(), moment.replace(tzinfo=dt.UTC)]
        for value in values:
            assert fast(value) == own(value), value
            checked += 1
    assert checked == 3 * 1503
