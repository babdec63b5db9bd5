"""the customer record, completed: relationships, payer, merges, erasure

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:00:00

- ``customer_relationship`` (``REL-n``): a customer linked to another customer or to a
  named person (parent, child, spouse, caregiver, agent), whether they may collect, and
  how the customer agreed to it.
- ``customer`` gains the payer (``cash`` or an HMO/insurer, member id, plan, valid
  until), ``merged_into`` (the record a merged duplicate now lives in) and ``erased_at``
  / ``erased_by`` (personal data erased on the customer's request).
- ``customer_order`` gains the payer of the order and the two shares of its total.
- ``customer_merge`` (``MRG-n``): each merge, with the snapshot ``undoMerge`` needs to
  put both records back exactly (their rows, counters and labels, and the rows moved),
  and when and why it was undone.

``ADD COLUMN`` and new tables only (plain Alembic operations, for SQLCipher and
PostgreSQL alike): no table rebuild, so 0002's search triggers stay.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CUSTOMER_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("payer", sa.String(length=120)),
    ("payer_member_id", sa.String(length=64)),
    ("payer_plan", sa.String(length=120)),
    ("payer_valid_until", sa.Date()),
    ("merged_into", sa.Integer()),
    ("erased_at", sa.DateTime()),
    ("erased_by", sa.String(length=64)),
)
ORDER_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("payer", sa.String(length=120)),
    ("payer_share", sa.Integer()),
    ("customer_share", sa.Integer()),
)


def upgrade() -> None:
    op.create_table(
        "customer_relationship",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("related_customer_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("can_collect", sa.Boolean(), nullable=False),
        sa.Column("consent_method", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["related_customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
        # REL-n ids are never handed out twice (undoMerge puts a removed link back).
        sqlite_autoincrement=True,
    )
    op.create_index("ix_relationship_customer", "customer_relationship", ["customer_id", "id"])
    op.create_index(
        "ix_relationship_related", "customer_relationship", ["related_customer_id", "id"]
    )
    op.create_index("ix_relationship_phone", "customer_relationship", ["phone"])
    op.create_table(
        "customer_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("keep_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("merged_by", sa.String(length=64), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=64), nullable=True),
        sa.Column("undo_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["keep_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["merged_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_merge_keep", "customer_merge", ["keep_id", "id"])
    op.create_index("ix_merge_merged", "customer_merge", ["merged_id", "id"])
    for name, type_ in CUSTOMER_COLUMNS:
        op.add_column("customer", sa.Column(name, type_, nullable=True))
    for name, type_ in ORDER_COLUMNS:
        op.add_column("customer_order", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): no rebuild, the search triggers stay.
    for name, _type in reversed(ORDER_COLUMNS):
        op.drop_column("customer_order", name)
    for name, _type in reversed(CUSTOMER_COLUMNS):
        op.drop_column("customer", name)
    op.drop_index("ix_merge_merged", table_name="customer_merge")
    op.drop_index("ix_merge_keep", table_name="customer_merge")
    op.drop_table("customer_merge")
    op.drop_index("ix_relationship_phone", table_name="customer_relationship")
    op.drop_index("ix_relationship_related", table_name="customer_relationship")
    op.drop_index("ix_relationship_customer", table_name="customer_relationship")
    op.drop_table("customer_relationship")
