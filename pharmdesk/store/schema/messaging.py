"""Consent per purpose and channel, suppressed phones, the outbox and replies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
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
)
from sqlalchemy.orm import Mapped, mapped_column

from pharmdesk.store.schema.base import Base


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
