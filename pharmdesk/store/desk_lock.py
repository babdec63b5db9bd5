"""The desks' transaction lock on a branch server, and the transactions that share.

Every PharmDesk transaction on a server takes one transaction-level advisory lock at its
start (``store/server.py``), the counterpart of SQLite's ``BEGIN IMMEDIATE``: the desks'
operations run one after another. A transaction opened as *shared* (an operation that
only reads, besides its audit entry) skips it: the audit functions take the same lock to
append (``store/pg_audit_sql.py``), and ``Database.exclusive`` takes it before a shared
transaction's first write.
"""

from __future__ import annotations

from typing import Any

# pg_advisory_xact_lock's key for "a PharmDesk transaction" (any fixed 64-bit number:
# "PHARMDSK"; the locks are per database, so databases on one server do not wait for
# each other).
TRANSACTION_LOCK = 0x5048_4152_4D44_534B
# The execution option that marks a shared transaction's connection.
SHARED = "pharmdesk_shared"


def take_transaction_lock(conn: Any) -> None:
    """Wait for the other desks' transactions, and hold them off until this one ends
    (its commit or rollback releases the lock, also when the connection drops)."""
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({TRANSACTION_LOCK})")
