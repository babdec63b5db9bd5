"""Customers and what hangs on their record: allergies, conditions, consent events,
family and carers, merges."""

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
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from pharmdesk.store.schema.base import Base


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
