"""A state machine over grant, withdraw, STOP, queue, send (through a sender that
succeeds, fails for a passing reason, is refused, loses the line or breaks), time passing
and refill: no reminder is ever queued or sent without the customer's consent on that
channel at that moment, and none is sent twice for one due date."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.reminders.sending import SendRun, attempt, claim_next, record_outcome
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import CONFLICT, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.senders.base import SendError
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reminders.helpers import messages

PHONES = ("08032220001", "08032220002")
# Two customers share the first phone (a family); the third has the second.
CUSTOMERS = (("Ada Obi", PHONES[0]), ("Ben Obi", PHONES[0]), ("Chi Eze", PHONES[1]))
CHANNELS = ("sms", "whatsapp")
customers = st.integers(0, len(CUSTOMERS) - 1)
channels = st.sampled_from(CHANNELS)


class ConsentMachine(RuleBasedStateMachine):
    template: DatabaseFiles

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="consent-machine-"))
        files = DatabaseFiles(self.folder / "pharmdesk.db")
        for source, dest in zip(self.template.all_files(), files.all_files(), strict=True):
            if source.exists():
                shutil.copy2(source, dest)
        self.clock = FixedClock()
        self.desk: DeskSession = sign_in(
            files, ADMIN, ADMIN_PASSWORD, clock=self.clock, sleep=lambda _s: None, kdf=TEST_KDF
        )
        plan = self.desk.call(
            "addPlan",
            {
                "name": "BP Care",
                "medications": ["Amlodipine 5mg"],
                "frequency": "weekly",
                "price": 1,
            },
        )["planId"]
        self.ids: list[str] = []
        self.subs: list[str] = []
        for name, phone in CUSTOMERS:
            cust = self.desk.call("addProviderCustomer", {"name": name, "phone": phone})[
                "customerId"
            ]
            self.ids.append(cust)
            self.subs.append(
                self.desk.call("addCustomerPlan", {"customerId": cust, "planId": plan})[
                    "subscriptionId"
                ]
            )
        self.consent: dict[tuple[str, str], bool] = {}
        self.sent: set[tuple[int, Any]] = set()
        # A branch where some already agreed: the first queue has something to send, so
        # short runs reach withdraw-while-queued and send too.
        self._set(0, "sms", True)
        self._set(2, "whatsapp", True)

    def teardown(self) -> None:
        self.desk.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _set(self, who: int, channel: str, granted: bool) -> None:
        self.desk.call(
            "setConsent",
            {
                "customerId": self.ids[who],
                "purpose": "reminders",
                "channel": channel,
                "granted": granted,
                "method": "verbal",
            },
        )
        self.consent[self.ids[who], channel] = granted

    @rule(who=customers, channel=channels)
    def grant(self, who: int, channel: str) -> None:
        self._set(who, channel, True)

    @rule(who=customers, channel=channels)
    def withdraw(self, who: int, channel: str) -> None:
        self._set(who, channel, False)

    @rule(data=st.data())
    def withdraw_while_a_reminder_waits(self, data: st.DataObject) -> None:
        """The customer says "no more texts" while their reminder is in the queue (the
        case the check at send time is for)."""
        waiting = [m for m in messages(self.desk) if m.status == "queued"]
        if not waiting:
            return
        m = data.draw(st.sampled_from(waiting))
        self._set(self.ids.index(f"CUST-{m.customer_id}"), m.channel, False)

    @rule(
        phone=st.sampled_from(PHONES),
        channel=channels,
        word=st.sampled_from(["STOP", "stop all", "Quit"]),
    )
    def stop(self, phone: str, channel: str, word: str) -> None:
        answer = self.desk.call("recordReply", {"phone": phone, "text": word, "channel": channel})
        assert answer["action"] == "optOut"
        for i, (_name, own) in enumerate(CUSTOMERS):
            if own == phone:
                self.consent[self.ids[i], channel] = False

    @rule(channel=channels, days=st.integers(0, 10))
    def queue(self, channel: str, days: int) -> None:
        before = {m.id for m in messages(self.desk)}
        self.desk.call("queueReminders", {"days": days, "channel": channel})
        for m in messages(self.desk):
            if m.id not in before:
                assert self.consent.get((f"CUST-{m.customer_id}", channel), False), (
                    "queued without consent"
                )

    @rule(channel=channels)
    def send(self, channel: str) -> None:
        claimed = self.desk.call("claimOutboxMessage", {"channel": channel})["message"]
        if claimed is None:
            return
        assert self.consent.get((claimed["customerId"], channel), False), "sent without consent"
        key = (claimed["customerId"], claimed["dueDate"])
        assert key not in self.sent, "sent twice for one due date"
        self.sent.add(key)
        self.desk.call("updateMessageStatus", {"messageId": claimed["id"], "status": "sent"})

    @rule(channel=channels, result=st.sampled_from(["ok", "retry", "refused", "link", "crash"]))
    def send_through_a_sender(self, channel: str, result: str) -> None:
        """The steps a send run takes (the window's worker too): claim, hand the text to
        a sender that answers as told, record the outcome."""
        run = SendRun()
        message = claim_next(self.desk, channel, run)
        if message is None:
            return
        assert self.consent.get((message["customerId"], channel), False), "sent without consent"
        sender = _Scripted(result)
        outcome = attempt(sender, message)
        record_outcome(self.desk, message, outcome, run)
        (row,) = [m for m in messages(self.desk) if f"MSG-{m.id}" == message["id"]]
        assert row.claimed_at is None
        if result == "ok":
            key = (message["customerId"], message["dueDate"])
            assert key not in self.sent, "sent twice for one due date"
            self.sent.add(key)
            assert row.status == "sent"
        elif result in ("retry", "link"):
            assert row.status in ("queued", "failed")  # failed after the fifth try
        else:  # refused, or it may have gone out: never tried again by itself
            assert row.status == "failed"

    @rule(minutes=st.sampled_from([1, 5, 61]))
    def time_passes(self, minutes: int) -> None:
        """Retries come due (1, 2, 4... minutes after a passing failure)."""
        self.clock.advance(minutes=minutes)

    @rule()
    def mark_whatsapp_sent_by_hand(self) -> None:
        waiting = [
            m for m in messages(self.desk) if m.status == "queued" and m.channel == "whatsapp"
        ]
        if not waiting:
            return
        m = waiting[0]
        who = f"CUST-{m.customer_id}"
        try:
            self.desk.call("updateMessageStatus", {"messageId": f"MSG-{m.id}", "status": "sent"})
        except PharmDeskError as exc:
            assert exc.code == CONFLICT
            assert not self.consent.get((who, "whatsapp"), False)
            self.desk.call("updateMessageStatus", {"messageId": f"MSG-{m.id}", "status": "failed"})
            return
        assert self.consent.get((who, "whatsapp"), False), "marked sent without consent"
        assert (who, m.due_date.isoformat()) not in self.sent
        self.sent.add((who, m.due_date.isoformat()))

    @rule(who=customers)
    def refill(self, who: int) -> None:
        """The customer collects: the plan's next delivery moves on a week."""
        self.desk.call(
            "recordOrder",
            {"customerId": self.ids[who], "total": 1, "subscriptionId": self.subs[who]},
        )

    @invariant()
    def never_twice(self) -> None:
        keys = [(m.customer_id, m.purpose, m.due_date) for m in messages(self.desk)]
        assert len(keys) == len(set(keys))


class _Scripted:
    """A sender that answers as the rule says: sends, fails for a passing reason, is
    refused, loses the line, or breaks after the text may have gone."""

    def __init__(self, result: str) -> None:
        self.result = result

    def send(self, _to: str, _text: str) -> str | None:
        if self.result == "retry":
            raise SendError("no signal", temporary=True)
        if self.result == "refused":
            raise SendError("refused", temporary=False)
        if self.result == "link":
            raise SendError("modem gone", temporary=True, link_down=True)
        if self.result == "crash":
            raise OSError("port vanished")
        return "ref-1"

    def close(self) -> None:
        return None


@pytest.mark.slow
def test_no_reminder_without_consent_at_that_moment(template_db: DatabaseFiles) -> None:
    ConsentMachine.template = template_db
    run_state_machine_as_test(
        ConsentMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
