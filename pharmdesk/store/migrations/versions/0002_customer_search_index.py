"""customer search index (FTS5 trigram) kept by triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:10:00

fetchCustomers must count and find name fragments and phone digits among a million
customers quickly. ``customer_search`` is a contentless FTS5 table with the trigram
tokenizer holding, for every customer who is not archived:

- ``name``: the name key with each word preceded by two spaces
  (``"  adaeze  okeke"``), so that a longer word is any 3+ character substring, a
  2-character word ``ok`` becomes the trigram ``" ok"`` (start of a name word) and a
  1-character word ``o`` becomes ``"  o"``: every word of a search has a trigram;
- ``phone``: the customer's ``phone_search`` digits (international and national forms).

Triggers keep it in step with the customer table in the same transaction as every
write, however the write is made (operations, demo bulk load, later migrations).
Contentless (the text lives in ``customer``), deleted with FTS5's ``'delete'`` command
and the old values, which works on every SQLite with FTS5 (``contentless_delete``
needs 3.43). SQLite only: PostgreSQL searches with the LIKE conditions themselves,
through pg_trgm GIN indexes on the name key and the phone digits (below).

Note for later migrations: rebuilding the customer table (Alembic batch mode) drops
these triggers; such a migration must create them again (``TRIGGERS`` below).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME_TEXT = "'  ' || replace({row}.name_key, ' ', '  ')"


def _values(row: str) -> str:
    return f"{row}.id, {NAME_TEXT.format(row=row)}, {row}.phone_search"


TRIGGERS = (
    f"""
    CREATE TRIGGER customer_search_insert AFTER INSERT ON customer
    WHEN NEW.archived = 0
    BEGIN
        INSERT INTO customer_search (rowid, name, phone) VALUES ({_values("NEW")});
    END
    """,
    f"""
    CREATE TRIGGER customer_search_update
    AFTER UPDATE OF name_key, phone_search, archived ON customer
    WHEN OLD.name_key IS NOT NEW.name_key OR OLD.phone_search IS NOT NEW.phone_search
        OR OLD.archived IS NOT NEW.archived
    BEGIN
        INSERT INTO customer_search (customer_search, rowid, name, phone)
            SELECT 'delete', {_values("OLD")} WHERE OLD.archived = 0;
        INSERT INTO customer_search (rowid, name, phone)
            SELECT {_values("NEW")} WHERE NEW.archived = 0;
    END
    """,
    f"""
    CREATE TRIGGER customer_search_delete AFTER DELETE ON customer
    WHEN OLD.archived = 0
    BEGIN
        INSERT INTO customer_search (customer_search, rowid, name, phone)
            VALUES ('delete', {_values("OLD")});
    END
    """,
)


# On PostgreSQL (branch server mode) the LIKE conditions themselves are the search: the
# pg_trgm GIN indexes below answer ``LIKE '%fragment%'`` on the name key and the phone
# digits, kept in step by the server like any index.
PG_INDEXES = {
    "ix_customer_name_trgm": "name_key",
    "ix_customer_phone_trgm": "phone_search",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON customer USING gin ({column} gin_trgm_ops)")
        return
    if dialect != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE customer_search USING fts5("
        "name, phone, tokenize = 'trigram case_sensitive 1', content = '')"
    )
    op.execute(
        "INSERT INTO customer_search (rowid, name, phone) "
        f"SELECT {_values('customer')} FROM customer WHERE customer.archived = 0"
    )
    for sql in TRIGGERS:
        op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        return
    if dialect != "sqlite":
        return
    for name in ("customer_search_insert", "customer_search_update", "customer_search_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS customer_search")
