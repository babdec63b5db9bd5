"""queueReminders, listOutbox, claimOutboxMessage, updateMessageStatus: who gets a
reminder, in which words, never twice, consent checked again at send, retries with
backoff, interrupted sends never repeated, and the audit."""

from __future__ import annotations

import pytest

from pharmdesk.controllers.reminders.outbox import INTERRUPTED, WITHDRAWN
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import CONFLICT, NOT_FOUND, VALIDATION_ERROR
from tests.reminders.helpers import (
    customer,
    enroll,
    entries,
    grant,
    messages,
    plan,
    refused,
    withdraw,
)


@pytest.fixture
def branch(admin: DeskSession) -> DeskSession:
    admin.call("updateSettings", {"branchName": "Lekki Branch", "branchPhone": "0701 234 5678"})
    return admin


def test_queue_one_message_per_customer_and_due_date(branch: DeskSession) -> None:
    bp, diabetes = plan(branch, "Hypertension Care"), plan(branch, "Diabetes Monthly")
    ada = customer(branch, "Adaeze Okafor", "08031110001")
    grant(branch, ada, "sms")
    enroll(branch, ada, bp, 3)
    enroll(branch, ada, diabetes, 3)  # same day: one message naming both plans
    bola = customer(branch, "Bola Ade", "08031110002")  # no consent
    enroll(branch, bola, bp, 2)
    late = customer(branch, "Chidi Eze", "08031110003")
    grant(branch, late, "sms")
    enroll(branch, late, bp, 9)  # outside the week
    whatsapp_only = customer(branch, "Dayo Ola", "08031110004")
    grant(branch, whatsapp_only, "whatsapp")
    enroll(branch, whatsapp_only, bp, 1)
    gone = customer(branch, "Efe Ola", "08031110005")
    grant(branch, gone, "sms")
    enroll(branch, gone, bp, 1)
    branch.call("archiveCustomer", {"customerId": gone})

    answer = branch.call("queueReminders", {"days": 7, "channel": "sms"})
    assert answer == {"queued": 1, "skippedNoConsent": 2, "skippedAlreadyQueued": 0}
    (msg,) = messages(branch)
    assert (msg.customer_id, msg.channel, msg.status, msg.phone) == (
        1,
        "sms",
        "queued",
        "+2348031110001",
    )
    assert msg.body == (
        "Hello Adaeze, your Hypertension Care, Diabetes Monthly refill is due on 21/04/2026 "
        "at Lekki Branch. Questions: +2347012345678. Reply STOP to end these reminders."
    )
    # Never twice, whichever channel asks next.
    again = branch.call("queueReminders", {"days": 7, "channel": "sms"})
    assert again == {"queued": 0, "skippedNoConsent": 2, "skippedAlreadyQueued": 1}
    by_whatsapp = branch.call("queueReminders", {"days": 7, "channel": "whatsapp"})
    assert by_whatsapp == {"queued": 1, "skippedNoConsent": 1, "skippedAlreadyQueued": 1}
    (_entry, detail), *_ = entries(branch, "message")
    assert detail["kind"] == "queue" and detail["queued"] == 1 and detail["first"] == "MSG-1"


def test_queue_writes_in_the_customers_language(branch: DeskSession) -> None:
    bp = plan(branch)
    yo = customer(branch, "Adéwálé Ògúnbíyì", "08031110006", language="yo")
    ha = customer(branch, "Musa Ƙabir", "08031110007", language="ha")
    for who in (yo, ha):
        grant(branch, who, "whatsapp")
        enroll(branch, who, bp, 0)
    branch.call("queueReminders", {"days": 0, "channel": "whatsapp"})
    first, second = messages(branch)
    assert first.language == "yo" and first.body.startswith("Ẹ n lẹ́ o Adéwálé.")
    assert "18/04/2026" in first.body and "Lekki Branch" in first.body
    assert second.body.startswith("Sannu Musa.")
    error = refused(branch, "updateProviderCustomer", {"customerId": yo, "language": "fr"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "language")


def test_the_branch_copy_of_a_template_is_used(branch: DeskSession) -> None:
    bp = plan(branch)
    cust = customer(branch, "Ada Obi", "08031110008")
    grant(branch, cust, "sms")
    enroll(branch, cust, bp, 1)
    branch.call(
        "updateSettings",
        {
            "reminderTemplates": {
                "reminders": {"en": "{firstName}: {plan} due {dueDate}. {branchPhone}"}
            }
        },
    )
    branch.call("queueReminders", {"days": 1, "channel": "sms"})
    (msg,) = messages(branch)
    assert msg.body == "Ada: Hypertension Care due 19/04/2026. +2347012345678"
    error = refused(
        branch, "updateSettings", {"reminderTemplates": {"reminders": {"en": "Hi {name}"}}}
    )
    assert (error.code, error.field) == (VALIDATION_ERROR, "reminderTemplates")
    assert "{name}" in error.message
    error = refused(branch, "updateSettings", {"reminderTemplates": {"reminders": {"en": "Hi {"}}})
    assert error.field == "reminderTemplates"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 31, "channel": "sms"}, "days"),
        ({"days": -1, "channel": "sms"}, "days"),
        ({"days": "7", "channel": "sms"}, "days"),
        ({"days": 7, "channel": "email"}, "channel"),
        ({"channel": "sms"}, "days"),
    ],
)
def test_queue_validation(admin: DeskSession, params: dict, field: str) -> None:
    error = refused(admin, "queueReminders", params)
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert messages(admin) == []


def queued_for(desk: DeskSession, n: int, channel: str = "sms") -> list[str]:
    bp = plan(desk)
    made = []
    for i in range(n):
        cust = customer(desk, f"Customer {chr(65 + i)}", f"0803111{2000 + i}")
        grant(desk, cust, channel)
        enroll(desk, cust, bp, 1)
        made.append(cust)
    desk.call("queueReminders", {"days": 2, "channel": channel})
    return made


def test_list_outbox_filters_pages_and_audits(frontdesk: DeskSession, admin: DeskSession) -> None:
    made = queued_for(admin, 3)
    page = frontdesk.call("listOutbox", {"limit": 2})
    assert (page["total"], page["hasMore"]) == (3, True)
    assert [m["id"] for m in page["messages"]] == ["MSG-3", "MSG-2"]
    first = page["messages"][0]
    assert first["customerId"] == made[2] and first["customerName"] == "Customer C"
    assert (first["status"], first["attempts"], first["segments"], first["encoding"]) == (
        "queued",
        0,
        1,
        "GSM-7",
    )
    assert frontdesk.call("listOutbox", {"page": 2, "limit": 2})["messages"][0]["id"] == "MSG-1"
    assert frontdesk.call("listOutbox", {"status": "sent"})["total"] == 0
    log = frontdesk.call("listOutbox", {"customerId": made[0]})
    assert [m["id"] for m in log["messages"]] == ["MSG-1"]
    ((_entry, detail),) = [e for e in entries(admin, "message") if e[1]["kind"] == "list"][-1:]
    assert detail["customerIds"] == [made[0]]
    error = refused(frontdesk, "listOutbox", {"status": "lost"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "status")


def test_claim_send_deliver(admin: DeskSession) -> None:
    queued_for(admin, 1)
    claimed = admin.call("claimOutboxMessage", {"channel": "sms"})
    msg = claimed["message"]
    assert (msg["id"], msg["attempts"], msg["claimed"]) == ("MSG-1", 1, True)
    # Claimed: nobody else gets it.
    assert admin.call("claimOutboxMessage", {"channel": "sms"})["message"] is None
    admin.call("updateMessageStatus", {"messageId": "MSG-1", "status": "sent", "detail": "ref-77"})
    admin.call("updateMessageStatus", {"messageId": "MSG-1", "status": "delivered"})
    (row,) = messages(admin)
    assert (row.status, row.provider_ref, row.claimed_at) == ("delivered", "ref-77", None)
    assert row.sent_at is not None and row.delivered_at is not None
    kinds = [d["kind"] for _e, d in entries(admin, "message")]
    assert kinds[-3:] == ["send", "status", "status"]


def test_status_errors(admin: DeskSession) -> None:
    queued_for(admin, 1)
    error = refused(admin, "updateMessageStatus", {"messageId": "MSG-1", "status": "delivered"})
    assert (error.code, error.field) == (CONFLICT, "status")
    assert (
        refused(admin, "updateMessageStatus", {"messageId": "MSG-9", "status": "sent"}).code
        == NOT_FOUND
    )
    error = refused(admin, "updateMessageStatus", {"messageId": "CUST-1", "status": "sent"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "messageId")
    error = refused(admin, "claimOutboxMessage", {"channel": "sms", "messageId": "MSG-9"})
    assert error.code == NOT_FOUND
    assert messages(admin)[0].status == "queued"


def test_consent_is_checked_again_at_send(admin: DeskSession) -> None:
    first, second = queued_for(admin, 2)
    withdraw(admin, first, "sms")
    claimed = admin.call("claimOutboxMessage", {"channel": "sms"})
    assert claimed["withdrawn"] == ["MSG-1"]
    assert claimed["message"]["customerId"] == second
    one, _two = messages(admin)
    assert (one.status, one.last_detail, one.attempts) == ("failed", WITHDRAWN, 0)
    # A message failed for lack of consent is not claimed again.
    admin.call("updateMessageStatus", {"messageId": "MSG-2", "status": "sent"})
    assert admin.call("claimOutboxMessage", {"channel": "sms"}) == {
        "message": None,
        "withdrawn": [],
    }


def test_marking_a_whatsapp_message_sent_checks_consent(admin: DeskSession) -> None:
    (cust,) = queued_for(admin, 1, "whatsapp")
    withdraw(admin, cust, "whatsapp")
    error = refused(admin, "updateMessageStatus", {"messageId": "MSG-1", "status": "sent"})
    assert error.code == CONFLICT and "withdrawn" in error.message
    assert messages(admin)[0].status == "queued"
    grant(admin, cust, "whatsapp")
    admin.call("updateMessageStatus", {"messageId": "MSG-1", "status": "sent"})
    assert (messages(admin)[0].status, messages(admin)[0].attempts) == ("sent", 1)


def test_retries_back_off_then_give_up(admin: DeskSession, clock) -> None:
    queued_for(admin, 1)
    waits = []
    for _attempt in range(5):
        assert admin.call("claimOutboxMessage", {"channel": "sms"})["message"]["id"] == "MSG-1"
        admin.call(
            "updateMessageStatus",
            {"messageId": "MSG-1", "status": "queued", "detail": "No network"},
        )
        row = messages(admin)[0]
        if row.status == "failed":
            break
        waits.append(row.next_attempt_at - clock.moment.replace(tzinfo=None))
        # Not before its time.
        assert admin.call("claimOutboxMessage", {"channel": "sms"})["message"] is None
        clock.advance(seconds=waits[-1].total_seconds())
    assert [w.total_seconds() / 60 for w in waits] == [1, 2, 4, 8]
    row = messages(admin)[0]
    assert (row.status, row.attempts) == ("failed", 5)
    assert row.last_detail.startswith("Gave up after 5 attempts")
    # Staff may queue it again by hand.
    admin.call("updateMessageStatus", {"messageId": "MSG-1", "status": "queued"})
    assert admin.call("claimOutboxMessage", {"channel": "sms"})["message"]["id"] == "MSG-1"


def test_an_interrupted_send_is_never_repeated_by_itself(admin: DeskSession, clock) -> None:
    queued_for(admin, 1)
    admin.call("claimOutboxMessage", {"channel": "sms"})  # ...and the PC loses power
    clock.advance(minutes=5)
    assert admin.call("claimOutboxMessage", {"channel": "sms"})["message"] is None
    clock.advance(minutes=6)
    assert admin.call("claimOutboxMessage", {"channel": "sms"})["message"] is None
    (row,) = messages(admin)
    assert (row.status, row.last_detail, row.attempts) == ("failed", INTERRUPTED, 1)
