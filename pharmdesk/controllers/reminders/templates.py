"""Message templates per purpose and language: the bundled wording, or the branch's own
copy (setting ``reminderTemplates``), filled with the customer's first name, the plan,
the due date and the branch's name and phone."""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from typing import Any

from pharmdesk.controllers.consent.languages import DEFAULT_LANGUAGE, LANGUAGES
from pharmdesk.controllers.consent.records import PURPOSES
from pharmdesk.errors import validation
from pharmdesk.resources import load_json

TEMPLATE_FILE = "reminder-templates.json"
PLACEHOLDERS = ("firstName", "plan", "dueDate", "branchName", "branchPhone")
MAX_TEMPLATE = 612  # four GSM-7 parts: longer is a letter, not a reminder


def bundled(purpose: str, language: str) -> str:
    texts: dict[str, str] = load_json(TEMPLATE_FILE)[purpose]
    return texts.get(language) or texts[DEFAULT_LANGUAGE]


def template_for(purpose: str, language: str, overrides: Mapping[str, Any] | None) -> str:
    """The branch's copy when it has one for this purpose and language, else the bundled."""
    own = (overrides or {}).get(purpose, {}).get(language)
    return str(own) if own else bundled(purpose, language)


def check_template(text: str, field: str) -> str:
    """A template staff typed: only known placeholders, braces that close."""
    text = text.strip()
    if not text:
        raise validation("A message template cannot be empty.", field)
    if len(text) > MAX_TEMPLATE:
        raise validation(
            f"The template is too long ({len(text)} characters; at most {MAX_TEMPLATE}).", field
        )
    try:
        names = [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name]
    except ValueError:
        raise validation(
            "The template has a '{' or '}' that does not close. Placeholders are written "
            "{firstName}, {plan}, {dueDate}, {branchName}, {branchPhone}.",
            field,
        ) from None
    unknown = sorted(set(names) - set(PLACEHOLDERS))
    if unknown:
        raise validation(
            f"Unknown placeholder {{{unknown[0][:30]}}}. Use {{firstName}}, {{plan}}, "
            "{dueDate}, {branchName} or {branchPhone}.",
            field,
        )
    return text


def check_overrides(name: str, value: Any) -> dict[str, dict[str, str | None]]:
    """A change of the ``reminderTemplates`` setting: ``{purpose: {language: template or
    null}}`` (null: back to the bundled wording)."""
    if not isinstance(value, dict):
        raise validation(f"{name} must be an object of purposes.", name)
    out: dict[str, dict[str, str | None]] = {}
    for purpose, texts in value.items():
        if purpose not in PURPOSES:
            raise validation(f"{name}: unknown purpose '{str(purpose)[:20]}'.", name)
        if not isinstance(texts, dict):
            raise validation(f"{name}.{purpose} must be an object of languages.", name)
        out[purpose] = {}
        for language, text in texts.items():
            if language not in LANGUAGES:
                raise validation(f"{name}: unknown language '{str(language)[:10]}'.", name)
            if text is None:
                out[purpose][language] = None
                continue
            if not isinstance(text, str):
                raise validation(f"{name}.{purpose}.{language} must be text.", name)
            out[purpose][language] = check_template(text, name)
    return out


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def due_text(day: dt.date) -> str:
    """Day/month/year, as dates are written in Nigeria, in every language."""
    return day.strftime("%d/%m/%Y")


def render(template: str, values: Mapping[str, str]) -> str:
    return template.format_map({key: values.get(key, "") for key in PLACEHOLDERS})
