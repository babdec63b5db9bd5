"""The Outbox tab: the panel, its table columns, and what it reports after each action."""
