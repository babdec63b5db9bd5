"""Everything that touches the database file. Knows nothing of Qt or controllers."""
