"""indexes for the condition segment and the duplicate check

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:15:00

- ``ix_customer_condition_key`` (label_key, customer_id) replaces the index on
  ``label_key`` alone: ``getCustomersByCondition`` counts a condition's customers from
  this index alone (no table rows read), and probes "does this customer hold one of
  these conditions" with one seek per matching key.
- ``ix_customer_birth`` (date_of_birth): ``findLikelyDuplicates`` looks up the customers
  born on a given day (similar name, same date of birth) instead of scanning them all.

Plain ``CREATE INDEX`` / ``DROP INDEX``, no table rebuild: the customer table keeps the
search-index triggers of 0002 (a batch rebuild would drop them).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_customer_condition_label_key", table_name="customer_condition")
    op.create_index("ix_customer_condition_key", "customer_condition", ["label_key", "customer_id"])
    op.create_index("ix_customer_birth", "customer", ["date_of_birth"])


def downgrade() -> None:
    op.drop_index("ix_customer_birth", table_name="customer")
    op.drop_index("ix_customer_condition_key", table_name="customer_condition")
    op.create_index("ix_customer_condition_label_key", "customer_condition", ["label_key"])
