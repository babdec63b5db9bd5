"""The send run: claim the next message due on the channel (its consent checked at that
moment and the claim committed), hand it to the sender, record what happened. Every step
is an operation through the session, so roles, audit and transactions are the usual ones.

A kill between the claim and the answer leaves the message claimed: it is never sent
again by itself (``outbox.CLAIM_EXPIRES``), so nobody gets a reminder twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pharmdesk.controllers.reminders.outbox import QUEUED
from pharmdesk.senders.base import Sender, SendError
from pharmdesk.senders.gateway import HttpGateway
from pharmdesk.senders.modem import GsmModem


class Caller(Protocol):
    """Whatever runs operations for the signed-in person (a DeskSession, the GUI's desk)."""

    def call(self, operation: str, params: Any = None) -> dict[str, Any]: ...


@dataclass
class SendRun:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (the link went down)


def send_outbox(desk: Caller, sender: Sender, channel: str, limit: int = 500) -> SendRun:
    run = SendRun()
    for _ in range(limit):
        claimed = desk.call("claimOutboxMessage", {"channel": channel})
        run.withdrawn.extend(claimed["withdrawn"])
        message: dict[str, Any] | None = claimed["message"]
        if message is None:
            break
        try:
            reference = sender.send(message["to"], message["text"])
        except SendError as exc:
            status = QUEUED if exc.temporary else "failed"
            answer = desk.call(
                "updateMessageStatus",
                {"messageId": message["id"], "status": status, "detail": exc.message},
            )
            (run.retrying if answer["status"] == QUEUED else run.failed).append(message["id"])
            if exc.link_down:
                run.stopped = exc.message
                break
            continue
        desk.call(
            "updateMessageStatus",
            {"messageId": message["id"], "status": "sent", "detail": reference},
        )
        run.sent.append(message["id"])
    return run


def make_sender(settings: dict[str, Any]) -> Sender | None:
    """The automatic sender chosen in Settings; None for WhatsApp and CSV (by hand)."""
    chosen = settings.get("messageSender")
    if chosen == "modem" and settings.get("modemPort"):
        return GsmModem(settings["modemPort"], settings["modemBaud"])
    if chosen == "gateway" and settings.get("gatewayUrl"):
        return HttpGateway(
            settings["gatewayUrl"], settings["gatewayToken"], settings["gatewayFields"]
        )
    return None


def apply_modem_events(desk: Caller, modem: GsmModem) -> tuple[int, int]:
    """Delivery reports mark the newest sent SMS with that reference delivered (or
    failed); replies go through recordReply (STOP withdraws, HELP is logged)."""
    reports, replies = modem.poll()
    delivered = 0
    for report in reports:
        found = desk.call(
            "listOutbox",
            {"status": "sent", "channel": "sms", "reference": report.reference, "limit": 1},
        )["messages"]
        if found:
            desk.call(
                "updateMessageStatus",
                {
                    "messageId": found[0]["id"],
                    "status": "delivered" if report.delivered else "failed",
                    "detail": None
                    if report.delivered
                    else f"Not delivered (status {report.status})",
                },
            )
            delivered += report.delivered
    for reply in replies:
        desk.call("recordReply", {"phone": reply.phone, "text": reply.text[:480], "channel": "sms"})
    return delivered, len(replies)
