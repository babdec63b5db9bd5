"""The customer record, completed (API.md): relationships, payer, merging duplicates, and
the customer's own rights (access report, erasure). One small module per operation group."""
