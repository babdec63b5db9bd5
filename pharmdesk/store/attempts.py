"""Failed sign-in counters, kept beside the keyslots because the database is still locked.

Updated under a file lock so that two processes guessing in parallel both count. The
pending events are entered into the audit log at the next successful sign-in by anyone.

Every write bumps a sequence number (``seq``) that the database records at each sign-in,
so a counter file deleted or put back from an older copy is noticed there (a ``tamper``
entry). Deleting it must not buy a guesser a fresh set of tries either: when the key file
is there but the counter file is missing or unreadable, it is made again with every
account on its *last* try before lock-out (``floor``), and a ``tamper`` event waits for
the next sign-in. The failed attempts it held are gone with it; the ``tamper`` entry says
so.
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


TAMPER = "tamper"


class SignInAttempts:
    def __init__(self, path: Path, guard: Path | None = None) -> None:
        """``guard``: the key file; while it exists, this file is expected to exist too."""
        self.path = path
        self.guard = guard
        self._lock = SideFileLock(path)

    @classmethod
    def beside(cls, files: Any) -> SignInAttempts:
        """The counter file of a database (``paths.DatabaseFiles``), guarded by its key file."""
        return cls(files.attempts, files.vault)

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            data: dict[str, Any] = {"users": {}, "pending": [], "seq": 0}
            problem = None
            if self.path.exists():
                try:
                    loaded = read_json(self.path)
                    if not isinstance(loaded, dict):
                        raise ValueError("not an object")
                    data.update(loaded)
                except (OSError, ValueError):
                    problem = "unreadable"
            elif self.guard is not None and self.guard.exists():
                problem = "missing"
            if problem is not None:
                # Start over, but with one try left for everyone (not five), and say so.
                data = {"users": {}, "seq": 0, "floor": MAX_FAILURES - 1}
                data["pending"] = [
                    {
                        "at": to_iso(dt.datetime.now(dt.UTC)),
                        "user": "",
                        "action": TAMPER,
                        "file": "signInCounters",
                        "found": problem,
                    }
                ]
            before = repr(data)
            yield data
            if repr(data) != before or problem is not None:
                data["seq"] = int(data.get("seq", 0)) + 1
                _write(self.path, data)

    def pending_and_seq(self) -> tuple[list[dict[str, Any]], int]:
        """``pending()`` and ``seq()`` in one read of the file (every sign-in asks both)."""
        with self._locked() as data:
            if not self.path.exists():
                data["seq"] = int(data.get("seq", 0)) + 1
            return list(data["pending"]), int(data["seq"])

    def seq(self) -> int:
        """The file's sequence number (writing the file first when it is not there)."""
        with self._locked() as data:
            if not self.path.exists():
                data["seq"] = int(data.get("seq", 0)) + 1
            return int(data["seq"])

    def forgive_missing(self) -> None:
        """The database never knew this file (made before counters were tracked): its
        absence was no tampering, so the one-try floor and the event go."""
        with self._locked() as data:
            data.pop("floor", None)
            data["pending"] = [e for e in data["pending"] if e.get("action") != TAMPER]

    def state(self, username: str, now: dt.datetime) -> AttemptState:
        with self._locked() as data:
            return self._state(data, username, now)

    @staticmethod
    def _state(data: dict[str, Any], username: str, now: dt.datetime) -> AttemptState:
        entry = data["users"].get(username)
        if not entry:
            return AttemptState(int(data.get("floor", 0)), None)
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
            if data.get("floor"):
                data["users"][username] = {"failures": 0, "lockedUntil": None}
            else:
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
