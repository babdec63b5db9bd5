"""Branch settings stored in the database (so they travel with it and its backups)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pharmdesk.controllers.reminders.sender_settings import DEFAULTS as MESSAGE_DEFAULTS
from pharmdesk.store.schema import Setting

DEFAULT_SETTINGS: dict[str, Any] = {
    "branchName": "PharmDesk branch",
    "defaultRegion": "NG",
    "currency": "NGN",
    "idleLockMinutes": 5,
    "backupFolder": None,
    "backupEveryHours": 24,
    "backupKeep": {"daily": 7, "weekly": 4, "monthly": 12},
    # The status bar reminds everyone when the last verified backup is older than this.
    "backupReminderDays": 7,
    # Reminders: the sender, its set-up, the branch's phone and its own templates.
    **MESSAGE_DEFAULTS,
}


def load_settings(tx: Session) -> dict[str, Any]:
    stored = {row.key: row.value for row in tx.scalars(select(Setting))}
    return {key: stored.get(key, default) for key, default in DEFAULT_SETTINGS.items()}


def save_settings(tx: Session, settings: dict[str, Any]) -> None:
    for key, value in settings.items():
        if key not in DEFAULT_SETTINGS:
            raise KeyError(key)
        row = tx.get(Setting, key)
        if row is None:
            tx.add(Setting(key=key, value=value))
        else:
            row.value = value
