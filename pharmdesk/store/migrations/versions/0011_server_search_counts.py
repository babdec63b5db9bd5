"""how many listed customers a broad search or a condition finds, kept by the server

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

``customer_condition_count`` does the same for the condition segment: listed customers
per condition key (diabetes: 178,000 key rows counted, less the archived customers
holding one, took 60 ms).

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


def _trigger_function(
    name: str, schema: str, changes: str, table: str = "customer_search_count", key: str = "token"
) -> str:
    """A trigger function adding ``changes`` (rows of key and +1 or -1) to the counts of
    ``table``, in key order (two writers would lock the same rows in the same order)."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_catalog AS $$
BEGIN
    INSERT INTO {table} AS kept ({key}, listed)
    SELECT {key}, sum(delta) FROM ({changes}) AS changes ({key}, delta)
    GROUP BY {key} HAVING sum(delta) <> 0 ORDER BY {key}
    ON CONFLICT ({key}) DO UPDATE SET listed = kept.listed + excluded.listed;
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

# The condition segment's counterpart: listed customers per condition key (a customer
# holds each key once). Kept by the condition rows' writes, and by a customer's archived
# flag (all of their keys at once).
LISTED = "EXISTS (SELECT 1 FROM customer c WHERE c.id = {who} AND NOT c.archived)"
CONDITION_FUNCTIONS = {
    "customer_condition_count_statement": "SELECT k.label_key, TG_ARGV[0]::int FROM changed k "
    "JOIN customer c ON c.id = k.customer_id WHERE NOT c.archived",
    "customer_condition_count_row": (
        f"SELECT OLD.label_key, -1 WHERE {LISTED.format(who='OLD.customer_id')} "
        f"UNION ALL SELECT NEW.label_key, 1 WHERE {LISTED.format(who='NEW.customer_id')}"
    ),
    "customer_condition_count_archived": "SELECT k.label_key, CASE WHEN NEW.archived THEN -1 "
    "ELSE 1 END FROM customer_condition k WHERE k.customer_id = NEW.id",
}
CONDITION_TRIGGERS = (
    "CREATE TRIGGER customer_condition_count_insert AFTER INSERT ON customer_condition "
    "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
    "EXECUTE FUNCTION customer_condition_count_statement('1')",
    "CREATE TRIGGER customer_condition_count_delete AFTER DELETE ON customer_condition "
    "REFERENCING OLD TABLE AS changed FOR EACH STATEMENT "
    "EXECUTE FUNCTION customer_condition_count_statement('-1')",
    "CREATE TRIGGER customer_condition_count_update "
    "AFTER UPDATE OF label_key, customer_id ON customer_condition "
    "FOR EACH ROW WHEN (OLD.label_key IS DISTINCT FROM NEW.label_key "
    "OR OLD.customer_id IS DISTINCT FROM NEW.customer_id) "
    "EXECUTE FUNCTION customer_condition_count_row()",
    "CREATE TRIGGER customer_condition_count_archived AFTER UPDATE OF archived ON customer "
    "FOR EACH ROW WHEN (OLD.archived IS DISTINCT FROM NEW.archived) "
    "EXECUTE FUNCTION customer_condition_count_archived()",
)
# Frozen copies of store/derived.py's SERVER_FILLS.
FILLS = (
    "INSERT INTO customer_search_count (token, listed) "
    "SELECT token, count(*) FROM customer, unnest(customer_search_tokens(name_key)) AS token "
    "WHERE NOT archived GROUP BY token",
    "INSERT INTO customer_condition_count (label_key, listed) "
    "SELECT k.label_key, count(*) FROM customer_condition k "
    "JOIN customer c ON c.id = k.customer_id WHERE NOT c.archived GROUP BY k.label_key",
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
    op.execute(
        "CREATE TABLE customer_condition_count ("
        "label_key varchar(120) PRIMARY KEY, listed bigint NOT NULL)"
    )
    for name, changes in CONDITION_FUNCTIONS.items():
        op.execute(
            _trigger_function(name, schema, changes, "customer_condition_count", "label_key")
        )
    for statement in CONDITION_TRIGGERS:
        op.execute(statement)
    for statement in FILLS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in CONDITION_FUNCTIONS:  # and their triggers
        op.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")
    op.execute("DROP TABLE IF EXISTS customer_condition_count")
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS customer_search_count_{name} ON customer")
    op.execute("DROP FUNCTION IF EXISTS customer_search_count_statement()")
    op.execute("DROP FUNCTION IF EXISTS customer_search_count_row()")
    op.execute("DROP TABLE IF EXISTS customer_search_count")
    op.execute("DROP FUNCTION IF EXISTS customer_search_tokens(text)")
