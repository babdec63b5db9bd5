"""Medication plans, subscriptions to them and their events, and orders."""

from __future__ import annotations

import datetime as dt

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
)
from sqlalchemy.orm import Mapped, mapped_column

from pharmdesk.store.schema.base import Base


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
