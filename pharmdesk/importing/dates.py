"""Dates as spreadsheets and old systems write them: 1985-06-15, 15/06/1985, 15-Jun-1985.

An all-number date such as 03/04/1985 is read day first or month first by the branch
region's own convention (Nigeria writes the day first, the United States the month),
unless one of its numbers can only be a day (15/06/1985 and 06/15/1985 are both clear).
"""

from __future__ import annotations

import datetime as dt
import functools
import re

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
EXAMPLES = "1985-06-15, 15/06/1985 or 15-Jun-1985"

_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_NUMERIC = re.compile(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2}|\d{4})")
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[-/. ]+([a-z]+)\.?,?[-/. ]+(\d{2}|\d{4})")
_MONTH_NAME_DAY = re.compile(r"([a-z]+)\.?[-/. ]+(\d{1,2})(?:st|nd|rd|th)?,?[-/. ]+(\d{2}|\d{4})")


class UnreadableDate(ValueError):
    """The text is not a date in any form we read; ``str()`` is the desk's message."""


@functools.cache
def day_first(region: str) -> bool:
    """Whether the region writes all-number dates day first (its short date pattern)."""
    # Imported here: babel's locale data loads slowly, and only an import reads dates.
    from babel import Locale, UnknownLocaleError
    from babel.dates import get_date_format

    for tag in (f"en_{region}", f"und_{region}"):
        try:
            locale = Locale.parse(tag)
        except (UnknownLocaleError, ValueError):
            continue
        if locale.territory != region:
            continue  # babel's fallback for an unknown region is en_US: not a convention
        pattern = get_date_format("short", locale).pattern
        day, month = pattern.find("d"), pattern.find("M")
        if day >= 0 and month >= 0:
            return day < month or pattern.find("y") == 0  # y/MM/dd: dd/mm/y is the other form
    return True  # most of the world


def _year(text: str, today: dt.date) -> int:
    """A two-digit year is the latest year ending in those digits not after today."""
    year = int(text)
    if len(text) == 4:
        return year
    century = today.year - today.year % 100
    return century + year if century + year <= today.year else century - 100 + year


def _make(text: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise UnreadableDate(f"'{text}' is not a real date. Check the day and month.") from None


def parse_date(text: str, *, day_first: bool, today: dt.date) -> dt.date | None:
    """The date ``text`` names, None when blank; raises ``UnreadableDate``."""
    value = " ".join(text.split()).casefold()
    if not value:
        return None
    match = _ISO.fullmatch(value)
    if match:
        return _make(text, int(match[1]), int(match[2]), int(match[3]))
    match = _NUMERIC.fullmatch(value)
    if match:
        first, second, year = int(match[1]), int(match[2]), _year(match[3], today)
        if first > 12 or (day_first and second <= 12):
            return _make(text, year, second, first)
        return _make(text, year, first, second)
    match = _DAY_MONTH_NAME.fullmatch(value)
    if match and match[2] in MONTHS:
        return _make(text, _year(match[3], today), MONTHS[match[2]], int(match[1]))
    match = _MONTH_NAME_DAY.fullmatch(value)
    if match and match[1] in MONTHS:
        return _make(text, _year(match[3], today), MONTHS[match[1]], int(match[2]))
    raise UnreadableDate(
        f"'{text.strip()[:40]}' is not a date PharmDesk can read. Write it like {EXAMPLES}."
    )
