"""The text rules of API.md v3, rule by rule: what reaches a record, and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmdesk.controllers.allergy_check import allergy_conflicts, match_key
from pharmdesk.controllers.text import mixed_script_problem, normalise_text
from pharmdesk.controllers.validation import (
    customer_name,
    free_text,
    label_list,
    search_key,
)
from pharmdesk.errors import VALIDATION_ERROR, PharmDeskError

# What phones and chat apps paste in: zero-width and bidi characters, BOM, soft hyphen,
# word joiner, invisible operators, Arabic letter mark, tags; and controls typed by mistake.
INVISIBLE = [
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2060", "\u2061", "\u2062", "\u2063", "\u2064",
    "\u2066", "\u2067", "\u2068", "\u2069",
    "\ufeff", "\u00ad", "\u061c", "\u180e", "\U000e0041",
    "\x00", "\x01", "\x07", "\x1b", "\x7f", "\x9b",
]  # fmt: skip
ALLOWED_INVISIBLE_MARKS = ["\u034f", "\ufe0f", "\ufe00", "\U000e0100"]  # kept, ignored by keys
INVISIBLES = st.one_of(
    st.sampled_from(INVISIBLE),
    st.characters(categories=["Cf"]),
    st.characters(categories=["Cc"], exclude_characters="\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85"),
)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Ade\u200bbayo", "Adebayo"),  # zero-width space
        ("Penicil\u00adlin", "Penicillin"),  # soft hyphen
        ("\ufeffNgozi", "Ngozi"),  # byte-order mark from a file
        ("Okafor\u202e", "Okafor"),  # right-to-left override
        ("Ada\u2066 Obi\u2069", "Ada Obi"),  # isolates
        ("Ada\x00 Obi\x1b[31m", "Ada Obi[31m"),  # NUL, ESC
        ("  John\u00a0\u00a0 Doe\t\r\n ", "John Doe"),  # white space runs, NBSP, ends
        ("Ｐｅｎｉｃｉｌｌｉｎ", "Penicillin"),  # NFKC: full-width letters
        ("ﬁsh oil", "fish oil"),  # NFKC: ligature
        ("Amoxicillin 500\u2009mg", "Amoxicillin 500 mg"),  # thin space
        ("e\u200b\u0301", "é"),  # a removed character no longer keeps the accent apart
    ],
)
def test_each_rule_of_the_normaliser(raw: str, stored: str) -> None:
    assert normalise_text(raw) == stored


def test_multiline_text_keeps_its_lines_and_nothing_else() -> None:
    raw = "  Gate code 1234\u200b  \r\nCall first\u202e\r\n\r\n\r\n\r\nSaturdays only\x00\n\n"
    assert normalise_text(raw, multiline=True) == "Gate code 1234\nCall first\n\nSaturdays only"
    assert normalise_text("one\ntwo") == "one two"  # a one-line field joins the lines


@pytest.mark.parametrize(
    "name",
    ["Adéwálé Ọ̀pẹ́", "Ọlábísí Ńnàmdí", "Ƙasim Ɗanjuma", "Chukwuemeka Ụ̀zọ̀", "Zoë O'Neil-Ekpo"],
)
def test_yoruba_igbo_and_hausa_letters_are_latin_and_accepted(name: str) -> None:
    assert mixed_script_problem(name) is None
    assert customer_name(name) == normalise_text(name)
    assert label_list([name], "allergies") == [normalise_text(name)]


@pytest.mark.parametrize("text", ["Москва", "Αθήνα", "東京タワー", "서울 한국", "محمد", "Ada Обі"])
def test_one_alphabet_per_word_is_accepted_whatever_the_alphabet(text: str) -> None:
    assert mixed_script_problem(text) is None


def test_a_look_alike_letter_inside_a_word_is_refused_naming_it() -> None:
    with pytest.raises(PharmDeskError) as caught:
        label_list(["Pen\u0456cillin"], "allergies")
    error = caught.value
    assert (error.code, error.field) == (VALIDATION_ERROR, "allergies")
    assert error.message.startswith(
        "'\u0456' (Cyrillic, U+0456) is mixed into the Latin word 'Pen\u0456cillin'"
    )
    greek = mixed_script_problem("Amoxicillin 500mg Ibupr\u03bffen")
    assert greek is not None and greek.startswith("'\u03bf' (Greek, U+03BF)")
    with pytest.raises(PharmDeskError) as caught:
        customer_name("J\u043ehn Doe")  # Cyrillic о
    assert caught.value.field == "name"


def test_comparison_keys_see_through_invisible_marks_and_accents() -> None:
    assert search_key("Peni\u200bcillin") == "penicillin"
    for mark in ALLOWED_INVISIBLE_MARKS:
        assert search_key(f"Penicil{mark}lin") == "penicillin"
    assert search_key("ADÉWÁLÉ  Ọ̀PẸ́") == "adewale ope"
    assert match_key("Co-Amoxi\u00adclav 625mg") == "co amoxiclav 625mg"


def test_free_text_params_are_normalised_before_their_length_is_checked() -> None:
    convert = free_text(1, 10)
    assert convert("address", "\u200b" * 30 + "Lekki") == "Lekki"
    with pytest.raises(PharmDeskError) as caught:
        convert("address", "\u200b\u202e \x00")
    assert caught.value.message == "address cannot be empty."
    with pytest.raises(PharmDeskError):
        convert("address", "x" * 1000)


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=60))
def test_normalising_twice_changes_nothing_and_leaves_nothing_invisible(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert not any(ch in once for ch in INVISIBLE)
    assert once == once.strip() and "  " not in once


def _insert(word: str, inserts: list[tuple[int, str]]) -> str:
    chars = list(word)
    for position, ch in inserts:
        chars.insert(position % (len(chars) + 1), ch)
    return "".join(chars)


@settings(deadline=None, max_examples=150)
@given(st.lists(st.tuples(st.integers(0, 40), INVISIBLES), min_size=1, max_size=4))
def test_invisible_characters_never_hide_an_allergy_from_the_drug_class_check(
    inserts: list[tuple[int, str]],
) -> None:
    allergy = _insert("Penicillin", inserts)
    medication = _insert("Amoxicillin 500mg", inserts)
    [label] = label_list([allergy], "allergies")
    [drug] = label_list([medication], "medications")
    assert (label, drug) == ("Penicillin", "Amoxicillin 500mg")
    # Matching itself also sees through them (values stored before these rules).
    [warning] = allergy_conflicts([allergy], [medication])
    assert warning["kind"] == "allergyConflict" and warning["drugClass"] == "Penicillins"
