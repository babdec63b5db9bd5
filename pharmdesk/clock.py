"""Time, in one place, so that tests can stand still and the branch's local date is one rule.

Timestamps are UTC to the second; dates are the branch PC's local calendar date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def to_iso(moment: dt.datetime) -> str:
    """ISO 8601 UTC to the second with Z, as API.md asks."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> dt.datetime:
    """Parse an API timestamp (``...Z`` or with an offset) into an aware UTC datetime."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return value.astimezone(dt.UTC).replace(microsecond=0)


@dataclass
class Clock:
    """The current moment; tests use ``FixedClock``."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)

    def today(self) -> dt.date:
        """The branch's local date."""
        return self.now().astimezone().date()

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone().date()

    def local_day_start(self, day: dt.date) -> dt.datetime:
        """The UTC moment at which a branch-local day starts."""
        local = dt.datetime.combine(day, dt.time.min).astimezone()
        return local.astimezone(dt.UTC)


@dataclass
class FixedClock(Clock):
    """A clock that only moves when told to (tests, demo data)."""

    moment: dt.datetime = dt.datetime(2026, 4, 18, 12, 0, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment = self.moment + dt.timedelta(**delta)
