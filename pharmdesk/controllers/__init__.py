"""The operations of API.md as plain Python. No Qt here."""
