"""The languages reminders are written in: codes as ISO 639 (``pcm`` is Nigerian Pidgin)."""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {
    "en": "English",
    "pcm": "Nigerian Pidgin",
    "yo": "Yorùbá",
    "ha": "Hausa",
    "ig": "Igbo",
}
LANGUAGES = tuple(LANGUAGE_NAMES)
