"""Failed sign-in counters, kept beside the keyslots because the database is still locked.

Updated under a file lock so that two processes guessing in parallel both count. The
pending events are entered into the audit log at the next successful sign-in by anyone.
"""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pharmdesk.clock import parse_iso, to_iso
from pharmdesk.errors import DATABASE_ERROR, DISK_FULL, PharmDeskError
from pharmdesk.store.engine import DISK_FULL_MESSAGE
from pharmdesk.store.files import read_json, write_json_atomic
from pharmdesk.store.locking import SideFileLock

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
MAX_DELAY_SECONDS = 4.0


def failure_delay(failures: int) -> float:
    """The pause after the n-th consecutive failure: 0.5 s, 1 s, 2 s, then 4 s."""
    if failures <= 0:
        return 0.0
    return float(min(MAX_DELAY_SECONDS, 0.5 * 2 ** (failures - 1)))


def _write(path: Path, data: dict[str, Any]) -> None:
    """Fail closed: an attempt that cannot be counted is refused, never let through."""
    try:
        write_json_atomic(path, data)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            # The very answer a right password gets on a full disk (the database cannot
            # record the sign-in either), so the disk being full tells nothing.
            raise PharmDeskError(DISK_FULL, DISK_FULL_MESSAGE) from None
        raise PharmDeskError(
            DATABASE_ERROR,
            "The sign-in counter file beside the database cannot be written, so nobody "
            "can sign in. Check that the folder is writable, then try again.",
        ) from None


@dataclass(frozen=True)
class AttemptState:
    failures: int
    locked_until: dt.datetime | None


class SignInAttempts:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = SideFileLock(path)

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            data: dict[str, Any] = {"users": {}, "pending": []}
            if self.path.exists():
                try:
                    loaded = read_json(self.path)
                    if isinstance(loaded, dict):
                        data.update(loaded)
                except (OSError, ValueError):
                    # A damaged counter file must not lock everyone out forever; start over.
                    pass
            before = repr(data)
            yield data
            if repr(data) != before:
                _write(self.path, data)

    def state(self, username: str, now: dt.datetime) -> AttemptState:
        with self._locked() as data:
            return self._state(data, username, now)

    @staticmethod
    def _state(data: dict[str, Any], username: str, now: dt.datetime) -> AttemptState:
        entry = data["users"].get(username)
        if not entry:
            return AttemptState(0, None)
        locked = entry.get("lockedUntil")
        locked_until = parse_iso(locked) if locked else None
        if locked_until is not None and locked_until <= now:
            return AttemptState(0, None)
        return AttemptState(int(entry.get("failures", 0)), locked_until)

    def record_failure(self, username: str, now: dt.datetime) -> AttemptState:
        with self._locked() as data:
            current = self._state(data, username, now)
            failures = current.failures + 1
            entry: dict[str, Any] = {"failures": failures, "lockedUntil": None}
            data["pending"].append({"at": to_iso(now), "user": username, "action": "signInFailed"})
            if failures >= MAX_FAILURES:
                until = now + LOCKOUT
                entry["lockedUntil"] = to_iso(until)
                data["pending"].append(
                    {
                        "at": to_iso(now),
                        "user": username,
                        "action": "lockedOut",
                        "until": to_iso(until),
                    }
                )
            data["users"][username] = entry
            locked = entry["lockedUntil"]
            return AttemptState(failures, parse_iso(locked) if locked else None)

    def record_locked_attempt(self, username: str, now: dt.datetime) -> None:
        with self._locked() as data:
            data["pending"].append({"at": to_iso(now), "user": username, "action": "lockedOut"})

    def clear(self, username: str) -> None:
        with self._locked() as data:
            data["users"].pop(username, None)

    def pending(self) -> list[dict[str, Any]]:
        """Failed-attempt events not yet entered into the audit log, oldest first."""
        with self._locked() as data:
            return list(data["pending"])

    def forget_pending(self, count: int) -> None:
        """Drop the first ``count`` events, once they are safely in the audit log."""
        with self._locked() as data:
            data["pending"] = data["pending"][count:]

    def locked_out_users(self, now: dt.datetime) -> set[str]:
        with self._locked() as data:
            return {name for name in data["users"] if self._state(data, name, now).locked_until}
