"""each customer's first due refill, kept by the database

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:30:00

``customer.first_refill`` is the earliest ``next_delivery`` among the customer's active
subscriptions (NULL when none). With the index ``(archived, first_refill)``, "how many
customers have a refill due by D" is an index range count instead of a count of distinct
customers over every due subscription (64 ms at a million customers, growing with the
window).

Triggers on ``subscription`` keep it, so every write that enrolls, reviews, pauses,
resumes, cancels, moves a delivery or moves a subscription to another customer (a merge
and its undo) keeps it right without each remembering to: on SQLite three triggers, on
PostgreSQL one PL/pgSQL function. They only write ``first_refill``, which the search
index triggers of 0002 do not watch.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FIRST_DUE = (
    "(SELECT min(s.next_delivery) FROM subscription AS s{hint} "
    "WHERE s.customer_id = {who} AND s.status = 'active')"
)
# SQLite databases are not ANALYZEd: without statistics SQLite reads this through the
# covering index (status, next_delivery, customer_id), every active subscription of the
# branch for each write. Named, the (customer_id, status) index reads only this customer's.
SQLITE_HINT = " INDEXED BY ix_subscription_customer"
# The backfill: one pass over the active subscriptions, grouped (a correlated subquery per
# customer would be read through the covering index above: hours at a million customers).
BACKFILL = (
    "UPDATE customer SET first_refill = due.first_due FROM ("
    "SELECT customer_id, min(next_delivery) AS first_due FROM subscription "
    "WHERE status = 'active' GROUP BY customer_id) AS due "
    "WHERE customer.id = due.customer_id"
)


def _due(who: str) -> str:
    return FIRST_DUE.format(who=who, hint=SQLITE_HINT)


def _set(who: str) -> str:
    return f"UPDATE customer SET first_refill = {_due(who)} WHERE id = {who};"


SQLITE_TRIGGERS = (
    f"""
    CREATE TRIGGER subscription_first_refill_insert AFTER INSERT ON subscription
    BEGIN
        {_set("NEW.customer_id")}
    END
    """,
    f"""
    CREATE TRIGGER subscription_first_refill_update
    AFTER UPDATE OF status, next_delivery, customer_id ON subscription
    BEGIN
        {_set("NEW.customer_id")}
        UPDATE customer SET first_refill = {_due("OLD.customer_id")}
            WHERE id = OLD.customer_id AND OLD.customer_id <> NEW.customer_id;
    END
    """,
    f"""
    CREATE TRIGGER subscription_first_refill_delete AFTER DELETE ON subscription
    BEGIN
        {_set("OLD.customer_id")}
    END
    """,
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS subscription_first_refill_insert",
    "DROP TRIGGER IF EXISTS subscription_first_refill_update",
    "DROP TRIGGER IF EXISTS subscription_first_refill_delete",
)

POSTGRES_FUNCTION = f"""
CREATE FUNCTION subscription_first_refill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE customer SET first_refill = {FIRST_DUE.format(who="NEW.customer_id", hint="")}
            WHERE id = NEW.customer_id;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.customer_id <> NEW.customer_id) THEN
        UPDATE customer SET first_refill = {FIRST_DUE.format(who="OLD.customer_id", hint="")}
            WHERE id = OLD.customer_id;
    END IF;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER subscription_first_refill
AFTER INSERT OR DELETE OR UPDATE OF status, next_delivery, customer_id ON subscription
FOR EACH ROW EXECUTE FUNCTION subscription_first_refill()
"""


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite 3.35+, PostgreSQL): no rebuild, 0002's triggers stay.
    op.add_column("customer", sa.Column("first_refill", sa.Date(), nullable=True))
    op.execute(BACKFILL)
    op.create_index("ix_customer_first_refill", "customer", ["archived", "first_refill"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:  # pragma: no cover - PharmDesk runs on these two
        raise RuntimeError(f"no first_refill triggers for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DROP:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS subscription_first_refill ON subscription")
        op.execute("DROP FUNCTION IF EXISTS subscription_first_refill()")
    op.drop_index("ix_customer_first_refill", table_name="customer")
    op.drop_column("customer", "first_refill")
