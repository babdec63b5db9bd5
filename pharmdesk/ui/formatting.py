"""How values read on screen: ₦ amounts, local dates, readable phone numbers."""

from __future__ import annotations

import datetime as dt
from html import escape

import humanize
import phonenumbers

from pharmdesk.clock import parse_iso


def plain_tooltip(text: str | None) -> str:
    """``text`` as a tooltip that shows it literally ("" for none). Tooltips guess
    rich text from a leading tag and have no plain-text switch (API.md v3: stored text is
    never Qt rich text), so the text is escaped inside rich text that keeps its lines."""
    if not text:
        return ""
    return f"<p style='white-space:pre-wrap'>{escape(text)}</p>"


CURRENCY_SYMBOLS = {"NGN": "₦", "GHS": "GH₵", "KES": "KSh", "USD": "$", "GBP": "£", "EUR": "€"}


def money(amount: int, currency: str = "NGN") -> str:
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    return f"{symbol}{amount:,}"


def national_phone(e164: str | None, region: str = "NG") -> str:
    """``+2348012345678`` as staff write it: ``0801 234 5678`` (international if foreign)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def local_date(timestamp: str | None) -> str:
    """An API timestamp as the branch's local date, e.g. ``10 Apr 2026``."""
    if not timestamp:
        return ""
    return parse_iso(timestamp).astimezone().strftime("%d %b %Y")


def day(value: str | None) -> str:
    if not value:
        return ""
    return dt.date.fromisoformat(value).strftime("%d %b %Y")


def ago(timestamp: str | None, now: dt.datetime) -> str:
    if not timestamp:
        return ""
    # "16 days ago", not "a month ago": staff count days between refills.
    return humanize.naturaltime(now - parse_iso(timestamp), months=False)
