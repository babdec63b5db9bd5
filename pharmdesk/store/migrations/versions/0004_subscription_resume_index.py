"""index for the paused plans whose resume date has come

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:50:00

- ``ix_subscription_resume`` (status, resume_date): the paused plans whose resume date
  has come are found with one range seek. PharmDesk looks for them at every sign-in and
  every refill read (``plans.resume_due_plans``), so without it each of those reads
  would scan every paused subscription.

A plain ``CREATE INDEX``: no table rebuild.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_subscription_resume", "subscription", ["status", "resume_date"])


def downgrade() -> None:
    op.drop_index("ix_subscription_resume", table_name="subscription")
