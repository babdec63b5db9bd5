"""sign-in counters on a branch server

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:50:00

On a branch server the failed sign-ins of every desk are counted in ``sign_in_counter``
(one row per username tried: consecutive failures, and until when the account is
locked), so that a person guessing cannot move from desk to desk. Only the server's
sign-in functions write it (``store/pg_signin_sql.py``); admins read it (listStaff).

Plain ``CREATE TABLE``: the same on SQLite, where the table stays empty (a single PC
counts in the file beside its key file, because the database is locked until a
password opens it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_counter",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sign_in_counter")
