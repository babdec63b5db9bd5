"""queueReminders: one reminder per customer and due date, never twice, only with the
customer's ``reminders`` consent on the channel, in the customer's language.

Set-based, because it runs over a whole branch: one read of the active plans due in the
window (the refill index) with each customer's consent on the channel beside it, one
read of what is already in the outbox for those dates, then one insert of the batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import Connection, and_, false, func, select

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


_INSERT_COLUMNS = (
    "customer_id", "purpose", "channel", "due_date", "phone", "language", "body",
    "status", "attempts", "created_at", "created_by",
)  # fmt: skip


def _insert_sql(conn: Connection) -> str:
    """The batch insert in the driver's own placeholder style (SQLite ``?``, psycopg ``%s``)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO {OutboxMessage.__tablename__} ({', '.join(_INSERT_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_INSERT_COLUMNS))})"
    )


def _stored(column: Any, conn: Connection) -> Callable[[Any], Any]:
    """The column type's own conversion to what the database stores (a date's text)."""
    process = column.type.bind_processor(conn.dialect)
    return process if process is not None else (lambda value: value)


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
    due_rows = _due_rows(op, start, horizon, channel)
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
    rows: list[tuple[Any, ...]] = []
    fill: dict[str, Callable[..., str]] = {}  # per language: the template's format
    dates: dict[dt.date, tuple[str, Any]] = {}  # per due date: as written, as stored
    store_date = _stored(OutboxMessage.due_date, conn)
    fixed = (QUEUED, 0, _stored(OutboxMessage.created_at, conn)(op.naive_now), op.user)
    index, count = 0, len(due_rows)
    # The rows come ordered by due date and customer: one customer's plans due the same
    # day are next to each other, and make one message.
    while index < count:
        customer_id, due, plan_name, name, phone, language, granted = due_rows[index]
        plan_names = [plan_name]
        index += 1
        while index < count and due_rows[index][:2] == (customer_id, due):
            plan_names.append(due_rows[index][2])
            index += 1
        if (customer_id, due) in already:
            skipped_queued += 1
            continue
        if not granted:
            skipped_consent += 1
            continue
        if language not in fill:
            # Every placeholder is given (as templates.render does), so any template
            # that passed check_template fills.
            fill[language] = partial(
                templates.template_for(REMINDERS, language, overrides).format, **branch
            )
        if due not in dates:
            dates[due] = (templates.due_text(due), store_date(due))
        written, stored = dates[due]
        text = fill[language](
            firstName=templates.first_name(name),
            plan=", ".join(dict.fromkeys(plan_names)),
            dueDate=written,
        )
        rows.append((customer_id, REMINDERS, channel, stored, phone, language, text, *fixed))
    first_id = last_id = None
    if rows:
        # One executemany without RETURNING (with it SQLite runs one statement per row),
        # of values already in their stored form: at a branch's size, SQLAlchemy's
        # per-row parameter processing would be a third of the operation's time.
        # This transaction is the only writer, so the new ids follow the highest one.
        before = int(conn.scalar(select(func.max(OutboxMessage.id))) or 0)
        conn.exec_driver_sql(_insert_sql(conn), rows)
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
