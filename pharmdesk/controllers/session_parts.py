"""What a desk session is made of besides ``DeskSession`` itself: who is signed in, the
answers every sign-in path shares, a closed database, and entering failed attempts."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pharmdesk.controllers import audit, sealing
from pharmdesk.errors import (
    AUTH_FAILED,
    PharmDeskError,
)
from pharmdesk.store.engine import Database

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
    def transaction(self) -> Iterator[Session]:
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
