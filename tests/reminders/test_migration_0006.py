"""Migration 0006 carries the single marketing consent into per-channel consent, with
the who and when of each earlier change, and adds the language (English) to everyone."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from pharmdesk.controllers.session import DeskSession
from pharmdesk.store import migrate, upgrade
from tests.reminders.test_consent import current


@pytest.mark.single_pc("migration 0006 on a file branches had before the server existed")
def test_marketing_consent_is_carried_over_per_channel(admin: DeskSession, clock) -> None:
    agreed = admin.call(
        "addProviderCustomer", {"name": "Ada Obi", "phone": "08031230001", "marketingConsent": True}
    )["customerId"]
    clock.advance(days=1)
    withdrawn = admin.call(
        "addProviderCustomer", {"name": "Ben Uko", "phone": "08031230002", "marketingConsent": True}
    )["customerId"]
    admin.call("setMarketingConsent", {"customerId": withdrawn, "consent": False})
    never = admin.call("addProviderCustomer", {"name": "Cy Eze", "phone": "08031230003"})[
        "customerId"
    ]
    engine = admin.db.engine
    config = migrate._config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
    with engine.begin() as conn:
        tables = set(
            conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars()
        )
        assert "consent_record" not in tables
        # A consent recorded before events were kept: only the customer row knows it.
        conn.execute(text("DELETE FROM consent_event WHERE customer_id = 1"))
    upgrade.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.SCHEMA_HEAD

    ada = current(admin, agreed)
    for channel in ("sms", "whatsapp", "email", "call"):
        assert ada["marketing", channel]["granted"] is True
        assert ada["marketing", channel]["method"] == "legacy"
        assert ada["marketing", channel]["recordedBy"] == "admin"
        assert ada["marketing", channel]["recordedAt"] == "2026-04-18T12:00:00Z"
        assert ada["reminders", channel]["granted"] is False
    ben = admin.call("getConsents", {"customerId": withdrawn})
    assert {c["granted"] for c in ben["current"] if c["purpose"] == "marketing"} == {False}
    # Both changes survive, on every channel, newest first.
    assert [h["granted"] for h in ben["history"]] == [False] * 4 + [True] * 4
    assert {h["channel"] for h in ben["history"][:4]} == {"sms", "whatsapp", "email", "call"}
    assert all(h["recordedAt"] == "2026-04-19T12:00:00Z" for h in ben["history"])
    assert admin.call("getConsents", {"customerId": never})["history"] == []
    assert admin.call("viewProviderCustomerDetails", {"customerId": never})["language"] == "en"
