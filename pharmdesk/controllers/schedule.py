"""Delivery dates of a subscription: pure functions of dates, no database.

A subscription delivers on its start date (moved forward to the preferred weekday, when
there is one), then once per period:

- ``weekly`` and ``biweekly``: the previous next delivery plus 7 or 14 days.
- ``monthly`` and ``quarterly``: calendar months anchored to the start date's day, so a
  subscription started on 31 January delivers on 28 February, then 31 March (the day is
  clamped to the month's length and never drifts). The next delivery is the previous
  one plus one period (``relativedelta``), put back on the nearest anchor day.

Every date is then moved forward (0 to 6 days) to the preferred weekday. Snapping to
the nearest anchor day undoes that move: 28 February moved to Tuesday 3 March is still
February's delivery, so the one after it is 31 March, not 30 April.

When staff move a delivery off the cycle (approving a review late, resuming a pause),
the same rule brings the cycle back to its anchor day at the delivery nearest one
period later, so the gap stays within half a month of one period either way.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from dateutil.relativedelta import relativedelta

from pharmdesk.controllers.validation import WEEKDAYS

FREQUENCIES: Final = ("weekly", "biweekly", "monthly", "quarterly")
DAY_PERIODS: Final = {"weekly": 7, "biweekly": 14}
MONTH_PERIODS: Final = {"monthly": 1, "quarterly": 3}


def on_weekday(day: dt.date, delivery_day: str | None) -> dt.date:
    """``day`` itself, or the first later date that falls on ``delivery_day``."""
    if delivery_day is None:
        return day
    wanted = WEEKDAYS.index(delivery_day)
    return day + dt.timedelta(days=(wanted - day.weekday()) % 7)


def first_delivery(start: dt.date, delivery_day: str | None) -> dt.date:
    """The first delivery: the start date, or the first preferred weekday on or after it."""
    return on_weekday(start, delivery_day)


def _anchored(month: dt.date, anchor_day: int) -> dt.date:
    """The anchor day in ``month`` (any date of it), clamped to the month's last day."""
    return month.replace(day=1) + relativedelta(day=anchor_day)


def next_delivery_after(
    previous_next: dt.date,
    frequency: str,
    start_date: dt.date,
    delivery_day: str | None,
) -> dt.date:
    """The delivery after ``previous_next`` (the one just completed), on the same cycle."""
    if frequency in DAY_PERIODS:
        return on_weekday(previous_next + dt.timedelta(days=DAY_PERIODS[frequency]), delivery_day)
    if frequency not in MONTH_PERIODS:
        raise ValueError(f"unknown frequency {frequency!r}")
    target = previous_next + relativedelta(months=MONTH_PERIODS[frequency])
    candidates = [
        _anchored(target + relativedelta(months=shift), start_date.day) for shift in (-1, 0, 1)
    ]
    # Nearest anchor day; on a tie the earlier one (better a day early than short of medicine).
    nominal = min(candidates, key=lambda day: (abs((day - target).days), day))
    return on_weekday(nominal, delivery_day)


def catch_up(next_delivery: dt.date | None, today: dt.date, delivery_day: str | None) -> dt.date:
    """A next delivery that has passed moves to today, on the preferred weekday."""
    if next_delivery is None or next_delivery < today:
        return on_weekday(today, delivery_day)
    return next_delivery
