"""SMS length: GSM-7 160/153 (extension characters count two), UCS-2 70/67 in UTF-16
units; the plain-letters variant of Yoruba, Hausa and Igbo text; the bundled templates;
the WhatsApp link and QR code."""

from __future__ import annotations

import pytest

from pharmdesk.controllers.consent.languages import LANGUAGES
from pharmdesk.controllers.reminders import templates
from pharmdesk.controllers.reminders.sms_length import plain_letters, sms_length
from pharmdesk.senders.whatsapp import chat_link, qr_png


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("{" * 80, "GSM-7", 1),  # extension characters take two septets
        ("{" * 81, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),  # é is in the GSM alphabet
        ("ẹ" * 70, "UCS-2", 1),
        ("ẹ" * 71, "UCS-2", 2),
        ("ẹ" * 134, "UCS-2", 2),
        ("ẹ" * 135, "UCS-2", 3),
        ("😀" * 35, "UCS-2", 1),  # two UTF-16 units each
        ("😀" * 36, "UCS-2", 2),
    ],
)
def test_segments(text: str, encoding: str, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.segments) == (encoding, segments)


def test_what_forced_ucs2_is_named() -> None:
    assert sms_length("Sannu karɓar").non_gsm == ("ɓ",)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Ẹ n lẹ́ o Adéwálé", "E n le o Adewale"),
        ("Ọ̀pẹ́ ṣé", "Ope se"),
        ("karɓar ƙasa ɗan", "karbar kasa dan"),
        ("ịnata ọgwụ", "inata ogwu"),
        ("“Hi” – ₦500…", '"Hi" - N500...'),
    ],
)
def test_plain_letters(text: str, plain: str) -> None:
    assert plain_letters(text) == plain
    assert sms_length(plain).encoding == "GSM-7"


def test_every_language_has_reminder_and_marketing_wording() -> None:
    values = {
        "firstName": "Adaeze",
        "plan": "Hypertension Care",
        "dueDate": "21/04/2026",
        "branchName": "Lekki Branch",
        "branchPhone": "+2347012345678",
    }
    for purpose in ("reminders", "marketing"):
        for language in LANGUAGES:
            template = templates.bundled(purpose, language)
            assert templates.check_template(template, "t") == template
            text = templates.render(template, values)
            assert "Adaeze" in text and "Lekki Branch" in text and "STOP" in text
            if purpose == "reminders":
                assert "Hypertension Care" in text and "21/04/2026" in text
            # Every plain-letters variant fits GSM-7, and no more than 2 SMS.
            assert sms_length(plain_letters(text)).encoding == "GSM-7"
            assert sms_length(plain_letters(text)).segments <= 2


def test_whatsapp_link_and_qr() -> None:
    link = chat_link("+2348031234567", "Hello Ada & co: 21/04")
    assert link == "https://wa.me/2348031234567?text=Hello%20Ada%20%26%20co%3A%2021%2F04"
    png = qr_png(link)
    assert png.startswith(b"\x89PNG")
