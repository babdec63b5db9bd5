"""The one place where input is checked and normalised.

Two kinds of rules live here: the *shape* of an operation's JSON params (strict types,
unknown keys refused, defaults) and the *meaning* of customer fields (names, phones,
emails, dates). The GUI forms call the same field rules so that a message reads the
same wherever it appears.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers

from pharmdesk.clock import parse_iso
from pharmdesk.controllers.text import key_ignores, normalise_text, single_script
from pharmdesk.errors import validation

ABSENT: Any = object()
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_LIST_ITEMS = 50
MAX_LABEL = 120


# -- normalisation ------------------------------------------------------------------------
def search_key(text: str) -> str:
    """Case-folded, accents and invisible characters removed, spaces collapsed: how names
    and labels compare and sort. Made from the normalised text, so a value stored with
    invisible characters (before API.md v3) gives the same key as its clean form."""
    if text.isascii():
        return " ".join(normalise_text(text).lower().split())
    decomposed = unicodedata.normalize("NFKD", normalise_text(text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if not stripped.isascii():  # rarely: invisible marks (variation selectors...) left
        stripped = "".join(ch for ch in stripped if ch.isascii() or not key_ignores(ch))
    return " ".join(stripped.split())


def clean_text(value: str) -> str:
    """One line of free text as API.md v3 wants it stored (see ``text.normalise_text``)."""
    return normalise_text(value)


# -- display ids --------------------------------------------------------------------------
def parse_display_id(value: Any, prefix: str, field_name: str) -> int:
    if not isinstance(value, str):
        raise validation(f"{field_name} must be an id such as {prefix}-12.", field_name)
    match = re.fullmatch(rf"{prefix}-([1-9][0-9]{{0,17}})", value.strip(), flags=re.IGNORECASE)
    if not match:
        raise validation(
            f"'{value[:40]}' is not a valid id; expected one such as {prefix}-12.", field_name
        )
    return int(match.group(1))


def display_id(prefix: str, number: int) -> str:
    return f"{prefix}-{number}"


# -- customer fields ----------------------------------------------------------------------
def customer_name(value: str, field_name: str = "name") -> str:
    name = clean_text(value)
    if len(name) < 2:
        raise validation("Enter the customer's name (at least 2 characters).", field_name)
    if len(name) > 120:
        raise validation("The name is too long (at most 120 characters).", field_name)
    return single_script(name, field_name)


def phone_e164(value: str, region: str, field_name: str = "phone") -> str:
    text = value.strip()
    if not text:
        raise validation("Enter a phone number.", field_name)
    candidate = text
    digits = re.sub(r"\D", "", text)
    if not text.startswith("+") and digits.startswith("234") and len(digits) >= 12:
        candidate = "+" + digits  # "2348012345678" is an international number without "+"
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        raise validation(f"Phone number {text} is not a valid number.", field_name) from None
    if not phonenumbers.is_valid_number(number):
        raise validation(f"Phone number {text} is not a valid number.", field_name)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_forms(e164: str) -> str:
    """Digits of the international and national forms, for search by a few digits."""
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return f"{e164.lstrip('+')} {re.sub(r'[^0-9]', '', national)}"


def phone_display(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def email_address(value: str, field_name: str = "email") -> str:
    # Imported here: it compiles large patterns at import, and most operations never
    # see an email (this keeps every `pharmdesk call` start-up shorter).
    from email_validator import EmailNotValidError, validate_email

    text = value.strip()
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise validation(
            f"'{text[:80]}' is not a valid email address (expected name@example.com).",
            field_name,
        ) from None
    return str(result.normalized)


def date_of_birth(value: dt.date, today: dt.date, field_name: str = "dateOfBirth") -> dt.date:
    if value > today:
        raise validation("The date of birth cannot be in the future.", field_name)
    if value < dt.date(1900, 1, 1):
        raise validation("The date of birth cannot be before 1900-01-01.", field_name)
    return value


def label_list(values: list[str], field_name: str) -> list[str]:
    """A list of short labels (allergies, conditions, medications): normalised, one
    alphabet per word, no blanks, no repeats."""
    seen: set[str] = set()
    cleaned: list[str] = []
    for raw in values:
        label = clean_text(raw)
        if not label:
            raise validation(f"{field_name} cannot contain an empty entry.", field_name)
        if len(label) > MAX_LABEL:
            raise validation(
                f"Each entry of {field_name} must be at most {MAX_LABEL} characters.",
                field_name,
            )
        single_script(label, field_name)
        key = search_key(label)
        if key not in seen:
            seen.add(key)
            cleaned.append(label)
    if len(cleaned) > MAX_LIST_ITEMS:
        raise validation(f"{field_name} can hold at most {MAX_LIST_ITEMS} entries.", field_name)
    return cleaned


# -- param shapes -------------------------------------------------------------------------
Converter = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Param:
    """One accepted key of an operation's params."""

    convert: Converter
    required: bool = False
    default: Any = ABSENT
    # False: a null counts as "not given". True: null reaches the converter (which
    # accepts it with ``nullable`` to clear a field, or refuses it).
    keep_null: bool = False


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def string(min_len: int = 0, max_len: int = 10_000, *, strip: bool = True) -> Converter:
    def convert(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise validation(f"{name} must be text, not {_type_name(value)}.", name)
        text = value.strip() if strip else value
        if len(text) < min_len:
            if min_len == 1:
                raise validation(f"{name} cannot be empty.", name)
            raise validation(f"{name} must be at least {min_len} characters.", name)
        if len(text) > max_len:
            raise validation(f"{name} must be at most {max_len} characters.", name)
        return text

    return convert


def free_text(min_len: int = 0, max_len: int = 10_000, *, multiline: bool = False) -> Converter:
    """Free text (names, addresses, notes, reasons...): normalised as API.md v3 says
    before its length is checked. ``multiline`` keeps line breaks (notes)."""

    def convert(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise validation(f"{name} must be text, not {_type_name(value)}.", name)
        if len(value) > 4 * max_len + 100:  # refused before the work of normalising it
            raise validation(f"{name} must be at most {max_len} characters.", name)
        return string(min_len, max_len)(name, normalise_text(value, multiline=multiline))

    return convert


def integer(minimum: int | None = None, maximum: int | None = None) -> Converter:
    def convert(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise validation(f"{name} must be a whole number, not {_type_name(value)}.", name)
        if minimum is not None and value < minimum:
            raise validation(f"{name} must be at least {minimum}.", name)
        if maximum is not None and value > maximum:
            raise validation(f"{name} must be at most {maximum}.", name)
        return value

    return convert


def boolean() -> Converter:
    def convert(name: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise validation(f"{name} must be true or false, not {_type_name(value)}.", name)
        return value

    return convert


def choice(*options: str) -> Converter:
    def convert(name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            shown = value if isinstance(value, str) else _type_name(value)
            raise validation(
                f"{name} must be one of {', '.join(options)} (got {str(shown)[:40]}).", name
            )
        return value

    return convert


def string_list(max_item: int = MAX_LABEL) -> Converter:
    def convert(name: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise validation(f"{name} must be a list of text entries.", name)
        return label_list(value, name) if max_item == MAX_LABEL else list(value)

    return convert


def date_value() -> Converter:
    def convert(name: str, value: Any) -> dt.date:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise validation(f"{name} must be a date written YYYY-MM-DD.", name)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise validation(f"{name}: {value} is not a real date.", name) from None

    return convert


def timestamp() -> Converter:
    def convert(name: str, value: Any) -> dt.datetime:
        if not isinstance(value, str):
            raise validation(f"{name} must be a timestamp such as 2026-04-18T12:00:00Z.", name)
        try:
            return parse_iso(value)
        except ValueError:
            raise validation(
                f"{name} must be a timestamp such as 2026-04-18T12:00:00Z.", name
            ) from None

    return convert


def entity_id(prefix: str) -> Converter:
    def convert(name: str, value: Any) -> int:
        return parse_display_id(value, prefix, name)

    return convert


def obj(spec: Mapping[str, Param]) -> Converter:
    def convert(name: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise validation(f"{name} must be an object.", name)
        return parse_params(value, spec, prefix=f"{name}.")

    return convert


def nullable(inner: Converter) -> Converter:
    """Accepts null as well (clears an optional field on update)."""

    def convert(name: str, value: Any) -> Any:
        return None if value is None else inner(name, value)

    return convert


def parse_params(raw: Any, spec: Mapping[str, Param], *, prefix: str = "") -> dict[str, Any]:
    """Check params strictly against ``spec``. Absent optionals take their default if any.

    A key given as null counts as absent unless the param keeps nulls.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise validation("The params must be a JSON object.")
    for key in raw:
        if key not in spec:
            accepted = ", ".join(sorted(spec)) or "none"
            raise validation(
                f"Unknown parameter '{prefix}{str(key)[:40]}'. Accepted: {accepted}.",
                f"{prefix}{key}",
            )
    result: dict[str, Any] = {}
    for key, param in spec.items():
        name = f"{prefix}{key}"
        value = raw.get(key, ABSENT)
        if value is None and not param.keep_null:
            value = ABSENT
        if value is ABSENT:
            if param.required:
                raise validation(f"{name} is required.", name)
            if param.default is not ABSENT:
                result[key] = param.default
            continue
        result[key] = param.convert(name, value)
    return result


# Far beyond any real page or amount, far below SQLite's 64-bit integers.
MAX_PAGE = 10**9
MAX_MONEY = 10**15

PAGING: dict[str, Param] = {
    "page": Param(integer(1, MAX_PAGE), default=1),
    "limit": Param(integer(1, 100), default=20),
}
