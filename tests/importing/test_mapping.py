"""Guessing columns, reading dates, yes/no and lists, and turning a row into params."""

from __future__ import annotations

import datetime as dt

import pytest

from pharmdesk.errors import PharmDeskError
from pharmdesk.importing.dates import UnreadableDate, day_first, parse_date
from pharmdesk.importing.mapping import (
    apply_overrides,
    check_mapping,
    consent_value,
    customer_params,
    guess_mapping,
    header_words,
    split_list,
)

TODAY = dt.date(2026, 4, 18)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Full Name", "name"),
        ("NAME", "name"),
        ("Surname", "name"),
        ("Phone No.", "phone"),
        ("Tel", "phone"),
        ("Mobile", "phone"),
        ("GSM Number", "phone"),
        ("E-mail", "email"),
        ("Home Address", "address"),
        ("DOB", "dateOfBirth"),
        ("D.O.B", "dateOfBirth"),
        ("Date of Birth", "dateOfBirth"),
        ("Drug Allergies", "allergies"),
        ("Medical History", "medicalConditions"),
        ("Conditions", "medicalConditions"),
        ("Remarks", "notes"),
        ("Marketing consent", "marketingConsent"),
        ("Opt-in", "marketingConsent"),
        ("Customer ID", None),
        ("", None),
    ],
)
def test_headers_are_guessed(header: str, field: str | None) -> None:
    assert guess_mapping([header]) == (field,)


def test_header_words_drop_punctuation_and_accents() -> None:
    assert header_words("  Phone  No. ") == "phone no"
    assert header_words("Téléphone") == "telephone"


def test_a_single_value_field_goes_to_its_first_column_only() -> None:
    assert guess_mapping(["Tel", "Mobile", "First name", "Surname"]) == (
        "phone",
        None,
        "name",
        "name",
    )


def test_overrides_correct_the_guess_by_header() -> None:
    headers = ["Client", "Tel", "Ref"]
    guessed = guess_mapping(headers)
    assert guessed == ("name", "phone", None)
    assert apply_overrides(headers, guessed, {"Ref": "notes", "Tel": None}) == (
        "name",
        None,
        "notes",
    )


@pytest.mark.parametrize(
    ("overrides", "words"),
    [({"Nope": "name"}, 'no column "Nope"'), ({"Ref": "shoeSize"}, "not a customer field")],
)
def test_bad_overrides_are_refused(overrides: dict[str, str], words: str) -> None:
    with pytest.raises(PharmDeskError) as raised:
        apply_overrides(["Client", "Ref"], ("name", None), overrides)
    assert raised.value.field == "mapping"
    assert words in raised.value.message


def test_check_mapping_needs_name_and_phone_once() -> None:
    check_mapping(["First", "Last", "Tel"], ("name", "name", "phone"))
    with pytest.raises(PharmDeskError, match="phone"):
        check_mapping(["Name"], ("name",))
    with pytest.raises(PharmDeskError, match="name"):
        check_mapping(["Tel"], ("phone",))
    with pytest.raises(
        PharmDeskError, match='Only one column can be Phone \\("Tel" and "Mobile"\\)'
    ):
        check_mapping(["Name", "Tel", "Mobile"], ("name", "phone", "phone"))


@pytest.mark.parametrize(
    ("text", "day_first_order", "expected"),
    [
        ("1985-06-15", True, dt.date(1985, 6, 15)),
        ("1985/6/5", False, dt.date(1985, 6, 5)),
        ("15/06/1985", True, dt.date(1985, 6, 15)),
        ("15/06/1985", False, dt.date(1985, 6, 15)),
        ("06/15/1985", True, dt.date(1985, 6, 15)),
        ("03/04/1985", True, dt.date(1985, 4, 3)),
        ("03/04/1985", False, dt.date(1985, 3, 4)),
        ("3.4.85", True, dt.date(1985, 4, 3)),
        ("15-Jun-1985", True, dt.date(1985, 6, 15)),
        ("15 June 1985", False, dt.date(1985, 6, 15)),
        ("June 15, 1985", True, dt.date(1985, 6, 15)),
        ("1st Sept 2001", True, dt.date(2001, 9, 1)),
        ("01/01/26", True, dt.date(2026, 1, 1)),
        ("01/01/27", True, dt.date(1927, 1, 1)),
        ("1985-06-15 00:00:00", True, dt.date(1985, 6, 15)),
        ("   ", True, None),
    ],
)
def test_dates_in_common_forms(text: str, day_first_order: bool, expected: dt.date | None) -> None:
    assert parse_date(text, day_first=day_first_order, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("31/02/1988", "is not a real date"),
        ("13/13/1988", "is not a real date"),
        ("yesterday", "is not a date PharmDesk can read"),
        ("15-Foo-1985", "is not a date PharmDesk can read"),
    ],
)
def test_unreadable_dates_say_how_to_write_them(text: str, words: str) -> None:
    with pytest.raises(UnreadableDate, match=words):
        parse_date(text, day_first=True, today=TODAY)


def test_day_first_follows_the_region() -> None:
    assert day_first("NG") is True
    assert day_first("GB") is True
    assert day_first("US") is False
    assert day_first("ZZ") is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes", True), ("Y", True), ("TRUE", True), ("1", True), ("Opted-in", True), ("x", True),
     ("no", False), ("", False), ("0", False), ("Declined", False), ("-", False)],
)  # fmt: skip
def test_consent_cells(text: str, expected: bool) -> None:
    assert consent_value(text) is expected


def test_consent_that_is_neither_is_an_error() -> None:
    with pytest.raises(ValueError, match="'maybe' is not a yes or no"):
        consent_value("maybe")


def test_lists_split_on_semicolons_else_commas() -> None:
    assert split_list("Penicillin; Sulfa, mild") == ["Penicillin", "Sulfa, mild"]
    assert split_list("Penicillin, Sulfa") == ["Penicillin", "Sulfa"]
    assert split_list("Asthma\nDiabetes") == ["Asthma", "Diabetes"]
    assert split_list(" ; ") == []


MAPPING = (
    "name",
    "name",
    "phone",
    "email",
    "dateOfBirth",
    "allergies",
    "medicalConditions",
    "marketingConsent",
    "notes",
    None,
)


def _row(**cells: str) -> list[str]:
    order = ["first", "last", "phone", "email", "dob", "allergies", "conditions", "consent",
             "notes", "ref"]  # fmt: skip
    return [cells.get(key, "") for key in order]


def test_a_full_row_becomes_add_provider_customer_params() -> None:
    params, problems = customer_params(
        7,
        _row(
            first=" Adebayo ",
            last="Okafor",
            phone="0803 111 2222",
            email="ade@example.com",
            dob="15/06/1985",
            allergies="Penicillin, Sulfa",
            conditions="Hypertension; Asthma",
            consent="Yes",
            notes="Prefers mornings",
            ref="R-17",
        ),
        MAPPING,
        day_first=True,
        today=TODAY,
    )
    assert problems == []
    assert params == {
        "name": "Adebayo Okafor",
        "phone": "0803 111 2222",
        "email": "ade@example.com",
        "dateOfBirth": "1985-06-15",
        "allergies": ["Penicillin", "Sulfa"],
        "medicalConditions": ["Hypertension", "Asthma"],
        "marketingConsent": True,
        "notes": "Prefers mornings",
    }


def test_blank_cells_are_left_out_and_name_and_phone_always_sent() -> None:
    params, problems = customer_params(3, _row(), MAPPING, day_first=True, today=TODAY)
    assert params == {"name": "", "phone": ""}
    assert problems == []


@pytest.mark.parametrize("text", ["None", "NKDA", "nil", "No known allergies"])
def test_none_known_allergies(text: str) -> None:
    params, _ = customer_params(3, _row(allergies=text), MAPPING, day_first=True, today=TODAY)
    assert params["noKnownAllergies"] is True
    assert "allergies" not in params


@pytest.mark.parametrize("text", ["N/A", "unknown", "-"])
def test_allergies_not_asked_stay_unknown(text: str) -> None:
    params, _ = customer_params(3, _row(allergies=text), MAPPING, day_first=True, today=TODAY)
    assert "allergies" not in params and "noKnownAllergies" not in params


def test_unreadable_cells_are_problems_and_left_out() -> None:
    params, problems = customer_params(
        9, _row(first="Ada", phone="0803", dob="31/02/1988", consent="maybe"), MAPPING,
        day_first=True, today=TODAY,
    )  # fmt: skip
    assert [(p.row, p.field) for p in problems] == [(9, "dateOfBirth"), (9, "marketingConsent")]
    assert "dateOfBirth" not in params and "marketingConsent" not in params
