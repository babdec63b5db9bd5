"""The branch server's kept search counts (``customer_search_count``, migration 0011):
after every kind of write to names and the archived flag, each one-word search's total
equals what the LIKE rules of API.md count, and the table equals a count made afresh.
Staff logins read it and cannot write it, even with ``psql``."""

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


def _kept(owner: psycopg.Connection) -> dict[str, int]:
    rows = owner.execute("SELECT token, listed FROM customer_search_count WHERE listed <> 0")
    return {str(token): int(listed) for token, listed in rows}


def _afresh(owner: psycopg.Connection) -> dict[str, int]:
    with owner.transaction():
        owner.execute("CREATE TEMPORARY TABLE fresh (LIKE customer_search_count)")
        fill = derived.SERVER_SEARCH_COUNT_FILL.replace("customer_search_count", "fresh")
        owner.execute(fill)  # type: ignore[arg-type]
        counted = {str(t): int(n) for t, n in owner.execute("SELECT token, listed FROM fresh")}
        owner.execute("DROP TABLE fresh")
    return counted


def _check(admin: DeskSession, owner: psycopg.Connection) -> None:
    for word in WORDS:
        total = admin.call("fetchCustomers", {"search": word})["total"]
        assert total == _like_count(owner, word), word
    assert _kept(owner) == _afresh(owner)


def test_kept_counts_follow_every_write_to_names_and_archiving(
    admin: DeskSession, owner: psycopg.Connection
) -> None:
    ids = [
        admin.call("addProviderCustomer", {"name": name, "phone": f"0803111{i:04d}"})["customerId"]
        for i, name in enumerate(NAMES)
    ]
    _check(admin, owner)
    assert _kept(owner)[""] == len(NAMES)

    version = admin.call("viewProviderCustomerDetails", {"customerId": ids[0]})["version"]
    admin.call(  # renamed: the old name's tokens go, the new one's come
        "updateProviderCustomer",
        {"customerId": ids[0], "expectedVersion": version, "name": "Bolaji Eze"},
    )
    admin.call("archiveCustomer", {"customerId": ids[1]})
    admin.call(
        "mergeCustomers",
        {"keepId": ids[4], "mergeId": ids[5], "reason": "the same person",
         "fields": dict.fromkeys(("name", "phone", "email", "address", "dateOfBirth"), "keep")},
    )  # fmt: skip
    admin.call("eraseCustomer", {"customerId": ids[6], "reason": "the customer asked"})
    _check(admin, owner)
    assert _kept(owner)[""] == len(NAMES) - 3  # archived, merged away, erased

    owner.execute("DELETE FROM customer WHERE id = %s", (int(ids[7].split("-")[1]),))
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
        assert conn.execute("SELECT count(*) FROM customer_search_count").fetchone() is not None
        for statement in (
            "UPDATE customer_search_count SET listed = 0",
            "DELETE FROM customer_search_count",
            "INSERT INTO customer_search_count VALUES ('zz', 5)",
            "TRUNCATE customer_search_count",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)  # type: ignore[arg-type]
