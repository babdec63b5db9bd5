"""Alembic environment: always run from PharmDesk on an open, unlocked connection."""

from __future__ import annotations

from alembic import context

from pharmdesk.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "PharmDesk migrations run on an unlocked database; use pharmdesk.store.migrate."
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
