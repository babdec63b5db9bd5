"""how many listed customers a broad search finds, kept by the branch server

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 13:20:00

A search answer carries its exact ``total`` (API.md). SQLite counts a search's matches
from its trigram index (0002) and the customers from the table's b-tree pages; PostgreSQL
has no stored count (every row's visibility is checked), so at a million customers the
list's total took 30 ms and a broad fragment's (``o``: 400,000 matches, ``ade``:
150,000) 130-140 ms, however the query was written.

On a server ``customer_search_count`` holds, for each search token, how many customers
not archived have it: the empty token (every listed customer: the unsearched list's
total), each name word's first one and first two characters (a search word of 1-2
characters, found at the start of a name word), and each run of three characters without
a space (a search word of 3 characters, found anywhere): exactly the LIKE rules of
``controllers/customers/search.py`` for a one-word search. Longer or several words keep
counting their (fewer) matches.

Triggers keep it with every write: a statement's new or removed customers at once (the
server import's copy sets them aside and fills the table after, see ``store/derived``),
and a customer whose name key or archived flag changed. The trigger function runs as the
database's owner: staff logins may read the table, not write it.

On SQLite nothing changes (the file has its index).
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TOKENS_FUNCTION = r"""
CREATE FUNCTION customer_search_tokens(name_key text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT ARRAY(
    SELECT DISTINCT token FROM (
        SELECT ''
        UNION ALL
        SELECT left(word, n) FROM regexp_split_to_table(name_key, ' ') AS word,
            (VALUES (1), (2)) AS lengths (n)
            WHERE char_length(word) >= n
        UNION ALL
        SELECT substr(name_key, i, 3) FROM generate_series(1, char_length(name_key) - 2) AS i
            WHERE strpos(substr(name_key, i, 3), ' ') = 0
    ) AS tokens (token)
)
$$
"""


def _trigger_function(name: str, schema: str, changes: str) -> str:
    """A trigger function adding ``changes`` (rows of token and +1 or -1) to the counts,
    in token order (two writers would lock the same rows in the same order)."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_catalog AS $$
BEGIN
    INSERT INTO customer_search_count AS kept (token, listed)
    SELECT token, sum(delta) FROM ({changes}) AS changes (token, delta)
    GROUP BY token HAVING sum(delta) <> 0 ORDER BY token
    ON CONFLICT (token) DO UPDATE SET listed = kept.listed + excluded.listed;
    RETURN NULL;
END
$$
"""


# A statement's new (argument 1) or removed (-1) customers, as a transition table.
STATEMENT_CHANGES = (
    "SELECT unnest(customer_search_tokens(name_key)), TG_ARGV[0]::int "
    "FROM changed WHERE NOT archived"
)
# One customer whose name key or archived flag changed.
ROW_CHANGES = (
    "SELECT unnest(customer_search_tokens(OLD.name_key)), -1 WHERE NOT OLD.archived "
    "UNION ALL SELECT unnest(customer_search_tokens(NEW.name_key)), 1 WHERE NOT NEW.archived"
)
TRIGGERS = (
    "CREATE TRIGGER customer_search_count_insert AFTER INSERT ON customer "
    "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
    "EXECUTE FUNCTION customer_search_count_statement('1')",
    "CREATE TRIGGER customer_search_count_delete AFTER DELETE ON customer "
    "REFERENCING OLD TABLE AS changed FOR EACH STATEMENT "
    "EXECUTE FUNCTION customer_search_count_statement('-1')",
    "CREATE TRIGGER customer_search_count_update AFTER UPDATE OF name_key, archived ON customer "
    "FOR EACH ROW WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key "
    "OR OLD.archived IS DISTINCT FROM NEW.archived) "
    "EXECUTE FUNCTION customer_search_count_row()",
)
# A frozen copy of store/derived.py's SERVER_SEARCH_COUNT_FILL.
FILL = (
    "INSERT INTO customer_search_count (token, listed) "
    "SELECT token, count(*) FROM customer, unnest(customer_search_tokens(name_key)) AS token "
    "WHERE NOT archived GROUP BY token"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()
    op.execute(
        "CREATE TABLE customer_search_count (token varchar(3) PRIMARY KEY, listed bigint NOT NULL)"
    )
    op.execute(TOKENS_FUNCTION)
    op.execute(_trigger_function("customer_search_count_statement", schema, STATEMENT_CHANGES))
    op.execute(_trigger_function("customer_search_count_row", schema, ROW_CHANGES))
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute(FILL)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS customer_search_count_{name} ON customer")
    op.execute("DROP FUNCTION IF EXISTS customer_search_count_statement()")
    op.execute("DROP FUNCTION IF EXISTS customer_search_count_row()")
    op.execute("DROP TABLE IF EXISTS customer_search_count")
    op.execute("DROP FUNCTION IF EXISTS customer_search_tokens(text)")
