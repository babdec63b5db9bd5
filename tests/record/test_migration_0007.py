"""Migration 0007 adds the completed record's tables and columns, and goes down and up
again on a database with customers in it: no table rebuilt, the search triggers kept."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from pharmdesk.controllers.session import DeskSession
from pharmdesk.store import migrate, upgrade
from tests.record.helpers import customer

TRIGGERS = {"customer_search_insert", "customer_search_update", "customer_search_delete"}


def _names(conn, kind: str) -> set[str]:  # type: ignore[no-untyped-def]
    return set(
        conn.execute(text("SELECT name FROM sqlite_master WHERE type = :t"), {"t": kind}).scalars()
    )


@pytest.mark.single_pc("SQLite's search triggers are what it checks")
def test_down_to_0006_and_up_again(admin: DeskSession) -> None:
    cid = customer(admin, "Ada Obi", "08031230001", allergies=["Penicillin"])
    other = customer(admin, "Ben Obi", "08031230002")
    admin.call("setPayer", {"customerId": cid, "payer": "Hygeia HMO", "memberId": "H-1"})
    admin.call(
        "addRelationship",
        {
            "customerId": cid,
            "relatedCustomerId": other,
            "kind": "spouse",
            "consentMethod": "verbal",
        },
    )
    engine = admin.db.engine
    config = migrate._config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
    with engine.begin() as conn:
        assert not {"customer_relationship", "customer_merge"} & _names(conn, "table")
        assert "payer" not in {c["name"] for c in inspect(conn).get_columns("customer")}
        assert _names(conn, "trigger") >= TRIGGERS
    upgrade.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.SCHEMA_HEAD
    with engine.begin() as conn:
        assert _names(conn, "trigger") >= TRIGGERS
        columns = {c["name"] for c in inspect(conn).get_columns("customer_order")}
        assert {"payer", "payer_share", "customer_share"} <= columns
    view = admin.call("viewProviderCustomerDetails", {"customerId": cid})
    assert view["allergies"] == ["Penicillin"]
    assert view["payer"] is None and view["relationships"] == []  # what 0007 held went down
    assert [c["id"] for c in admin.call("fetchCustomers", {"search": "ada obi"})["customers"]] == [
        cid
    ]
    admin.call("setPayer", {"customerId": cid, "payer": "cash"})
    assert admin.call("viewProviderCustomerDetails", {"customerId": cid})["payer"]["payer"] == (
        "cash"
    )
