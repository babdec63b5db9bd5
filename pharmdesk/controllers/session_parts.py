"""What a desk session is made of besides ``DeskSession`` itself: who is signed in, the
answers every sign-in path shares, the read that starts every operation, a closed
database, and entering failed attempts."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from pharmdesk.controllers import audit, sealing
from pharmdesk.errors import (
    AUTH_FAILED,
    PharmDeskError,
)
from pharmdesk.store import driver_sql
from pharmdesk.store.engine import Database
from pharmdesk.store.schema import Staff

CHECKPOINT_EVERY = dt.timedelta(minutes=5)
WRONG_PASSWORD = "Wrong username or password. Check both and try again."
ACCOUNT_DISABLED = (
    "Your account was disabled by an admin, so this session has ended. Ask an admin if "
    "this is a mistake."
)


@dataclass(frozen=True)
class StaffInfo:
    username: str
    full_name: str
    role: str
    must_change_password: bool
    # The sign-in found this PC's clock earlier than the newest audit entry.
    clock_behind: bool = False


# Read at the start of every operation, in its transaction. On a file the same statement
# reads the audit chain's head and seal state, which the operation's audit entry needs
# (``audit.prefetched``), and runs on the driver (``store/driver_sql``): one statement,
# not three. A server appends its entries itself (``audit._append_on_server``).
_STAFF_NOW = select(Staff.role, Staff.disabled).where(Staff.username == bindparam("username"))
_STAFF_AND_CHAIN = (
    "SELECT s.role, s.disabled, h.id, h.hash, a.id, a.seal_epoch, a.seal_key, a.sealed_at "
    "FROM staff s LEFT JOIN audit_entry h ON h.id = (SELECT max(id) FROM audit_entry) "
    "LEFT JOIN audit_state a ON a.id = 1 WHERE s.username = ?"
)


def staff_now(tx: Session, username: str) -> tuple[str, bool] | None:
    """The person's role and whether the account is disabled, as the database says now
    (None: no such staff row)."""
    conn = tx.connection()
    if conn.dialect.name != "sqlite":
        found = conn.execute(_STAFF_NOW, {"username": username}).first()
        return None if found is None else (found.role, bool(found.disabled))
    # fetchall: the statement is done (and reset) before anything else runs.
    rows = driver_sql.execute(conn, _STAFF_AND_CHAIN, (username,)).fetchall()
    if not rows:
        return None
    role, disabled, head_id, head_hash, state_id, *seal = rows[0]
    state = audit.SealState.stored(*seal) if state_id is not None else None
    if head_id is None:  # an empty log
        head_id, head_hash = 0, audit.GENESIS
    audit.prefetched(tx, audit.ChainStart(head_id, head_hash, state))
    return role, bool(disabled)


def _locked_message(until: dt.datetime) -> str:
    local = until.astimezone().strftime("%H:%M")
    return (
        f"Too many wrong passwords for this account: it is locked until {local}. "
        "Try again then, or ask an admin to unlock it."
    )


class _ClosedDatabase(Database):
    """What a locked or signed-out session holds instead of its database: no engine (so
    no key), and any late transaction is refused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.damage = None

    @contextlib.contextmanager
    def transaction(self, *, shared: bool = False) -> Iterator[Session]:
        raise PharmDeskError(AUTH_FAILED, "The session is locked. Sign in again.")
        yield  # never reached: makes this a generator like Database.transaction

    def close(self) -> None:
        """Already closed."""


class _Denied(Exception):
    """The signed-in person's role may not run the operation (raised inside its
    transaction, so nothing of it is kept; the refusal is audited after)."""


class _Revoked(Exception):
    """The signed-in person's account was disabled since the session began."""


def record_pending_failures(tx: Session, pending: list[dict[str, Any]], now: dt.datetime) -> None:
    """Enter the failed attempts counted while the database was locked (any way in:
    a staff sign-in or the recovery key)."""
    for event in pending:
        if event.get("action") == "tamper":
            sealing.record_tamper(tx, now, "", [event])
            continue
        failure = {"at": event["at"]}
        for extra in ("until", "method", "pinCleared"):  # pinCleared: see quick_unlock
            if extra in event:
                failure[extra] = event[extra]
        audit.append(
            tx,
            at=now,
            user=str(event["user"])[:64],
            action=str(event["action"]),
            entity_type="staff",
            entity_id=str(event["user"])[:24],
            outcome="failed",
            detail=failure,
        )
