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
from pharmdesk.senders.modem import DeliveryReport, GsmModem, Reply


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


SEND_LIMIT = 500  # messages per run: a run ends, and staff see where it got to


# What a sender's attempt came to: the network's reference (or None) when it went out,
# or the SendError that says why not.
Outcome = str | SendError | None
UNEXPECTED = (
    "Sending stopped with an unexpected error ({name}); it is not known whether the "
    "message went out. It will not be sent again by itself; check with the customer."
)


def claim_next(desk: Caller, channel: str, run: SendRun) -> dict[str, Any] | None:
    """The next message due on ``channel``, claimed (its consent checked now), or None."""
    claimed = desk.call("claimOutboxMessage", {"channel": channel})
    run.withdrawn.extend(claimed["withdrawn"])
    message: dict[str, Any] | None = claimed["message"]
    return message


def attempt(sender: Sender, message: dict[str, Any]) -> Outcome:
    """Hand one claimed message to the sender; never raises (the GUI runs this in a
    worker thread, where an exception would have nobody to tell). An error that is not a
    ``SendError`` may have come after the text went out: it is failed, never retried."""
    try:
        return sender.send(message["to"], message["text"])
    except SendError as exc:
        return exc
    except Exception as exc:
        return SendError(
            UNEXPECTED.format(name=type(exc).__name__), temporary=False, link_down=True
        )


def record_outcome(desk: Caller, message: dict[str, Any], outcome: Outcome, run: SendRun) -> bool:
    """Record what the attempt came to; False when the run should stop (link down)."""
    if not isinstance(outcome, SendError):
        desk.call(
            "updateMessageStatus",
            {"messageId": message["id"], "status": "sent", "detail": outcome},
        )
        run.sent.append(message["id"])
        return True
    answer = desk.call(
        "updateMessageStatus",
        {
            "messageId": message["id"],
            "status": QUEUED if outcome.temporary else "failed",
            "detail": outcome.message,
        },
    )
    (run.retrying if answer["status"] == QUEUED else run.failed).append(message["id"])
    if outcome.link_down:
        run.stopped = outcome.message
        return False
    return True


def send_outbox(desk: Caller, sender: Sender, channel: str, limit: int = SEND_LIMIT) -> SendRun:
    """Send what is due on ``channel`` here and now (the command line and tests; the
    window runs the same steps with the sending in a worker: ``ui/outbox_sending.py``)."""
    run = SendRun()
    for _ in range(limit):
        message = claim_next(desk, channel, run)
        if message is None or not record_outcome(desk, message, attempt(sender, message), run):
            break
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
    """Read what the modem has for us and record it (``record_modem_events``)."""
    reports, replies = modem.poll()
    return record_modem_events(desk, reports, replies)


def record_modem_events(
    desk: Caller, reports: list[DeliveryReport], replies: list[Reply]
) -> tuple[int, int]:
    """Delivery reports mark the newest sent SMS with that reference delivered (or
    failed); replies go through recordReply (STOP withdraws, HELP is logged)."""
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
