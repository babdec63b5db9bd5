"""The tables. Integer ids; the API's display ids (``CUST-12``) are made from them.

Times are stored as naive UTC datetimes (to the second), dates as dates. Money is an
integer number of the branch currency's units. Lists that segment queries search
(conditions, allergies) have rows of their own with a search key beside the label.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Setting(Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sign_in: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    # Digits of the phone in its international and national forms, space separated:
    # what a search for "0801 234" or "+234801234" matches against.
    phone_search: Mapped[str] = mapped_column(String(48))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    allergy_status: Mapped[str] = mapped_column(String(12), default="unknown")
    allergies_confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    allergies_confirmed_by: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    # The language reminders are written in (resources/templates; migration 0006).
    language: Mapped[str] = mapped_column(String(8), server_default=text("'en'"), default="en")
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    consent_recorded_by: Mapped[str | None] = mapped_column(String(64))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Counters kept current by the writes that change them, so lists never aggregate.
    total_orders: Mapped[int] = mapped_column(Integer, default=0)
    total_spent: Mapped[int] = mapped_column(Integer, default=0)
    last_order: Mapped[dt.datetime | None] = mapped_column(DateTime)
    active_plans: Mapped[int] = mapped_column(Integer, default=0)
    # The earliest next delivery of an active subscription; kept by triggers (0008).
    first_refill: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Who pays (migration 0007): ``cash`` or an HMO/insurer (resources/payers.json or
    # typed), the member id, plan and until when the cover runs. NULL: not recorded.
    payer: Mapped[str | None] = mapped_column(String(120))
    payer_member_id: Mapped[str | None] = mapped_column(String(64))
    payer_plan: Mapped[str | None] = mapped_column(String(120))
    payer_valid_until: Mapped[dt.date | None] = mapped_column(Date)
    # A duplicate merged into another record (archived, kept for undoMerge).
    merged_into: Mapped[int | None] = mapped_column(Integer)
    # Personal data erased on the customer's request (archived too).
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    erased_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_customer_name", "archived", "name_key", "id"),
        Index("ix_customer_created", "archived", "created_at", "id"),
        Index("ix_customer_last_order", "archived", "last_order", "id"),
        Index("ix_customer_total_orders", "archived", "total_orders", "id"),
        Index("ix_customer_active_plans", "archived", "active_plans", "id"),
        Index("ix_customer_first_refill", "archived", "first_refill"),
        Index("ix_customer_total_spent", "archived", "total_spent", "name_key", "id"),
        Index("ix_customer_phone", "phone"),
        Index("ix_customer_duplicate", "name_key", "phone"),
        # findLikelyDuplicates: the customers born on a given day (migration 0003).
        Index("ix_customer_birth", "date_of_birth"),
    )


class CustomerAllergy(Base):
    __tablename__ = "customer_allergy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(120))
    label_key: Mapped[str] = mapped_column(String(120), index=True)


class CustomerCondition(Base):
    __tablename__ = "customer_condition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(120))
    label_key: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        # A condition's customers counted from the index alone, and "holds one of these
        # conditions" probed by seeks (getCustomersByCondition; migration 0003).
        Index("ix_customer_condition_key", "label_key", "customer_id"),
    )


class ConsentEvent(Base):
    """Every marketing-consent change, with who recorded it and when."""

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    consent: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))


class Plan(Base):
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    medications: Mapped[list[str]] = mapped_column(JSON)
    frequency: Mapped[str] = mapped_column(String(12))
    price: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Subscription(Base):
    """A customer's enrollment in a plan, with the plan's terms as they were enrolled."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    plan_name: Mapped[str] = mapped_column(String(120))
    medications: Mapped[list[str]] = mapped_column(JSON)
    frequency: Mapped[str] = mapped_column(String(12))
    price: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    delivery_day: Mapped[str | None] = mapped_column(String(10))
    delivery_time: Mapped[str | None] = mapped_column(String(10))
    next_delivery: Mapped[dt.date | None] = mapped_column(Date)
    resume_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_subscription_customer", "customer_id", "status"),
        Index("ix_subscription_refill", "status", "next_delivery", "customer_id"),
        # Paused plans whose resume date has come (migration 0004).
        Index("ix_subscription_resume", "status", "resume_date"),
    )


class SubscriptionEvent(Base):
    """Status history of a subscription (enrolled, approved, paused, ...)."""

    __tablename__ = "subscription_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)


class Order(Base):
    __tablename__ = "customer_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id"))
    ordered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    total: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The payer at the time and the two shares of ``total`` (migration 0007); NULL on
    # orders recorded without them (all paid by the customer).
    payer: Mapped[str | None] = mapped_column(String(120))
    payer_share: Mapped[int | None] = mapped_column(Integer)
    customer_share: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_order_customer", "customer_id", "ordered_at", "id"),
        Index("ix_order_subscription", "subscription_id"),
    )


class AuditEntry(Base):
    """Append-only, hash-chained. No code path updates or deletes a row."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(24))
    entity_type: Mapped[str | None] = mapped_column(String(24))
    entity_id: Mapped[str | None] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(8), server_default=text("'success'"))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Chain format 2 (migration 0005): the hash covers the detail's own hash, so a detail
    # can be redacted later without breaking the chain. NULL on entries written before.
    detail_hash: Mapped[str | None] = mapped_column(String(64))
    # Forward-secure seal: the epoch whose key MACs this entry, and the MAC. NULL on
    # entries written before sealing started (see controllers/audit_seal.py).
    epoch: Mapped[int | None] = mapped_column(Integer)
    mac: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_entity", "entity_type", "entity_id", "id"),
        Index("ix_audit_user", "user", "id"),
        Index("ix_audit_action", "action", "id"),
        Index("ix_audit_at", "at", "id"),
    )


class AuditCustomer(Base):
    """Which customers an entry showed or changed: "who has seen this customer" is one
    index range (written only by the audit writer, with the entry)."""

    __tablename__ = "audit_customer"

    customer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class AuditState(Base):
    """One row: the audit log's own bookkeeping inside the database.

    ``seal_key`` is the current epoch's key only (older ones are erased as it moves on);
    ``attempts_seq`` and ``checkpoint_id`` are what PharmDesk last saw of the files beside
    the database, so a deleted or older file is noticed at the next sign-in.
    """

    __tablename__ = "audit_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seal_epoch: Mapped[int | None] = mapped_column(Integer)
    seal_key: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempts_seq: Mapped[int] = mapped_column(Integer, default=0)
    checkpoint_id: Mapped[int] = mapped_column(Integer, default=0)


# -- consent per purpose and channel, suppression, outbox (migration 0006) -----------------
class ConsentRecord(Base):
    """Every consent given or withdrawn, per purpose and channel, with its proof: how it
    was given, the wording shown (its version in resources/consent-wording.json), who
    recorded it and when. Never updated or deleted except by erasure."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    method: Mapped[str] = mapped_column(String(16))
    wording_version: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_consent_record_customer", "customer_id", "id"),)


class CustomerConsent(Base):
    """The current answer per customer, purpose and channel: the newest record's."""

    __tablename__ = "customer_consent"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    record_id: Mapped[int] = mapped_column(ForeignKey("consent_record.id"))

    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "purpose", "channel"),
        # queueReminders: the customers who agreed to a purpose on a channel.
        Index("ix_customer_consent_granted", "purpose", "channel", "granted", "customer_id"),
    )


class SuppressedPhone(Base):
    """A phone that answered STOP. Keyed by the phone, not the customer, so it outlives
    erasure and re-import; lifted only by a written consent (kept, with who and when)."""

    __tablename__ = "suppressed_phone"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(64))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(64))


class OutboxMessage(Base):
    """A reminder to send: queued -> sent -> delivered or failed. ``claimed_at`` is set
    (and committed) just before a sender hands the text to the network, so a message
    whose send was interrupted is never sent a second time by itself."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[dt.date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_detail: Mapped[str | None] = mapped_column(String(300))
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        # One message per customer, purpose and due date, whatever the channel: never twice.
        UniqueConstraint("customer_id", "purpose", "due_date", name="uq_outbox_once"),
        Index("ix_outbox_status", "status", "id"),
        Index("ix_outbox_customer", "customer_id", "id"),
    )


class MessageReply(Base):
    """A reply read from the modem or typed by staff (STOP, HELP, anything else)."""

    __tablename__ = "message_reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(String(480))
    action: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))


# -- the customer record, completed (migration 0007) ----------------------------------------
class CustomerRelationship(Base):
    """``REL-n``: a customer linked to another customer (``related_customer_id``) or to a
    named person (``name`` + ``phone``), who may collect for them, and how it was agreed."""

    __tablename__ = "customer_relationship"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    related_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    can_collect: Mapped[bool] = mapped_column(Boolean)
    consent_method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_relationship_customer", "customer_id", "id"),
        Index("ix_relationship_related", "related_customer_id", "id"),
        Index("ix_relationship_phone", "phone"),
        {"sqlite_autoincrement": True},
    )


class CustomerMerge(Base):
    """``MRG-n``: one merge of a duplicate into the record kept. ``snapshot`` holds what
    undoMerge restores (both rows with their counters, labels, consents, relationships,
    and the ids of the rows moved); erasing either customer clears it."""

    __tablename__ = "customer_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    keep_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    merged_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    reason: Mapped[str] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    merged_at: Mapped[dt.datetime] = mapped_column(DateTime)
    merged_by: Mapped[str] = mapped_column(String(64))
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_by: Mapped[str | None] = mapped_column(String(64))
    undo_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_merge_keep", "keep_id", "id"),
        Index("ix_merge_merged", "merged_id", "id"),
    )


class BackupKeyslot(Base):
    """A keyslot a branch server's backups are sealed to (migration 0009): an admin's or
    the recovery key's public key and its password-wrapped private half, as JSON. No
    database or backup key is kept here (see ``store/backup/server_keys.py``)."""

    __tablename__ = "backup_keyslot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(64))
    slot: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("kind", "owner", name="uq_backup_keyslot_owner"),)
