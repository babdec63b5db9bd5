"""Text that reaches a record (API.md v3): one normaliser for every free-text param.

Text pasted from phones and messaging apps carries characters nobody sees: zero-width
spaces, soft hyphens, direction overrides. Left in, ``Peni\\u200bcillin`` shows as
"Penicillin" on screen but matches no drug class, and ``John Doe\\u200b`` is not John Doe
to the duplicate rule. So every free-text value is made canonical before it is checked,
stored, compared or matched, and comparison keys are made from the same function, so a
value stored before this rule (older databases) is seen through as well.

Look-alike letters from another alphabet inside a word (Latin ``Pen`` + Cyrillic ``і`` +
``cillin``, a Unicode TR39 "mixed-script confusable") cannot be seen through without
guessing, so they are refused, naming the character. Scripts come from the Unicode
Character Database via fontTools (Scripts.txt and ScriptExtensions.txt), not from a
hand-made table: Yoruba, Igbo and Hausa letters (``Adéwálé``, ``Ọ̀pẹ́``, ``ƙ``) are Latin.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

from fontTools import unicodedata as ucd

from pharmdesk.errors import validation

# ASCII control characters that are not white space (NUL, BEL, ESC, DEL...).
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_BLANK_LINES = re.compile(r"\n{3,}")
# Scripts with no letters of their own, and the TR39 "augmented" script sets: a Japanese
# word mixes Han and kana, a Korean one Han and Hangul, and neither is a confusable.
_ANY_SCRIPT = frozenset({"Zyyy", "Zinh"})
_AUGMENTED = {
    "Hani": frozenset({"Hani", "Hanb", "Jpan", "Kore"}),
    "Hira": frozenset({"Hira", "Jpan"}),
    "Kana": frozenset({"Kana", "Jpan"}),
    "Hang": frozenset({"Hang", "Kore"}),
    "Bopo": frozenset({"Bopo", "Hanb"}),
}


def _removed(ch: str, keep_newline: bool) -> bool:
    """Format characters (Cf: zero-width, bidi controls, soft hyphen, BOM...) and control
    characters (Cc) that are not white space; white space is collapsed, not removed."""
    category = unicodedata.category(ch)
    if category == "Cf":
        return True
    return category == "Cc" and not (ch.isspace() or (keep_newline and ch == "\n"))


def _drop_invisible(text: str, *, keep_newline: bool = False) -> str:
    if text.isascii():
        return _ASCII_CONTROLS.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    if text.isprintable():  # no Cc or Cf character at all (the common case), checked in C
        return text
    kept = "".join(ch for ch in text if not _removed(ch, keep_newline))
    # A removed character may have separated a letter from its accent: compose again.
    return kept if len(kept) == len(text) else unicodedata.normalize("NFKC", kept)


def normalise_text(value: str, *, multiline: bool = False) -> str:
    """NFKC; Cf and non-space Cc characters removed; white space runs (U+00A0 too) made
    one space; ends trimmed. ``multiline`` keeps line breaks (as ``\\n``, at most one
    blank line in a row) and applies the rest line by line."""
    if not multiline:
        return " ".join(_drop_invisible(value).split())
    text = _drop_invisible(_LINE_BREAKS.sub("\n", value), keep_newline=True)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def key_ignores(ch: str) -> bool:
    """Accents (combining marks) and invisible marks (variation selectors, the combining
    grapheme joiner): what a comparison key leaves out of NFKD text."""
    if unicodedata.combining(ch):
        return True
    if ch.isalnum():  # letters and digits: decided without a lookup
        return False
    return unicodedata.category(ch) == "Mn" and ucd.script(ch) == "Zinh"


@lru_cache(maxsize=4096)
def _scripts(ch: str) -> frozenset[str]:
    """The scripts a character may be written in (Script_Extensions, TR39-augmented)."""
    found: set[str] = set()
    for code in ucd.script_extension(ch):
        found |= _AUGMENTED.get(code, {code})
    return frozenset(found)


def script_name(ch: str) -> str:
    return str(ucd.script_name(ucd.script(ch)))


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN"


def _words(text: str) -> list[str]:
    words, current = [], []
    for ch in text:
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def mixed_script_problem(text: str) -> str | None:
    """Why a word of ``text`` mixes alphabets (TR39 mixed-script), or None if none does.

    The word's alphabet is the one most of its letters are written in; the message names
    the first letter from another one."""
    if text.isascii():
        return None
    for chunk in text.split():
        if not chunk.isascii():
            for word in _words(chunk):
                problem = None if word.isascii() else _word_problem(word)
                if problem is not None:
                    return problem
    return None


@lru_cache(maxsize=8192)
def _word_problem(word: str) -> str | None:
    """One word's mixed-script problem; names repeat (a branch, the demo), so cached."""
    letters = [ch for ch in word if not _scripts(ch) & _ANY_SCRIPT]
    resolved: frozenset[str] | None = None
    for ch in letters:
        resolved = _scripts(ch) if resolved is None else resolved & _scripts(ch)
    if resolved is None or resolved:
        return None
    main = Counter(ucd.script(ch) for ch in letters).most_common(1)[0][0]
    stranger = next(ch for ch in letters if main not in _scripts(ch))
    return (
        f"'{stranger}' ({script_name(stranger)}, U+{ord(stranger):04X}) is mixed into the "
        f"{ucd.script_name(main)} word '{word}': a letter from another alphabet inside a "
        "word stops it matching (allergy checks, duplicates). Retype the word on one "
        "keyboard."
    )


def single_script(text: str, field_name: str) -> str:
    """``text`` itself, or a VALIDATION_ERROR on ``field_name`` naming the stray letter."""
    problem = mixed_script_problem(text)
    if problem is not None:
        raise validation(problem, field_name)
    return text
