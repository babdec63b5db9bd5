"""recordReply: a reply read from the modem or typed by staff.

STOP (also STOP ALL, UNSUBSCRIBE, END, QUIT; any case, stray punctuation ignored)
withdraws ``marketing`` on every channel for every customer with that phone, and the
``reminders`` consent on the channel the reply came by (a person who answers a reminder
with STOP wants those to stop too), and puts the phone on the suppression list, which
outlives erasure and re-import. HELP is logged for a call back. Anything else is logged.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from pharmdesk.controllers.consent import records
from pharmdesk.controllers.customers.lookup import cust_id
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import Param, choice, phone_e164, string
from pharmdesk.store.schema import Customer, CustomerConsent, MessageReply

STOP_WORDS = frozenset({"stop", "stop all", "stopall", "unsubscribe", "end", "quit"})
OPT_OUT, HELP, NONE = "optOut", "help", "none"
REPLY_CHANNELS = ("sms", "whatsapp")


def reply_action(text: str) -> str:
    words = re.sub(r"[^\w\s]", " ", text.casefold()).split()
    said = " ".join(words)
    if said in STOP_WORDS or (words and words[0] in ("stop", "unsubscribe")):
        return OPT_OUT
    if words and words[0] == "help":
        return HELP
    return NONE


def opt_out(op: Op, phone: str, channel: str, source: str) -> list[int]:
    """Withdraw what STOP withdraws for every customer with this phone; suppress it."""
    customers = list(op.tx.scalars(select(Customer.id).where(Customer.phone == phone)))
    records.suppress(op, phone, source)
    if not customers:
        return []
    granted = op.tx.execute(
        select(CustomerConsent.customer_id, CustomerConsent.purpose, CustomerConsent.channel).where(
            CustomerConsent.customer_id.in_(customers), CustomerConsent.granted.is_(True)
        )
    ).all()
    changed: set[int] = set()
    for customer_id, purpose, consent_channel in granted:
        if purpose == records.MARKETING or consent_channel == channel:
            records.record(op, [customer_id], purpose, [consent_channel], False, "reply", "STOP")
            changed.add(customer_id)
    for customer_id in sorted(changed):
        customer = op.tx.get(Customer, customer_id)
        assert customer is not None  # listed above
        customer.version += 1
        customer.updated_at = op.naive_now
        op.audit("consent", "customer", cust_id(customer_id), {"kind": "stop", "channel": channel})
    return customers


@operation(
    "recordReply",
    params={
        "phone": Param(string(1, 40), required=True),
        "text": Param(string(0, 480), required=True),
        "channel": Param(choice(*REPLY_CHANNELS), required=True),
    },
)
def record_reply(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    phone = phone_e164(p["phone"], op.region)
    action = reply_action(p["text"])
    if action == OPT_OUT:
        customers = opt_out(op, phone, p["channel"], "reply")
    else:
        customers = list(op.tx.scalars(select(Customer.id).where(Customer.phone == phone)))
    op.tx.add(
        MessageReply(
            phone=phone,
            channel=p["channel"],
            body=p["text"].strip()[:480],
            action=action,
            received_at=op.naive_now,
            recorded_by=op.user,
        )
    )
    ids = [cust_id(n) for n in sorted(customers)]
    # The reply's words are the customer's own: kept in message_reply, not in the audit.
    op.audit("message", "reply", None, {"kind": "reply", "action": action, "customerIds": ids})
    return {"success": True, "action": action, "customerIds": ids}
