"""eraseCustomer: the customer's right to erasure (NDPA 2023), done so it sticks.

The record stays as a shell (``Erased customer CUST-n``, archived) so that orders keep
their amounts and counts add up; everything personal goes: contact details, birth date,
allergies and conditions, notes, payer, consents and their history, relationships, the
reminders queued for them and the replies from their phone (when no one else on file
has it), merge snapshots, and their values in audit details (``redaction``). Plans are
cancelled. Records merged into this one are the same person and are erased with it.

A phone on the STOP suppression list stays there: the objection outlives the erasure,
so a re-registered customer with that phone is still not sent marketing.

Deleted content must not linger in the file: SQLite's ``secure_delete`` zeroes what is
deleted or overwritten, and after the commit the write-ahead log (which still holds older
copies of the pages) is copied back and emptied.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update

from pharmdesk.clock import to_iso
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.plans import ACTIVE, CANCELLED, PAUSED, PENDING_REVIEW
from pharmdesk.controllers.record.access_report import merged_into
from pharmdesk.controllers.record.redaction import needles_from, old_values, redact_entries
from pharmdesk.controllers.registry import ADMINS, Op, operation
from pharmdesk.controllers.validation import Param, free_text, search_key
from pharmdesk.errors import CONFLICT, PharmDeskError
from pharmdesk.store.engine import checkpoint_wal
from pharmdesk.store.schema import (
    ConsentEvent,
    ConsentRecord,
    Customer,
    CustomerAllergy,
    CustomerCondition,
    CustomerConsent,
    CustomerMerge,
    CustomerRelationship,
    MessageReply,
    Order,
    OutboxMessage,
    Subscription,
    SubscriptionEvent,
)

ERASED_NAME = "Erased customer {id}"
PERSONAL = ("name", "phone", "email", "address", "notes", "payer_member_id", "payer_plan")


def _values_of(op: Op, customer: Customer) -> list[Any]:
    """Everything of this customer's that might sit in audit details."""
    tx = op.tx
    values: list[Any] = [getattr(customer, attr) for attr in PERSONAL]
    if customer.date_of_birth is not None:
        values.append(customer.date_of_birth.isoformat())
    for table in (CustomerAllergy, CustomerCondition):
        values += list(tx.scalars(select(table.label).where(table.customer_id == customer.id)))
    for name, phone in tx.execute(
        select(CustomerRelationship.name, CustomerRelationship.phone).where(
            CustomerRelationship.customer_id == customer.id
        )
    ):
        values += [name, phone]
    values += list(
        tx.scalars(select(ConsentRecord.note).where(ConsentRecord.customer_id == customer.id))
    )
    values += old_values(tx, cust_id(customer.id))
    return [v for v in values if v]


def _erase_one(op: Op, customer: Customer) -> None:
    tx, number = op.tx, customer.id
    phone = customer.phone
    conn = tx.connection()
    owned: tuple[Any, ...] = (
        CustomerAllergy,
        CustomerCondition,
        CustomerConsent,
        ConsentRecord,
        ConsentEvent,
        OutboxMessage,
    )
    for table in owned:
        conn.execute(delete(table).where(table.customer_id == number))
    conn.execute(
        delete(CustomerRelationship).where(
            or_(
                CustomerRelationship.customer_id == number,
                CustomerRelationship.related_customer_id == number,
            )
        )
    )
    subs = select(Subscription.id).where(Subscription.customer_id == number)
    conn.execute(
        update(SubscriptionEvent)
        .where(SubscriptionEvent.subscription_id.in_(subs), SubscriptionEvent.reason.is_not(None))
        .values(reason=None)
    )
    for sub in tx.scalars(
        select(Subscription).where(
            Subscription.customer_id == number,
            Subscription.status.in_((ACTIVE, PAUSED, PENDING_REVIEW)),
        )
    ):
        sub.status = CANCELLED
        sub.updated_at = op.naive_now
        tx.add(
            SubscriptionEvent(
                subscription_id=sub.id,
                at=op.naive_now,
                status=CANCELLED,
                by=op.user,
                reason="erasure",
            )
        )
    conn.execute(update(Order).where(Order.customer_id == number).values(payer=None))
    conn.execute(
        update(CustomerMerge)
        .where(or_(CustomerMerge.keep_id == number, CustomerMerge.merged_id == number))
        .values(snapshot=None, reason="[erased]", undo_reason=None)
    )
    name = ERASED_NAME.format(id=cust_id(number))
    customer.name, customer.name_key = name, search_key(name)
    customer.phone = customer.phone_search = ""
    for attr in (
        "email",
        "address",
        "date_of_birth",
        "notes",
        "allergies_confirmed_at",
        "allergies_confirmed_by",
        "consent_recorded_at",
        "consent_recorded_by",
        "payer",
        "payer_member_id",
        "payer_plan",
        "payer_valid_until",
    ):
        setattr(customer, attr, None)
    customer.allergy_status = "unknown"
    customer.marketing_consent = False
    customer.language = "en"
    customer.active_plans = 0
    customer.archived = True
    customer.erased_at = op.naive_now
    customer.erased_by = op.user
    customer.version += 1
    customer.updated_at = op.naive_now
    tx.flush()
    if phone and not tx.scalar(
        select(Customer.id).where(Customer.phone == phone, Customer.erased_at.is_(None)).limit(1)
    ):
        conn.execute(delete(MessageReply).where(MessageReply.phone == phone))


@operation(
    "eraseCustomer",
    params={**CUSTOMER_ID, "reason": Param(free_text(1, 500), required=True)},
    roles=ADMINS,
)
def erase_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"])
    if customer.erased_at is not None:
        raise PharmDeskError(
            CONFLICT,
            f"{cust_id(customer.id)} was already erased ({customer.erased_at:%Y-%m-%d}).",
            "customerId",
        )
    sqlite = op.tx.get_bind().dialect.name == "sqlite"
    if sqlite:  # zero what is deleted or overwritten from here on (this connection)
        op.tx.connection().exec_driver_sql("PRAGMA secure_delete = ON")
    numbers = merged_into(op, customer.id)
    people = [c for n in numbers if (c := op.tx.get(Customer, n)) is not None]
    needles: set[str] = set()
    for person in people:
        needles |= needles_from(_values_of(op, person))
        needles |= {w for w in person.name_key.split() if len(w) >= 4}
    for person in people:
        if person.erased_at is None:
            _erase_one(op, person)
    note = {"reason": "erasure", "customerId": cust_id(customer.id), "at": to_iso(op.now)}
    redacted, left = redact_entries(op.tx, numbers, needles, note)
    op.audit(
        "erase",
        "customer",
        cust_id(customer.id),
        {
            "reason": p["reason"],
            "erasedIds": [cust_id(n) for n in numbers],
            "auditRedacted": redacted,
            "auditNotRedacted": left,
        },
    )
    if sqlite:  # the write-ahead log still holds older copies of the pages
        engine = op.desk.db.engine
        op.after_commit.append(lambda: checkpoint_wal(engine))
    return {
        "success": True,
        "erasedIds": [cust_id(n) for n in numbers],
        "auditRedacted": redacted,
        "auditNotRedacted": left,
    }
