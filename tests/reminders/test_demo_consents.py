"""The demo branch has reminder consent, per-channel marketing consent and a spread of
languages, so the Outbox and the campaign audience per channel show something real."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER, create_demo
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import Customer
from tests.conftest import TEST_KDF


def test_the_demo_has_consents_and_languages(tmp_path: Path) -> None:
    files = DatabaseFiles(tmp_path / "demo.db")
    clock = FixedClock()
    create_demo(files, customers=300, clock=clock, kdf=TEST_KDF, workers=1)
    desk = sign_in(files, DEMO_USER, DEMO_PASSWORD, clock=clock, kdf=TEST_KDF)
    try:
        with desk.db.transaction() as tx:
            customers = list(tx.scalars(select(Customer)))
            agreed = [c.id for c in customers if c.marketing_consent]
            on_plans = [c.id for c in customers if c.active_plans and c.id % 10 < 6]
            languages = {c.language for c in customers}
        assert languages == {"en", "pcm", "yo", "ha", "ig"}
        got = desk.call("getConsents", {"customerId": f"CUST-{agreed[0]}"})
        marketing = [c for c in got["current"] if c["purpose"] == "marketing"]
        assert {(c["granted"], c["method"]) for c in marketing} == {(True, "form")}
        got = desk.call("getConsents", {"customerId": f"CUST-{on_plans[0]}"})
        sms = next(
            c for c in got["current"] if (c["purpose"], c["channel"]) == ("reminders", "sms")
        )
        assert (sms["granted"], sms["method"]) == (True, "written")
        answer = desk.call("queueReminders", {"days": 30, "channel": "sms"})
        assert answer["queued"] > 0 and answer["skippedNoConsent"] > 0
    finally:
        desk.close()
