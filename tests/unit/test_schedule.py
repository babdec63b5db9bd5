"""Delivery dates: first delivery, one period on, month anchoring, weekday moves."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmdesk.controllers.schedule import (
    FREQUENCIES,
    WEEKDAYS,
    catch_up,
    first_delivery,
    next_delivery_after,
    on_weekday,
)

D = dt.date.fromisoformat
weekdays = st.sampled_from(WEEKDAYS)
maybe_weekday = st.none() | weekdays
starts = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))
MONTHS = {"monthly": 1, "quarterly": 3}
DAYS = {"weekly": 7, "biweekly": 14}


# -- first delivery and weekday moves -------------------------------------------------------
def test_first_delivery_without_preferred_day_is_the_start_date() -> None:
    assert first_delivery(D("2026-04-18"), None) == D("2026-04-18")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("Saturday", "2026-04-18"),  # the start date is a Saturday: same day
        ("Sunday", "2026-04-19"),
        ("Monday", "2026-04-20"),
        ("Friday", "2026-04-24"),  # six days on, never seven
    ],
)
def test_first_delivery_is_first_preferred_weekday_on_or_after_start(
    day: str, expected: str
) -> None:
    assert first_delivery(D("2026-04-18"), day) == D(expected)


def test_catch_up_moves_a_passed_delivery_to_today_on_the_weekday() -> None:
    today = D("2026-04-18")  # Saturday
    assert catch_up(D("2026-04-01"), today, None) == today
    assert catch_up(D("2026-04-01"), today, "Tuesday") == D("2026-04-21")
    assert catch_up(None, today, "Saturday") == today
    # A delivery still ahead (or today) is left alone.
    assert catch_up(D("2026-05-01"), today, "Tuesday") == D("2026-05-01")
    assert catch_up(today, today, None) == today


# -- one period on ------------------------------------------------------------------------
def test_weekly_and_biweekly_add_seven_and_fourteen_days() -> None:
    start = D("2026-04-20")  # Monday
    assert next_delivery_after(start, "weekly", start, "Monday") == D("2026-04-27")
    assert next_delivery_after(start, "biweekly", start, "Monday") == D("2026-05-04")
    assert next_delivery_after(start, "weekly", start, None) == D("2026-04-27")


def test_weekly_after_an_off_weekday_date_moves_to_the_preferred_day() -> None:
    # Approved late on a Saturday: next is a week on, then forward to Monday.
    assert next_delivery_after(D("2026-04-18"), "weekly", D("2026-04-01"), "Monday") == D(
        "2026-04-27"
    )


def test_monthly_is_anchored_to_the_start_day_and_clamped() -> None:
    start = D("2026-01-31")
    feb = next_delivery_after(start, "monthly", start, None)
    mar = next_delivery_after(feb, "monthly", start, None)
    apr = next_delivery_after(mar, "monthly", start, None)
    assert (feb, mar, apr) == (D("2026-02-28"), D("2026-03-31"), D("2026-04-30"))


def test_monthly_in_a_leap_year_uses_29_february() -> None:
    start = D("2028-01-30")
    assert next_delivery_after(start, "monthly", start, None) == D("2028-02-29")
    assert next_delivery_after(D("2028-02-29"), "monthly", start, None) == D("2028-03-30")


def test_quarterly_adds_three_calendar_months_anchored() -> None:
    start = D("2025-11-30")
    first = next_delivery_after(start, "quarterly", start, None)
    second = next_delivery_after(first, "quarterly", start, None)
    assert (first, second) == (D("2026-02-28"), D("2026-05-30"))


def test_a_weekday_move_into_the_next_month_does_not_skip_a_month() -> None:
    # Start Saturday 31 Jan, deliveries on Tuesdays: 3 Feb is January's delivery, and
    # 28 Feb (Saturday) moves to Tuesday 3 March, which is February's.
    start = D("2026-01-31")
    first = first_delivery(start, "Tuesday")
    second = next_delivery_after(first, "monthly", start, "Tuesday")
    third = next_delivery_after(second, "monthly", start, "Tuesday")
    fourth = next_delivery_after(third, "monthly", start, "Tuesday")
    assert [first, second, third, fourth] == [
        D("2026-02-03"),
        D("2026-03-03"),
        D("2026-03-31"),
        D("2026-05-05"),
    ]


def test_after_an_off_cycle_delivery_the_cycle_returns_to_its_anchor_day() -> None:
    start = D("2026-01-01")
    # Delivered on 30 March (off cycle): a month on is 30 April, nearest anchor 1 May.
    assert next_delivery_after(D("2026-03-30"), "monthly", start, None) == D("2026-05-01")
    # Delivered on 10 March: a month on is 10 April, nearest anchor 1 April.
    assert next_delivery_after(D("2026-03-10"), "monthly", start, None) == D("2026-04-01")
    # Exactly between two anchors: the earlier one.
    assert next_delivery_after(D("2026-03-16"), "monthly", start, None) == D("2026-04-01")
    assert next_delivery_after(D("2026-03-20"), "quarterly", start, None) == D("2026-07-01")
    # Anchored on the 31st, delivered on 1 March: 31 March, not 30 April.
    assert next_delivery_after(D("2026-03-01"), "monthly", D("2026-01-31"), None) == D("2026-03-31")


def test_unknown_frequency_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="frequency"):
        next_delivery_after(D("2026-01-01"), "daily", D("2026-01-01"), None)


# -- properties ---------------------------------------------------------------------------
@settings(deadline=None, max_examples=200)
@given(start=starts, day=maybe_weekday, frequency=st.sampled_from(sorted(MONTHS)))
def test_month_deliveries_follow_the_anchored_calendar(
    start: dt.date, day: str | None, frequency: str
) -> None:
    """The nth delivery is start + n periods (relativedelta, clamped), moved to the weekday."""
    delivery = first_delivery(start, day)
    for n in range(1, 15):
        delivery = next_delivery_after(delivery, frequency, start, day)
        expected = on_weekday(start + relativedelta(months=n * MONTHS[frequency]), day)
        assert delivery == expected


@settings(deadline=None, max_examples=200)
@given(start=starts, day=maybe_weekday, frequency=st.sampled_from(sorted(DAYS)))
def test_day_deliveries_are_a_fixed_number_of_days_apart(
    start: dt.date, day: str | None, frequency: str
) -> None:
    delivery = first_delivery(start, day)
    for n in range(1, 10):
        following = next_delivery_after(delivery, frequency, start, day)
        assert following - delivery == dt.timedelta(days=DAYS[frequency])
        assert following == first_delivery(start, day) + dt.timedelta(days=n * DAYS[frequency])
        delivery = following


@settings(deadline=None, max_examples=300)
@given(
    start=starts,
    previous=starts,
    day=maybe_weekday,
    frequency=st.sampled_from(FREQUENCIES),
)
def test_next_delivery_from_any_date_is_later_on_the_weekday_and_within_bounds(
    start: dt.date, previous: dt.date, day: str | None, frequency: str
) -> None:
    """Whatever moved the previous delivery (review, resume), the next one is sane."""
    following = next_delivery_after(previous, frequency, start, day)
    gap = (following - previous).days
    if day is not None:
        assert following.strftime("%A") == day
    if frequency in DAYS:
        assert DAYS[frequency] <= gap <= DAYS[frequency] + 6
    else:
        # One period (28 to 31 days a month) give or take half a month, plus the weekday.
        months = MONTHS[frequency]
        assert months * 28 - 15 <= gap <= months * 31 + 15 + 6
        if day is None:  # without a weekday move the day is the clamped anchor day
            anchored = following.replace(day=1) + relativedelta(day=start.day)
            assert following == anchored


@settings(deadline=None, max_examples=200)
@given(moment=starts, day=weekdays)
def test_on_weekday_moves_forward_by_less_than_a_week(moment: dt.date, day: str) -> None:
    moved = on_weekday(moment, day)
    assert moved.strftime("%A") == day
    assert 0 <= (moved - moment).days <= 6
