"""keyslots for server backups

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:20:00

A branch server's backup is encrypted under a fresh backup key, sealed to the public key
of every admin's keyslot and of the recovery key's (``store/backup/server_keys.py``).
``backup_keyslot`` keeps those slots on the server, so any desk (or the server PC's
scheduled task) can seal a backup to them without knowing anyone's password. A slot is
the public half of a keyslot: the key pair's private half stays wrapped under the
person's password (Argon2id); no database or backup key is stored here.

Plain ``CREATE TABLE``: the same on SQLite (where the table stays empty: a file's backup
carries its own vault) and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backup_keyslot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("slot", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("kind", "owner", name="uq_backup_keyslot_owner"),
    )


def downgrade() -> None:
    op.drop_table("backup_keyslot")
