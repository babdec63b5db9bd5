"""queueReminders: one reminder per customer and due date, never twice, only with the
customer's ``reminders`` consent on the channel, in the customer's language.

Set-based, because it runs over a whole branch: one read of the active plans due in the
window (the refill index) with each customer's consent on the channel beside it, one
read of what is already in the outbox for those dates, then one insert of the batch.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, false, func, insert, select

from pharmdesk.controllers.consent.records import REMINDERS
from pharmdesk.controllers.plans import ACTIVE, resume_due_plans
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.reminders import templates
from pharmdesk.controllers.reminders.outbox import QUEUED, msg_id
from pharmdesk.controllers.settings_store import load_settings
from pharmdesk.controllers.validation import Param, choice, integer
from pharmdesk.store.schema import Customer, CustomerConsent, OutboxMessage, Subscription

MAX_DAYS = 30
# The channels the outbox sends on; email and calls are made from the refill run-sheet.
OUTBOX_CHANNELS = ("sms", "whatsapp")


def _due_rows(op: Op, start: dt.date, horizon: dt.date, channel: str) -> list[Any]:
    query = (
        select(
            Subscription.customer_id,
            Subscription.next_delivery,
            Subscription.plan_name,
            Customer.name,
            Customer.phone,
            Customer.language,
            CustomerConsent.granted,
        )
        .join(Customer, Customer.id == Subscription.customer_id)
        .outerjoin(
            CustomerConsent,
            and_(
                CustomerConsent.customer_id == Subscription.customer_id,
                CustomerConsent.purpose == REMINDERS,
                CustomerConsent.channel == channel,
            ),
        )
        .where(
            Subscription.status == ACTIVE,
            Subscription.next_delivery >= start,
            Subscription.next_delivery <= horizon,
            Customer.archived == false(),
        )
        .order_by(Subscription.next_delivery, Subscription.customer_id, Subscription.id)
    )
    return list(op.tx.connection().execute(query).all())


@operation(
    "queueReminders",
    params={
        "days": Param(integer(0, MAX_DAYS), required=True),
        "channel": Param(choice(*OUTBOX_CHANNELS), required=True),
    },
)
def queue_reminders(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    resume_due_plans(op)  # a pause that has ended is due again
    start = op.today
    horizon = start + dt.timedelta(days=p["days"])
    channel = p["channel"]
    groups: dict[tuple[int, dt.date], list[Any]] = defaultdict(list)
    for row in _due_rows(op, start, horizon, channel):
        groups[(row.customer_id, row.next_delivery)].append(row)
    conn = op.tx.connection()
    already = set(
        (row.customer_id, row.due_date)
        for row in conn.execute(
            select(OutboxMessage.customer_id, OutboxMessage.due_date).where(
                OutboxMessage.purpose == REMINDERS,
                OutboxMessage.due_date >= start,
                OutboxMessage.due_date <= horizon,
            )
        ).all()
    )
    settings = load_settings(op.tx)  # in this transaction (the session's cache may be cold)
    overrides = settings.get("reminderTemplates") or {}
    branch = {"branchName": settings["branchName"], "branchPhone": settings["branchPhone"] or ""}
    skipped_consent = skipped_queued = 0
    rows: list[dict[str, Any]] = []
    wording: dict[str, str] = {}  # per language
    dates: dict[dt.date, str] = {}  # per due date
    now, user = op.naive_now, op.user
    for (customer_id, due), plans in groups.items():
        if (customer_id, due) in already:
            skipped_queued += 1
            continue
        first = plans[0]
        if not first.granted:
            skipped_consent += 1
            continue
        language = first.language
        if language not in wording:
            wording[language] = templates.template_for(REMINDERS, language, overrides)
        if due not in dates:
            dates[due] = templates.due_text(due)
        text = templates.render(
            wording[language],
            {
                **branch,
                "firstName": templates.first_name(first.name),
                "plan": ", ".join(dict.fromkeys(r.plan_name for r in plans)),
                "dueDate": dates[due],
            },
        )
        rows.append(
            {
                "customer_id": customer_id,
                "purpose": REMINDERS,
                "channel": channel,
                "due_date": due,
                "phone": first.phone,
                "language": language,
                "body": text,
                "status": QUEUED,
                "attempts": 0,
                "created_at": now,
                "created_by": user,
            }
        )
    first_id = last_id = None
    if rows:
        # One executemany without RETURNING (with it SQLite runs one statement per row).
        # This transaction is the only writer, so the new ids follow the highest one.
        before = int(conn.scalar(select(func.max(OutboxMessage.id))) or 0)
        conn.execute(insert(OutboxMessage), rows)
        first_id, last_id = before + 1, int(conn.scalar(select(func.max(OutboxMessage.id))) or 0)
    answer = {
        "queued": len(rows),
        "skippedNoConsent": skipped_consent,
        "skippedAlreadyQueued": skipped_queued,
    }
    op.audit(
        "message",
        "outbox",
        None,
        {
            "kind": "queue",
            "channel": channel,
            "days": p["days"],
            **answer,
            **(
                {"first": msg_id(first_id), "last": msg_id(last_id)} if first_id and last_id else {}
            ),
        },
    )
    return answer
