"""How many SMS a text costs, and its plain-letters variant.

GSM 03.38: a text in the GSM-7 alphabet fits 160 characters in one SMS, 153 per part
when split (the rest carries the part header); characters of the extension table
(``{ } [ ] ~ \\ | ^ €``) take two. Any other character (Yoruba tone marks, ``ọ``, Hausa
``ƙ``, curly quotes) makes the whole text UCS-2: 70 per SMS, 67 per part, counted in
UTF-16 units. A Yoruba reminder with its diacritics therefore costs about twice as much;
the plain-letters variant drops the marks (staff decide whether the text still reads).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
# Letters that do not decompose into a base letter and a mark, and common look-alikes.
PLAIN_LETTERS = {
    "ƙ": "k",
    "Ƙ": "K",
    "ɓ": "b",
    "Ɓ": "B",
    "ɗ": "d",
    "Ɗ": "D",
    "ƴ": "y",
    "Ƴ": "Y",
    "ŋ": "n",
    "Ŋ": "N",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "₦": "N",
}


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # what one part holds at this length (160/153 or 70/67)
    non_gsm: tuple[str, ...]  # the characters that forced UCS-2, each once


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def sms_length(text: str) -> SmsLength:
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
        odd: tuple[str, ...] = ()
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
        odd = tuple(dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC | GSM7_EXTENDED))
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0, single, odd)
    return SmsLength(encoding, units, math.ceil(units / multi), multi, odd)


def plain_letters(text: str) -> str:
    """The text with every tone mark and dot removed and special letters replaced, so
    that it fits GSM-7 (``Ẹ n lẹ́ o Adéwálé`` -> ``E n le o Adewale``; marks are dropped
    even where GSM-7 has the letter, so that a name reads the same all through)."""
    out = []
    for ch in text:
        if ch in PLAIN_LETTERS:
            out.append(PLAIN_LETTERS[ch])
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out)
