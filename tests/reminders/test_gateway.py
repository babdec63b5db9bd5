"""The HTTP gateway sender against a fake provider on 127.0.0.1, and the send run through
the outbox: offline, failing, slow, refusing, then succeeding; retries wait their turn."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from pharmdesk.controllers.reminders.sending import make_sender, send_outbox
from pharmdesk.controllers.session import DeskSession
from pharmdesk.senders.base import SendError
from pharmdesk.senders.gateway import HttpGateway
from tests.reminders.fake_gateway import FakeGateway
from tests.reminders.helpers import customer, enroll, grant, messages, plan

FIELDS = {"to": "msisdn", "text": "body", "reference": "clientRef"}


@pytest.fixture
def provider() -> Iterator[FakeGateway]:
    fake = FakeGateway()
    yield fake
    fake.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_message_is_posted_with_the_providers_field_names(provider: FakeGateway) -> None:
    gateway = HttpGateway(provider.url, "tok-123", FIELDS, timeout=1)
    assert gateway.send("+2348031234567", "Hello Ada", "MSG-7") == "gw-1"
    assert provider.received == [
        ({"msisdn": "+2348031234567", "body": "Hello Ada", "clientRef": "MSG-7"}, "Bearer tok-123")
    ]


@pytest.mark.parametrize(
    ("mode", "temporary", "words"),
    [("fail", True, "503"), ("reject", False, "400"), ("slow", True, "could not be reached")],
)
def test_failures(provider: FakeGateway, mode: str, temporary: bool, words: str) -> None:
    provider.mode = mode
    gateway = HttpGateway(provider.url, "tok-123", FIELDS, timeout=0.5)
    with pytest.raises(SendError) as info:
        gateway.send("+2348031234567", "Hello Ada")
    assert info.value.temporary is temporary
    assert words in info.value.message
    assert "tok-123" not in info.value.message and "+234" not in info.value.message


def test_offline_is_temporary() -> None:
    gateway = HttpGateway(f"http://127.0.0.1:{free_port()}/send", None, FIELDS, timeout=0.5)
    with pytest.raises(SendError) as info:
        gateway.send("+2348031234567", "Hello")
    assert info.value.temporary and info.value.link_down


def queue_three(desk: DeskSession) -> None:
    bp = plan(desk)
    for i in range(3):
        cust = customer(desk, f"Customer {chr(65 + i)}", f"0803222{3000 + i}")
        grant(desk, cust, "sms")
        enroll(desk, cust, bp, 1)
    desk.call("queueReminders", {"days": 2, "channel": "sms"})


def test_the_send_run_waits_out_an_outage_then_sends_each_once(
    admin: DeskSession, provider: FakeGateway, clock
) -> None:
    queue_three(admin)
    admin.call(
        "updateSettings",
        {
            "messageSender": "gateway",
            "gatewayUrl": provider.url,
            "gatewayToken": "tok-123",
            "gatewayFields": FIELDS,
        },
    )
    sender = make_sender(admin.settings())
    assert isinstance(sender, HttpGateway)
    provider.mode = "fail"
    run = send_outbox(admin, sender, "sms")
    # The provider is down: the first message waits for its retry, the run stops there.
    assert (run.sent, run.retrying, run.stopped is not None) == ([], ["MSG-1"], True)
    provider.mode = "ok"
    run = send_outbox(admin, sender, "sms")
    assert run.sent == ["MSG-2", "MSG-3"]  # MSG-1 waits its minute
    assert send_outbox(admin, sender, "sms").sent == []
    clock.advance(minutes=1)
    assert send_outbox(admin, sender, "sms").sent == ["MSG-1"]
    assert [r[0]["msisdn"] for r in provider.received] == [
        "+2348032223001",
        "+2348032223002",
        "+2348032223000",
    ]
    assert [(m.status, m.attempts, m.provider_ref) for m in messages(admin)] == [
        ("sent", 2, "gw-3"),
        ("sent", 1, "gw-1"),
        ("sent", 1, "gw-2"),
    ]


def test_a_refused_message_fails_and_the_run_goes_on(
    admin: DeskSession, provider: FakeGateway
) -> None:
    queue_three(admin)
    provider.mode = "reject"
    run = send_outbox(admin, HttpGateway(provider.url, None, FIELDS, timeout=1), "sms")
    assert run.failed == ["MSG-1", "MSG-2", "MSG-3"] and run.stopped is None
    assert {m.status for m in messages(admin)} == {"failed"}
