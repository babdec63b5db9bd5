"""The branch server's kept counts (migration 0011: ``customer_search_count``,
``customer_condition_count``): after every kind of write to names, conditions and the
archived flag, each one-word search's total equals what the LIKE rules of API.md count,
each condition segment's total what its definition counts, and both tables equal counts
made afresh. Staff logins read them and cannot write them, even with ``psql``."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql

from pharmdesk.controllers.customers.search import search_condition
from pharmdesk.controllers.session import DeskSession
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import derived, pg_roles
from pharmdesk.store.schema import Customer
from tests import pg_server

NAMES = (
    "Adewale Okafor",
    "Ada  O'Neil",  # two spaces, an apostrophe
    "Ngozi Adeyemi-Bello",  # a hyphen: "bello" is not the start of a name word
    "Émeka Ọkọ Adé",  # accents: the name key is folded
    "Ola Ade",
    "Bo Li",
    "Tolu Oladipo",
    "Kemi 100% Pure_Ade",  # LIKE's own wildcards, as plain characters
)
CONDITIONS = (
    ["Diabetes type 2"],
    ["Diabetes type 1", "Diabetes type 2"],  # one customer, two matching keys
    ["Asthma"],
    [],
    ["Hypertension", "Diabetes type 2"],
    ["Asthma", "Diabetes type 1"],
    ["Hypertension"],
    [],
)
SEGMENT_WORDS = ("diabetes", "type", "asthma", "hyper", "1", "zzz")
WORDS = ("", "a", "o", "b", "e", "ad", "ol", "ok", "be", "pu", "ade", "ola", "kaf", "o'n",
         "-be", "0%", "e_a", "%", "_", "zzz", "ọ")  # fmt: skip


@pytest.fixture
def store() -> str:
    return "postgresql"


@pytest.fixture
def owner(db_files: DatabaseFiles, pg: pg_server.PgServer) -> Iterator[psycopg.Connection]:
    assert db_files.server is not None
    name = urlsplit(db_files.server).path.lstrip("/")
    with psycopg.connect(
        host=str(pg.sockets), port=pg.port, user=pg_server.SUPERUSER, dbname=name,
        autocommit=True,
    ) as conn:  # fmt: skip
        yield conn


def _like_count(owner: psycopg.Connection, word: str) -> int:
    """Listed customers matching ``word`` by the LIKE rules (the definition)."""
    query = select(func.count()).select_from(Customer).where(Customer.archived.is_(False))
    if word:
        query = query.where(search_condition(word))
    compiled = query.compile(dialect=postgresql.psycopg.dialect())  # type: ignore[attr-defined]
    row = owner.execute(compiled.string, compiled.params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def _segment_count(owner: psycopg.Connection, word: str) -> int:
    row = owner.execute(
        "SELECT count(*) FROM customer c WHERE NOT c.archived AND EXISTS (SELECT 1 FROM "
        "customer_condition k WHERE k.customer_id = c.id AND k.label_key LIKE %s)",
        (f"%{word}%",),
    ).fetchone()
    assert row is not None
    return int(row[0])


KEPT = {  # table: (its key column, the fill that counts it afresh)
    "customer_search_count": ("token", derived.SERVER_SEARCH_COUNT_FILL),
    "customer_condition_count": ("label_key", derived.SERVER_CONDITION_COUNT_FILL),
}


def _kept(owner: psycopg.Connection, table: str) -> dict[str, int]:
    key, _fill = KEPT[table]
    rows = owner.execute(f"SELECT {key}, listed FROM {table} WHERE listed <> 0")  # type: ignore[arg-type]
    return {str(token): int(listed) for token, listed in rows}


def _afresh(owner: psycopg.Connection, table: str) -> dict[str, int]:
    key, fill = KEPT[table]
    with owner.transaction():
        owner.execute(f"CREATE TEMPORARY TABLE fresh (LIKE {table})")  # type: ignore[arg-type]
        owner.execute(fill.replace(f"INTO {table}", "INTO fresh"))  # type: ignore[arg-type]
        counted = {str(t): int(n) for t, n in owner.execute(f"SELECT {key}, listed FROM fresh")}  # type: ignore[arg-type]
        owner.execute("DROP TABLE fresh")
    return counted


def _check(admin: DeskSession, owner: psycopg.Connection) -> None:
    for word in WORDS:
        total = admin.call("fetchCustomers", {"search": word})["total"]
        assert total == _like_count(owner, word), word
    for word in SEGMENT_WORDS:
        total = admin.call("getCustomersByCondition", {"condition": word})["total"]
        assert total == _segment_count(owner, word), word
    for table in KEPT:
        assert _kept(owner, table) == _afresh(owner, table), table


def test_kept_counts_follow_every_write_to_names_and_archiving(
    admin: DeskSession, owner: psycopg.Connection
) -> None:
    ids = [
        admin.call(
            "addProviderCustomer",
            {"name": name, "phone": f"0803111{i:04d}", "medicalConditions": conditions},
        )["customerId"]
        for i, (name, conditions) in enumerate(zip(NAMES, CONDITIONS, strict=True))
    ]
    _check(admin, owner)
    assert _kept(owner, "customer_search_count")[""] == len(NAMES)
    assert _kept(owner, "customer_condition_count")["diabetes type 2"] == 3

    version = admin.call("viewProviderCustomerDetails", {"customerId": ids[0]})["version"]
    admin.call(  # renamed, conditions changed: the old tokens and keys go, the new come
        "updateProviderCustomer",
        {"customerId": ids[0], "expectedVersion": version, "name": "Bolaji Eze",
         "medicalConditions": ["Asthma", "Hypertension"]},
    )  # fmt: skip
    admin.call("archiveCustomer", {"customerId": ids[1]})
    admin.call(
        "mergeCustomers",
        {"keepId": ids[4], "mergeId": ids[5], "reason": "the same person",
         "fields": dict.fromkeys(("name", "phone", "email", "address", "dateOfBirth"), "keep")},
    )  # fmt: skip
    admin.call("eraseCustomer", {"customerId": ids[6], "reason": "the customer asked"})
    _check(admin, owner)
    assert _kept(owner, "customer_search_count")[""] == len(NAMES) - 3  # archived, merged, erased

    last = int(ids[7].split("-")[1])
    owner.execute("DELETE FROM customer WHERE id = %s", (last,))
    owner.execute(  # a condition row moved to another customer, renamed on the way
        "UPDATE customer_condition SET customer_id = %s, label_key = 'asthma (severe)' "
        "WHERE id = (SELECT min(id) FROM customer_condition WHERE customer_id = %s)",
        (int(ids[2].split("-")[1]), int(ids[4].split("-")[1])),
    )
    admin.call("archiveCustomer", {"customerId": ids[2]})
    _check(admin, owner)


@pytest.mark.parametrize("role", ["frontdesk", "admin"])
def test_staff_logins_read_the_counts_and_cannot_write_them(
    db_files: DatabaseFiles, pg: pg_server.PgServer, owner: psycopg.Connection, role: str
) -> None:
    assert db_files.server is not None
    name = urlsplit(db_files.server).path.lstrip("/")
    login = pg_roles.login_role(name, f"counts{role}")
    group = pg_roles.group_role(name, role)
    password = "a login made by the test itself 1"
    owner.execute(f'CREATE ROLE "{login}" LOGIN PASSWORD \'{password}\' IN ROLE "{group}"')  # type: ignore[arg-type]
    with psycopg.connect(
        host=str(pg.sockets), port=pg.port, user=login, dbname=name, autocommit=True,
        password=password,
    ) as conn:  # fmt: skip
        for table in KEPT:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() is not None  # type: ignore[arg-type]
            for statement in (
                f"UPDATE {table} SET listed = 0",
                f"DELETE FROM {table}",
                f"INSERT INTO {table} VALUES ('zz', 5)",
                f"TRUNCATE {table}",
            ):
                with pytest.raises(errors.InsufficientPrivilege):
                    conn.execute(statement)  # type: ignore[arg-type]
