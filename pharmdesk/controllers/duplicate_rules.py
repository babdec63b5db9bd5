"""When two customer records look like one person: the rules ``findDuplicateCustomers`` uses.

Two records are a pair when they share evidence (the same phone, by its digits, or the
same date of birth) and their names agree:

- the same name key (``validation.search_key``: case, accents, invisible marks ignored);
- the same words in another order (``Okafor Chinedu`` / ``Chinedu Okafor``);
- one name has a word more, a middle name (``Chinedu Okafor`` / ``Chinedu Emeka Okafor``),
  or an initial for it (``Chinedu E. Okafor``);
- small typing slips: at most two letters wrong, missing, extra or swapped over the whole
  name, at most one in a word of up to seven letters (``Chinedu Okafro``, ``Jooy Agu``).

Names with no word in common are never a pair: a family sharing a phone (``Ngozi Okafor``
and ``Emeka Okafor``) shares a surname, not a given name. Two recorded dates of birth that
differ rule a pair out unless the names are the same (a parent and a child with one
name and one phone are then shown, with a low score, for a person to decide).

The score (1..100) says how sure the match is: the name's agreement (100 for the same
key, less for each difference) less what the evidence lacks (only one of phone and date
of birth recorded alike, or dates that differ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from pharmdesk.controllers.validation import phone_e164, search_key
from pharmdesk.errors import PharmDeskError

# Reasons, as the answer names them.
SAME_PHONE = "samePhone"
SAME_BIRTH_DATE = "sameBirthDate"
SAME_NAME = "sameName"
SWAPPED_NAMES = "swappedNames"
MISSING_MIDDLE_NAME = "missingMiddleName"
SIMILAR_NAME = "similarName"

MAX_EDITS = 2  # letters wrong, missing, extra or swapped, over the whole name
SHORT_WORD = 7  # a word this long or shorter takes at most one slip
_WORD = re.compile(r"[^\W_]+")


def name_words(key: str) -> tuple[str, ...]:
    """The words of a name key (hyphens, dots and apostrophes separate words)."""
    return tuple(_WORD.findall(key))


@lru_cache(maxsize=65536)
def phone_key(stored: str, region: str) -> str:
    """The phone's digits in international form: ``0803 123 4567``, ``+234 803 123 4567``
    and ``2348031234567`` give one key. Stored phones are E.164 already; anything else (a
    record written by an older version) is read as the operations would read it."""
    text = stored.strip()
    if text.startswith("+") and text[1:].isdigit():
        return text[1:]
    try:
        return phone_e164(text, region)[1:]
    except PharmDeskError:
        return "".join(ch for ch in text if ch.isdigit())


@dataclass(frozen=True)
class NameMatch:
    points: int  # 100 for the same key, less for each difference
    reasons: tuple[str, ...]


_SAME = NameMatch(100, (SAME_NAME,))
_SWAPPED = NameMatch(96, (SWAPPED_NAMES,))


def _slips_allowed(short: str, long: str) -> int:
    """One slip in a word of up to seven letters (``Joy`` / ``Jooy``, ``Orji`` / ``Orj``),
    two in a longer one; a word of one or two letters is an initial or taken as typed."""
    if min(len(short), len(long)) < 2:
        return 0
    return 1 if max(len(short), len(long)) <= SHORT_WORD else MAX_EDITS


def _word_distance(short: str, long: str) -> int | None:
    """Slips between two words, or None when they are not the same word mistyped. A
    one-letter word (an initial, ``E.``) matches a word it begins."""
    if short == long:
        return 0
    if len(short) == 1 or len(long) == 1:
        return 0 if short[0] == long[0] else None
    allowed = _slips_allowed(short, long)
    if allowed == 0:
        return None
    found = OSA.distance(short, long, score_cutoff=allowed)
    return found if found <= allowed else None


def compare_names(key_a: str, key_b: str) -> NameMatch | None:
    """How two name keys agree, or None when they are not one person's name."""
    if key_a == key_b:
        return _SAME
    words_a, words_b = name_words(key_a), name_words(key_b)
    if words_a == words_b:
        return _SAME  # only punctuation differs
    if not words_a or not words_b or not set(words_a) & set(words_b):
        return None
    if sorted(words_a) == sorted(words_b):
        return _SWAPPED
    short, long = (words_a, words_b) if len(words_a) <= len(words_b) else (words_b, words_a)
    extra = len(long) - len(short)
    if extra > 1 or (extra and len(short) < 2):
        return None
    return _align(short, long, extra)


def _align(short: tuple[str, ...], long: tuple[str, ...], extra: int) -> NameMatch | None:
    """Match each word of the shorter name to its own word of the longer one: exact
    matches first, then the closest; the unmatched word of the longer is the middle name."""
    free = list(range(len(long)))
    placed: dict[int, int] = {}
    pending = []
    for i, word in enumerate(short):
        if word in long:
            j = next((j for j in free if long[j] == word), None)
            if j is not None:
                free.remove(j)
                placed[i] = j
                continue
        pending.append(i)
    edits = 0
    for i in pending:
        best: tuple[int, int] | None = None
        for j in free:
            distance = _word_distance(short[i], long[j])
            if distance is not None and (best is None or distance < best[0]):
                best = (distance, j)
        if best is None:
            return None
        edits += best[0]
        free.remove(best[1])
        placed[i] = best[1]
    if edits > MAX_EDITS:
        return None
    if extra and free and free[0] in (0, len(long) - 1) and len(short) < 3:
        # The word left over is a first or last name, not a middle one: "Ada Okafor" and
        # "Ada Okafor Bello" are two surnames, "Ada Okafor" and "Okafor Ada" one person.
        order = [placed[i] for i in range(len(short))]
        if order == sorted(order):
            return None
    reasons: list[str] = []
    order = [placed[i] for i in range(len(short))]
    if order != sorted(order):
        reasons.append(SWAPPED_NAMES)
    if extra:
        reasons.append(MISSING_MIDDLE_NAME)
    if edits:
        reasons.append(SIMILAR_NAME)
    if not reasons:  # one-letter initials only: "A Okafor" / "Ada Okafor"
        reasons.append(SIMILAR_NAME)
    points = 100 - 6 * edits - 8 * extra - (4 if SWAPPED_NAMES in reasons else 0)
    if SIMILAR_NAME in reasons and not edits:
        points -= 8
    return NameMatch(points, tuple(reasons))


def pair_score(
    names: NameMatch, same_phone: bool, same_birth: bool, births_differ: bool
) -> tuple[int, tuple[str, ...]] | None:
    """A pair's score and reasons, or None when the evidence rules it out."""
    if not (same_phone or same_birth):
        return None
    if births_differ and names.reasons != (SAME_NAME,):
        return None
    score = names.points
    if births_differ:
        score -= 40
    elif not (same_phone and same_birth):
        score -= 10 if same_phone else 12
    evidence = [SAME_PHONE] * same_phone + [SAME_BIRTH_DATE] * same_birth
    return max(1, min(100, score)), (*evidence, *names.reasons)


def customer_key(stored_name_key: str) -> str:
    """A stored name key made again with today's rules (an older version may have kept
    invisible characters in it)."""
    return search_key(stored_name_key)
