"""Which column holds which customer field, and one file row as addProviderCustomer params.

Headers are guessed from the words old systems and spreadsheets use ("Full Name",
"Phone No", "Tel", "DOB", ...); staff correct the guess. A row becomes the params of
``addProviderCustomer`` as text, so the operation's own rules (and messages) judge it;
only what the operation cannot take as text (dates, yes/no, lists) is read here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pharmdesk.errors import validation
from pharmdesk.importing.dates import UnreadableDate, parse_date

# The customer fields a column can fill, with the names staff see (API.md param names).
FIELDS: dict[str, str] = {
    "name": "Name",
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
    "dateOfBirth": "Date of birth",
    "allergies": "Allergies",
    "medicalConditions": "Conditions",
    "notes": "Notes",
    "marketingConsent": "Marketing consent",
}
# Consent by purpose and channel (a "SMS OK" column): recorded with method "import".
CHANNEL_NAMES = {"sms": "SMS", "whatsapp": "WhatsApp", "email": "Email", "call": "Call"}
CONSENT_FIELDS: dict[str, tuple[str, str]] = {
    f"{purpose}{name}": (purpose, channel)
    for purpose in ("reminders", "marketing")
    for channel, name in (("sms", "Sms"), ("whatsapp", "Whatsapp"), ("email", "Email"),
                          ("call", "Call"))
}  # fmt: skip
FIELDS.update(
    {
        field: f"{'Reminders' if purpose == 'reminders' else 'Marketing'} by "
        f"{CHANNEL_NAMES[channel]} OK"
        for field, (purpose, channel) in CONSENT_FIELDS.items()
    }
)
# Fields an operation's message may name that no column maps to one by one.
_OTHER_LABELS = {"consents": "Consent", "noKnownAllergies": "Allergies", "language": "Language"}


def field_label(field: str | None) -> str:
    """What a report calls a field: the column's field name staff chose, else a word."""
    if not field:
        return ""
    return FIELDS.get(field) or _OTHER_LABELS.get(field, field)


REQUIRED = ("name", "phone")
# Fields several columns may fill together (First name + Surname, two address lines).
MULTI_COLUMN = frozenset({"name", "address", "allergies", "medicalConditions", "notes"})
LIST_FIELDS = frozenset({"allergies", "medicalConditions"})

_HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "names", "full name", "fullname", "customer", "customer name", "client",
        "client name", "patient", "patient name", "first name", "firstname", "given name",
        "given names", "other names", "other name", "middle name", "surname", "last name",
        "lastname", "family name",
    ),
    "phone": (
        "phone", "phone no", "phone number", "phone num", "phone nos", "tel", "tel no",
        "telephone", "telephone number", "mobile", "mobile no", "mobile number", "cell",
        "cell phone", "cellphone", "gsm", "gsm no", "gsm number", "contact", "contact no",
        "contact number", "contact phone", "whatsapp", "whatsapp number", "phone 1",
    ),
    "email": ("email", "e mail", "email address", "e mail address", "mail"),
    "address": (
        "address", "home address", "house address", "residential address", "street",
        "street address", "address line 1", "address line 2", "address 1", "address 2",
    ),
    "dateOfBirth": (
        "dob", "d o b", "date of birth", "birth date", "birthdate", "birthday", "born",
        "date born",
    ),
    "allergies": (
        "allergies", "allergy", "known allergies", "drug allergies", "drug allergy",
        "allergic to", "allergies list",
    ),
    "medicalConditions": (
        "conditions", "condition", "medical conditions", "medical condition",
        "medical history", "diagnosis", "diagnoses", "chronic conditions", "illness",
        "illnesses", "health conditions",
    ),
    "notes": ("notes", "note", "remarks", "remark", "comments", "comment"),
    "marketingConsent": (
        "consent", "marketing consent", "marketing", "sms consent", "opt in", "optin",
        "marketing opt in", "accepts marketing", "newsletter", "promotions",
    ),
    "remindersSms": (
        "sms ok", "ok sms", "text ok", "ok to text", "sms reminders", "sms reminder",
        "reminders sms", "reminder sms", "reminders by sms", "refill sms", "text reminders",
    ),
    "remindersWhatsapp": (
        "whatsapp ok", "ok whatsapp", "wa ok", "whatsapp reminders", "whatsapp reminder",
        "reminders whatsapp", "reminders by whatsapp",
    ),
    "remindersEmail": (
        "email ok", "ok to email", "email reminders", "reminders email", "reminders by email",
    ),
    "remindersCall": (
        "call ok", "ok to call", "phone ok", "call reminders", "reminders by call",
        "reminder calls",
    ),
    "marketingSms": ("marketing sms", "sms marketing", "sms offers", "marketing by sms"),
    "marketingWhatsapp": (
        "marketing whatsapp", "whatsapp marketing", "whatsapp offers", "marketing by whatsapp",
    ),
    "marketingEmail": (
        "marketing email", "email marketing", "email offers", "marketing by email",
    ),
    "marketingCall": ("marketing call", "marketing calls", "call marketing", "marketing by call"),
}  # fmt: skip
_BY_HEADER = {words: field for field, names in _HEADER_WORDS.items() for words in names}

YES = frozenset({"yes", "y", "true", "1", "x", "agreed", "agree", "opted in", "opt in", "ok"})
NO = frozenset({"no", "n", "false", "0", "opted out", "opt out", "declined", "none", "-"})
# Allergy cells that mean "staff asked: none" versus cells that say nothing was asked.
NONE_KNOWN = frozenset(
    {"none", "nil", "no", "nka", "nkda", "no known allergies", "no known allergy",
     "no known drug allergies", "none known"}
)  # fmt: skip
NOT_ASKED = frozenset({"n/a", "na", "-", "unknown", "?", "not asked"})

Mapping_ = tuple[str | None, ...]  # one entry per column: a field name or None (ignored)


def header_words(text: str) -> str:
    """A header reduced to its words: "Phone No." -> "phone no", "E-mail" -> "e mail"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def guess_field(header: str) -> str | None:
    return _BY_HEADER.get(header_words(header))


def guess_mapping(headers: Sequence[str]) -> Mapping_:
    """The field each column most likely holds; a single-value field goes to its first
    column only (with "Phone" and "Mobile" both there, Mobile is left for staff)."""
    taken: set[str] = set()
    guessed: list[str | None] = []
    for header in headers:
        field = guess_field(header)
        if field is not None and field not in MULTI_COLUMN and field in taken:
            field = None
        if field is not None:
            taken.add(field)
        guessed.append(field)
    return tuple(guessed)


def apply_overrides(
    headers: Sequence[str], mapping: Mapping_, overrides: Mapping[str, Any]
) -> Mapping_:
    """Staff's corrections by column header: ``{"Tel": "phone", "Ref": null}``."""
    result = list(mapping)
    for header, field in overrides.items():
        matches = [i for i, h in enumerate(headers) if h.strip() == str(header).strip()]
        if not matches:
            shown = ", ".join(f'"{h}"' for h in headers if h) or "none"
            raise validation(
                f'The file has no column "{str(header)[:60]}". Its columns are: {shown}.',
                "mapping",
            )
        if field is not None and field not in FIELDS:
            raise validation(
                f'"{str(field)[:40]}" is not a customer field. Use one of: '
                f"{', '.join(FIELDS)} (or null to ignore the column).",
                "mapping",
            )
        for index in matches:
            result[index] = field
    return tuple(result)


def check_mapping(headers: Sequence[str], mapping: Mapping_) -> None:
    """Refuse a mapping that cannot work: no name or phone, or one field twice."""
    for field in REQUIRED:
        if field not in mapping:
            raise validation(
                f"Choose the column that holds the customer's {FIELDS[field].lower()}.",
                "mapping",
            )
    for field in FIELDS:
        columns = [headers[i] or f"column {i + 1}" for i, f in enumerate(mapping) if f == field]
        if len(columns) > 1 and field not in MULTI_COLUMN:
            listed = " and ".join(f'"{c}"' for c in columns)
            raise validation(
                f"Only one column can be {FIELDS[field]} ({listed}). Set the others to Ignore.",
                "mapping",
            )


@dataclass(frozen=True)
class RowProblem:
    """A row the operation never sees: a cell that is not a date or a yes/no."""

    row: int
    field: str
    message: str


def split_list(text: str) -> list[str]:
    """Allergies and conditions: split on ';' (or new lines) if there are any, else ','."""
    parts = re.split(r"[;\n]", text) if re.search(r"[;\n]", text) else text.split(",")
    return [part.strip() for part in parts if part.strip()]


def _forms(text: str) -> set[str]:
    """A cell as typed (case-folded) and as words: "Opted-in" is also "opted in"."""
    value = text.strip().casefold()
    return {value, header_words(value)} if value else {""}


def consent_value(text: str) -> bool:
    forms = _forms(text)
    if forms & (NO | {""}):
        return False
    if forms & YES:
        return True
    raise ValueError(
        f"'{text.strip()[:40]}' is not a yes or no. Write yes or no in the consent column."
    )


def customer_params(
    row: int,
    values: Sequence[str],
    mapping: Mapping_,
    *,
    day_first: bool,
    today: dt.date,
) -> tuple[dict[str, Any], list[RowProblem]]:
    """One file row as ``addProviderCustomer`` params, and the cells it cannot read
    (left out of the params, so the operation can still judge the rest of the row).

    Blank cells are left out (an optional field not given); name and phone are always
    sent, even empty, so that the operation says what is missing in its own words.
    """
    cells: dict[str, list[str]] = {}
    for index, field in enumerate(mapping):
        if field is None:
            continue
        text = values[index].strip() if index < len(values) else ""
        if text:
            cells.setdefault(field, []).append(text)
    problems: list[RowProblem] = []
    params: dict[str, Any] = {
        "name": " ".join(cells.get("name", [])),
        "phone": cells.get("phone", [""])[0],
    }
    for field in ("email", "address"):
        if field in cells:
            params[field] = " ".join(cells[field])
    if "notes" in cells:
        params["notes"] = "\n".join(cells["notes"])
    if "dateOfBirth" in cells:
        try:
            born = parse_date(cells["dateOfBirth"][0], day_first=day_first, today=today)
        except UnreadableDate as exc:
            problems.append(RowProblem(row, "dateOfBirth", str(exc)))
            born = None
        if born is not None:
            params["dateOfBirth"] = born.isoformat()
    if "marketingConsent" in cells:
        try:
            params["marketingConsent"] = consent_value(cells["marketingConsent"][0])
        except ValueError as exc:
            problems.append(RowProblem(row, "marketingConsent", str(exc)))
    consents = []
    for field, (purpose, channel) in CONSENT_FIELDS.items():
        if field in cells:
            try:
                granted = consent_value(cells[field][0])
            except ValueError as exc:
                problems.append(RowProblem(row, field, str(exc)))
                continue
            consents.append({"purpose": purpose, "channel": channel, "granted": granted})
    if consents:
        params["consents"] = consents
    allergies: list[str] = []
    for text in cells.get("allergies", []):
        forms = _forms(text)
        if forms & NONE_KNOWN:
            params["noKnownAllergies"] = True
        elif not forms & NOT_ASKED:
            allergies.extend(split_list(text))
    if allergies:
        params["allergies"] = allergies
    conditions = [item for text in cells.get("medicalConditions", []) for item in split_list(text)]
    conditions = [c for c in conditions if not _forms(c) & (NONE_KNOWN | NOT_ASKED)]
    if conditions:
        params["medicalConditions"] = conditions
    return params, problems
