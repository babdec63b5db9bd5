"""The outbox: listOutbox, updateMessageStatus, and claimOutboxMessage (what a sender
calls just before it hands a message to the network).

Statuses: queued -> sent -> delivered, or failed. A sender first *claims* a message: the
consent is checked again (a customer who withdrew since it was queued gets nothing), the
attempt is counted and the claim committed, and only then is the text sent. A message
whose claim is older than ``CLAIM_EXPIRES`` with no answer was interrupted mid-send (a
crash, a pulled cable): it may have gone out, so it is never sent again by itself; it
becomes ``failed`` with a note for staff to check with the customer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, update

from pharmdesk.controllers.consent import records
from pharmdesk.controllers.customer_rows import CUSTOMER, iso_or_none
from pharmdesk.controllers.customers.lookup import cust_id
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.reminders.sms_length import sms_length
from pharmdesk.controllers.validation import (
    PAGING,
    Param,
    choice,
    entity_id,
    nullable,
    string,
)
from pharmdesk.errors import CONFLICT, NOT_FOUND, PharmDeskError
from pharmdesk.store.schema import Customer, OutboxMessage

MESSAGE = "MSG"
QUEUED, SENT, DELIVERED, FAILED = "queued", "sent", "delivered", "failed"
STATUSES = (QUEUED, SENT, DELIVERED, FAILED)
MAX_ATTEMPTS = 5
CLAIM_EXPIRES = dt.timedelta(minutes=10)
# What each status may follow: staff may queue a failed message again; a sender puts a
# claimed message back in the queue after a temporary failure.
ALLOWED_FROM = {
    SENT: {QUEUED},
    DELIVERED: {SENT},
    FAILED: {QUEUED, SENT},
    QUEUED: {QUEUED, FAILED},
}
WITHDRAWN = "Not sent: the customer's consent for this channel was withdrawn."
INTERRUPTED = (
    "Sending was interrupted and it is not known whether the message went out. "
    "It will not be sent again by itself; check with the customer first."
)


def msg_id(number: int) -> str:
    return f"{MESSAGE}-{number}"


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes after the n-th failed attempt, at most an hour."""
    return dt.timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def message_json(m: Any, name: str | None) -> dict[str, Any]:
    length = sms_length(m.body)
    return {
        "id": msg_id(m.id),
        "customerId": cust_id(m.customer_id),
        "customerName": name,
        "purpose": m.purpose,
        "channel": m.channel,
        "dueDate": m.due_date.isoformat(),
        "to": m.phone,
        "language": m.language,
        "text": m.body,
        "segments": length.segments,
        "encoding": length.encoding,
        "status": m.status,
        "attempts": m.attempts,
        "nextAttemptAt": iso_or_none(m.next_attempt_at),
        "claimed": m.claimed_at is not None,
        "detail": m.last_detail,
        "createdAt": iso_or_none(m.created_at),
        "sentAt": iso_or_none(m.sent_at),
        "deliveredAt": iso_or_none(m.delivered_at),
    }


def _state(message: OutboxMessage) -> str:
    return "being sent" if message.claimed_at is not None else message.status


def _get(op: Op, number: int) -> OutboxMessage:
    message = op.tx.get(OutboxMessage, number)
    if message is None:
        raise PharmDeskError(NOT_FOUND, f"There is no message {msg_id(number)}.", "messageId")
    return message


def expire_claims(op: Op) -> list[int]:
    """Interrupted sends become ``failed`` (never resent by themselves)."""
    cutoff = op.naive_now - CLAIM_EXPIRES
    stale = list(
        op.tx.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.status == QUEUED,
                OutboxMessage.claimed_at.is_not(None),
                OutboxMessage.claimed_at <= cutoff,
            )
        )
    )
    if stale:
        op.tx.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(stale))
            .values(status=FAILED, claimed_at=None, next_attempt_at=None, last_detail=INTERRUPTED)
        )
        op.audit("message", "outbox", None, {"kind": "interrupted", "messages": stale})
    return stale


def consent_holds(op: Op, m: OutboxMessage) -> bool:
    if not records.has_consent(op.tx, m.customer_id, m.purpose, m.channel):
        return False
    return not (m.purpose == records.MARKETING and records.suppressed_since(op.tx, m.phone))


# -- listOutbox -----------------------------------------------------------------------------
@operation(
    "listOutbox",
    params={
        **PAGING,
        "status": Param(choice(*STATUSES)),
        "channel": Param(choice(*records.CHANNELS)),
        "customerId": Param(entity_id(CUSTOMER)),
        # A network reference (a modem's delivery report names the message by it).
        "reference": Param(string(1, 64)),
    },
)
def list_outbox(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Newest first (by id). With ``customerId``: that customer's send log."""
    filters = []
    if p.get("status"):
        filters.append(OutboxMessage.status == p["status"])
    if p.get("channel"):
        filters.append(OutboxMessage.channel == p["channel"])
    if p.get("customerId"):
        filters.append(OutboxMessage.customer_id == p["customerId"])
    if p.get("reference"):
        ref = p["reference"].strip()  # one of the parts' references, "1" or "1,2,3"
        filters.append(
            or_(
                OutboxMessage.provider_ref == ref,
                OutboxMessage.provider_ref.startswith(f"{ref},", autoescape=True),
                OutboxMessage.provider_ref.endswith(f",{ref}", autoescape=True),
                OutboxMessage.provider_ref.contains(f",{ref},", autoescape=True),
            )
        )
    total = int(op.tx.scalar(select(func.count()).where(*filters).select_from(OutboxMessage)) or 0)
    offset = (p["page"] - 1) * p["limit"]
    rows = op.tx.execute(
        select(OutboxMessage, Customer.name)
        .join(Customer, Customer.id == OutboxMessage.customer_id)
        .where(*filters)
        .order_by(OutboxMessage.id.desc())
        .offset(offset)
        .limit(p["limit"])
    ).all()
    messages = [message_json(m, name) for m, name in rows]
    op.audit(
        "message",
        "outbox",
        None,
        {
            "kind": "list",
            "status": p.get("status"),
            "channel": p.get("channel"),
            "page": p["page"],
            "customerIds": sorted({m["customerId"] for m in messages}),
        },
    )
    return {
        "messages": messages,
        "total": total,
        "page": p["page"],
        "hasMore": p["page"] * p["limit"] < total,
    }


# -- claimOutboxMessage ---------------------------------------------------------------------
@operation(
    "claimOutboxMessage",
    params={
        "channel": Param(choice(*records.CHANNELS), required=True),
        "messageId": Param(entity_id(MESSAGE)),
    },
)
def claim_message(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """The next message due on the channel (or the one named), its consent checked now.
    Messages whose consent was withdrawn are failed on the way (``withdrawn``)."""
    expire_claims(op)
    now = op.naive_now
    query = select(OutboxMessage).where(
        OutboxMessage.status == QUEUED,
        OutboxMessage.channel == p["channel"],
        OutboxMessage.claimed_at.is_(None),
    )
    if p.get("messageId"):
        message = _get(op, p["messageId"])
        if message.status != QUEUED or message.claimed_at is not None:
            raise PharmDeskError(
                CONFLICT,
                f"{msg_id(message.id)} is {_state(message)}; only a queued message can be sent.",
                "messageId",
            )
        candidates = [message] if message.channel == p["channel"] else []
    else:
        due = or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
        candidates = list(op.tx.scalars(query.where(due).order_by(OutboxMessage.id).limit(50)))
    withdrawn: list[str] = []
    for message in candidates:
        if not consent_holds(op, message):
            message.status = FAILED
            message.last_detail = WITHDRAWN
            message.next_attempt_at = None
            withdrawn.append(msg_id(message.id))
            continue
        message.claimed_at = now
        message.attempts += 1
        op.audit(
            "message",
            "customer",
            cust_id(message.customer_id),
            {"kind": "send", "messageId": msg_id(message.id), "attempt": message.attempts},
        )
        if withdrawn:
            op.audit("message", "outbox", None, {"kind": "withdrawn", "messages": withdrawn})
        name = op.tx.scalar(select(Customer.name).where(Customer.id == message.customer_id))
        return {"message": message_json(message, name), "withdrawn": withdrawn}
    if withdrawn:
        op.audit("message", "outbox", None, {"kind": "withdrawn", "messages": withdrawn})
    return {"message": None, "withdrawn": withdrawn}


# -- updateMessageStatus --------------------------------------------------------------------
@operation(
    "updateMessageStatus",
    params={
        "messageId": Param(entity_id(MESSAGE), required=True),
        "status": Param(choice(*STATUSES), required=True),
        "detail": Param(nullable(string(0, 300))),
    },
)
def update_status(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    message = _get(op, p["messageId"])
    new, old = p["status"], message.status
    detail = (p.get("detail") or "").strip() or None
    if old not in ALLOWED_FROM[new] or (new == QUEUED and old == QUEUED and not message.claimed_at):
        raise PharmDeskError(
            CONFLICT,
            f"{msg_id(message.id)} is {old}; it cannot become {new}.",
            "status",
        )
    if new == SENT and not message.claimed_at:
        # Marked sent by hand (WhatsApp from the desk phone): the consent is checked now.
        if not consent_holds(op, message):
            raise PharmDeskError(
                CONFLICT,
                f"{msg_id(message.id)} must not be sent: the customer's consent for "
                f"{message.channel} was withdrawn. Mark it failed instead.",
                "status",
            )
        message.attempts += 1
    retry = new == QUEUED and old == QUEUED
    if retry and message.attempts >= MAX_ATTEMPTS:
        new = FAILED
        detail = f"Gave up after {message.attempts} attempts. {detail or ''}".strip()
    message.status = new
    message.claimed_at = None
    message.last_detail = detail
    message.next_attempt_at = op.naive_now + backoff(message.attempts) if retry else None
    if new == SENT:
        message.sent_at = op.naive_now
        message.provider_ref = detail[:64] if detail else None
    elif new == DELIVERED:
        message.delivered_at = op.naive_now
    elif new == QUEUED and old == FAILED:
        message.next_attempt_at = None
    op.audit(
        "message",
        "customer",
        cust_id(message.customer_id),
        {
            "kind": "status",
            "messageId": msg_id(message.id),
            "old": old,
            "new": new,
            "detail": detail,
        },
    )
    return {"success": True, "status": new}
