"""Alembic environment: always run from PharmDesk on an open, unlocked connection."""

from __future__ import annotations

from alembic import context

from pharmdesk.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "PharmDesk migrations run on an unlocked database; use pharmdesk.store.migrate."
    )


def include_object(
    _obj: object, name: str | None, kind: str, _reflected: bool, _compare: object
) -> bool:
    """The FTS5 search index (0002) lives outside the ORM; autogenerate must leave it be."""
    return not (kind == "table" and (name or "").startswith("customer_search"))


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    render_as_batch=True,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
    if connection.dialect.name == "postgresql":
        # Imported here: only a server's migration needs it (and the TLS code it loads).
        from pharmdesk.store.server import server_objects

        server_objects(connection)
