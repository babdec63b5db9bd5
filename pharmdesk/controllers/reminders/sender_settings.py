"""The branch settings that choose and configure the message sender, and the branch
phone that reminders give for questions. They live with the other settings (so they
travel with the database and its backups); ``settings.py`` lists them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pharmdesk.controllers.reminders.templates import check_overrides
from pharmdesk.controllers.validation import Param, choice, integer, nullable, obj, string
from pharmdesk.errors import validation

SENDERS = ("whatsapp", "modem", "gateway", "csv")
BAUD_RATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
SECRET_SHOWN = "********"

DEFAULTS: dict[str, Any] = {
    "branchPhone": None,
    # WhatsApp from the desk phone needs nothing set up, so a new branch starts there.
    "messageSender": "whatsapp",
    "modemPort": None,
    "modemBaud": 115200,
    "gatewayUrl": None,
    "gatewayToken": None,
    "gatewayFields": {"to": "to", "text": "message", "reference": "reference"},
    "reminderTemplates": {},
}


def _url(name: str, value: Any) -> str:
    text = string(1, 500)(name, value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise validation(
            f"{name} must be the provider's full web address, such as "
            "https://sms.example.com/api/send.",
            name,
        )
    return text


def _baud(name: str, value: Any) -> int:
    rate = integer()(name, value)
    if rate not in BAUD_RATES:
        raise validation(
            f"{name} must be one of {', '.join(map(str, BAUD_RATES))} (most modems: 115200).",
            name,
        )
    return rate


def _field_name(name: str, value: Any) -> str:
    text = string(1, 64)(name, value).strip()
    if not text.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise validation(f"{name} must be a JSON field name such as 'to' or 'message'.", name)
    return text


PARAMS: dict[str, Param] = {
    "messageSender": Param(choice(*SENDERS)),
    "modemPort": Param(nullable(string(1, 200)), keep_null=True),
    "modemBaud": Param(_baud),
    "gatewayUrl": Param(nullable(_url), keep_null=True),
    "gatewayToken": Param(nullable(string(1, 500)), keep_null=True),
    "gatewayFields": Param(obj({key: Param(_field_name) for key in ("to", "text", "reference")})),
    "reminderTemplates": Param(check_overrides),
}


def shown(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as answered to a person: the gateway token is never shown back."""
    if settings.get("gatewayToken"):
        return {**settings, "gatewayToken": SECRET_SHOWN}
    return settings


def merge_templates(
    current: dict[str, dict[str, str]], wanted: dict[str, dict[str, str | None]]
) -> dict[str, dict[str, str]]:
    """A change names only the templates it changes; ``null`` goes back to the bundled."""
    merged = {purpose: dict(texts) for purpose, texts in current.items()}
    for purpose, texts in wanted.items():
        target = merged.setdefault(purpose, {})
        for language, text in texts.items():
            if text is None:
                target.pop(language, None)
            else:
                target[language] = text
    return {purpose: texts for purpose, texts in merged.items() if texts}
