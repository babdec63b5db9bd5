"""The audit log: its entries, the customers each names, its own bookkeeping, and the
backup keyslots."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from pharmdesk.store.schema.base import Base


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


class SignInCounter(Base):
    """Failed sign-ins of one username on a branch server (migration 0010), written only
    by the server's sign-in functions (``store/pg_signin_sql.py``). Empty on a single
    PC, whose counters live in a file beside the key file."""

    __tablename__ = "sign_in_counter"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
