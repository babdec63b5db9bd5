"""Screens of the completed customer record: relationships, payer, merge, the customer's
rights (access report, erasure). Each calls the operations of API.md; none opens the store."""
