"""Several desks at once on one branch server: five desk processes, each signed in as its
own staff member, search, view, create, update (with ``expectedVersion``), enrol and
record orders for about ten seconds. No error but the expected CONFLICTs, no lost update,
every acknowledged write is there, and one valid audit chain names the right people.

The mix and its check are ``tests/bench/desks.py`` (``python -m tests.bench.desks``
runs it for 60 seconds and prints the latencies)."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy.engine import make_url

from pharmdesk.controllers.session import DeskSession
from pharmdesk.paths import DatabaseFiles
from tests import pg_server
from tests.bench import desks

DESKS = 5
SECONDS = 10.0


@pytest.fixture
def store() -> str:
    return "postgresql"


def test_five_desks_at_once_lose_nothing_and_keep_one_chain(
    admin: DeskSession, db_files: DatabaseFiles, pg: pg_server.PgServer
) -> None:
    assert db_files.server is not None
    owner = pg.url(str(make_url(db_files.server).database))
    tag = 417
    prepared = desks.prepare(admin, DESKS, tag)
    after = desks.audit_head(owner)

    results, _took = desks.run_desks(db_files, prepared, SECONDS, 2026, desks.MIX_KDF)

    assert len({r["user"] for r in results}) == DESKS
    problems = desks.check(owner, prepared, results, after)
    assert problems == []
    verified = admin.call("verifyAuditLog", {})
    assert verified["ok"] is True, verified
    report = desks.MixReport(results, problems, SECONDS, verified["checked"])
    # Every kind of call happened, and the shared customers were really fought over.
    assert all(report.latencies()[name] for name, _weight in desks.MIX)
    assert len(report.acknowledged("updates")) >= DESKS
    assert len({u["user"] for u in report.acknowledged("updates")}) == DESKS

    # The check finds a lost update, a write the database lacks and a wrong name.
    lost = copy.deepcopy(results)
    for desk in lost:
        if desk["updates"]:
            desk["updates"].pop()
            desk["calls"]["updateProviderCustomer"] -= 1
            break
    assert any("acknowledged updates" in p for p in desks.check(owner, prepared, lost, after))
    missing = copy.deepcopy(results)
    missing[0]["created"].append(
        {"customerId": "CUST-999999", "name": "Nobody Here", "phone": "07039999999"}
    )
    assert any("CUST-999999" in p for p in desks.check(owner, prepared, missing, after))
    renamed = copy.deepcopy(results)
    first, second = renamed[0], renamed[1]
    first["orders"], second["orders"] = second["orders"], first["orders"]
    first["calls"], second["calls"] = second["calls"], first["calls"]
    found = desks.check(owner, prepared, renamed, after)
    assert any("recorded by" in p or "order entry" in p for p in found)
