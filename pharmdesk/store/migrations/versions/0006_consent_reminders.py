"""consent per purpose and channel, the STOP suppression list, the reminder outbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 01:00:00

- ``consent_record`` (history with proof) and ``customer_consent`` (the current answer per
  customer, purpose and channel). The single marketing consent kept so far is carried
  over: each earlier change (``consent_event``) becomes one record per channel with its
  own who and when (method ``legacy``: how it was asked was not recorded then), and a
  customer's current flag becomes their current ``marketing`` answer on every channel.
- ``suppressed_phone``: phones that answered STOP (outlive erasure and re-import).
- ``outbox_message`` and ``message_reply``: reminders to send, and replies received.
- ``customer.language``: the language reminders are written in (``en`` for everyone
  already on file).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CHANNELS = ("sms", "whatsapp", "email", "call")


def _create_tables() -> None:
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("wording_version", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_record_customer", "consent_record", ["customer_id", "id"])
    op.create_table(
        "customer_consent",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["consent_record.id"]),
        sa.PrimaryKeyConstraint("customer_id", "purpose", "channel"),
    )
    op.create_index(
        "ix_customer_consent_granted",
        "customer_consent",
        ["purpose", "channel", "granted", "customer_id"],
    )
    op.create_table(
        "suppressed_phone",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("phone"),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("last_detail", sa.String(length=300), nullable=True),
        sa.Column("provider_ref", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "purpose", "due_date", name="uq_outbox_once"),
    )
    op.create_index("ix_outbox_status", "outbox_message", ["status", "id"])
    op.create_index("ix_outbox_customer", "outbox_message", ["customer_id", "id"])
    op.create_table(
        "message_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("body", sa.String(length=480), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_reply_phone", "message_reply", ["phone"])


def _carry_marketing_consent() -> None:
    """The old single marketing consent, as per-channel records with its who and when."""
    channels = " UNION ALL ".join(f"SELECT '{c}' AS channel" for c in CHANNELS)
    op.execute(
        "INSERT INTO consent_record (customer_id, purpose, channel, granted, method, "
        "wording_version, note, recorded_at, recorded_by) "
        "SELECT e.customer_id, 'marketing', ch.channel, e.consent, 'legacy', NULL, NULL, "
        "e.recorded_at, e.recorded_by "
        f"FROM consent_event e CROSS JOIN ({channels}) ch ORDER BY e.id, ch.channel"
    )
    # A current answer with no event behind it (written before events were kept).
    op.execute(
        "INSERT INTO consent_record (customer_id, purpose, channel, granted, method, "
        "wording_version, note, recorded_at, recorded_by) "
        "SELECT c.id, 'marketing', ch.channel, c.marketing_consent, 'legacy', NULL, NULL, "
        "c.consent_recorded_at, COALESCE(c.consent_recorded_by, '') "
        f"FROM customer c CROSS JOIN ({channels}) ch "
        "WHERE c.consent_recorded_at IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM consent_event e WHERE e.customer_id = c.id) ORDER BY c.id, ch.channel"
    )
    op.execute(
        "INSERT INTO customer_consent (customer_id, purpose, channel, granted, record_id) "
        "SELECT r.customer_id, r.purpose, r.channel, c.marketing_consent, MAX(r.id) "
        "FROM consent_record r JOIN customer c ON c.id = r.customer_id "
        "GROUP BY r.customer_id, r.purpose, r.channel, c.marketing_consent"
    )


def upgrade() -> None:
    _create_tables()
    # A plain ALTER TABLE ADD COLUMN: the table (and 0002's search triggers) stay as they are.
    op.add_column(
        "customer",
        sa.Column("language", sa.String(length=8), server_default=sa.text("'en'"), nullable=False),
    )
    _carry_marketing_consent()


def downgrade() -> None:
    op.drop_index("ix_message_reply_phone", table_name="message_reply")
    op.drop_table("message_reply")
    op.drop_index("ix_outbox_customer", table_name="outbox_message")
    op.drop_index("ix_outbox_status", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_table("suppressed_phone")
    op.drop_index("ix_customer_consent_granted", table_name="customer_consent")
    op.drop_table("customer_consent")
    op.drop_index("ix_consent_record_customer", table_name="consent_record")
    op.drop_table("consent_record")
    # SQLite's own DROP COLUMN (3.35+): no table rebuild, so no foreign key is disturbed.
    op.drop_column("customer", "language")
