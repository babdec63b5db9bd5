"""audit chain format 2, forward-secure seals, customers shown, sidecar bookkeeping

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 01:00:00

- ``audit_entry`` gains ``detail_hash`` (chain format 2: the entry hash covers the
  detail's own hash, so a detail can be redacted without breaking the chain), ``epoch``
  and ``mac`` (the forward-secure seal). Entries written before stay as they are
  (NULLs) and verify by the format-1 rule, as before.
- ``audit_customer`` (customer_id, entry_id): the customers each entry showed or changed;
  filled here from the entries that name a customer as their entity, and from then on by
  the audit writer.
- ``audit_state``: one row; the current seal epoch and key, and what PharmDesk last saw
  of the sign-in counter file and the checkpoint.

``ADD COLUMN`` and new tables only: no table rebuild, the search triggers of 0002 stay.
A downgrade keeps the three entry columns (format-2 entries need them to verify).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


NEW_COLUMNS = (
    ("detail_hash", sa.String(64)),
    ("epoch", sa.Integer()),
    ("mac", sa.String(64)),
)


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("audit_entry")}
    for name, type_ in NEW_COLUMNS:
        if name not in present:  # kept by a downgrade: see there
            op.add_column("audit_entry", sa.Column(name, type_, nullable=True))
    op.create_table(
        "audit_customer",
        sa.Column("customer_id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(), primary_key=True),
    )
    op.create_table(
        "audit_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seal_epoch", sa.Integer(), nullable=True),
        sa.Column("seal_key", sa.String(64), nullable=True),
        sa.Column("sealed_at", sa.DateTime(), nullable=True),
        sa.Column("attempts_seq", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
    )
    op.execute(
        "INSERT INTO audit_customer (customer_id, entry_id) "
        "SELECT CAST(substr(entity_id, 6) AS INTEGER), id FROM audit_entry "
        "WHERE entity_type = 'customer' AND entity_id LIKE 'CUST-%'"
    )


def downgrade() -> None:
    # The entry columns stay: entries written in format 2 verify only with their detail
    # hash (and seal). An older PharmDesk ignores them and writes format-1 entries (NULLs),
    # which verify as before; upgrading again finds them in place.
    op.drop_table("audit_state")
    op.drop_table("audit_customer")
