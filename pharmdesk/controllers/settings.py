"""Branch settings: read by everyone (the GUI needs the idle lock and currency), changed by
admins only, every change audited with its old and new value.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import phonenumbers
from babel.numbers import list_currencies

from pharmdesk.controllers.registry import ADMINS, EVERYONE, Op, operation
from pharmdesk.controllers.reminders import sender_settings
from pharmdesk.controllers.settings_store import load_settings, save_settings
from pharmdesk.controllers.validation import (
    Param,
    free_text,
    integer,
    nullable,
    obj,
    phone_e164,
    string,
)
from pharmdesk.errors import validation

KEEP_KINDS = ("daily", "weekly", "monthly")


def _branch_name(name: str, value: Any) -> str:
    text = free_text(0, 120)(name, value)
    if not text:
        raise validation(f"{name} cannot be empty.", name)
    return text


def _region(name: str, value: Any) -> str:
    """An ISO 3166 region that phonenumbers can parse local numbers for (NG, GH, KE...)."""
    code = string(1, 3)(name, value).upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise validation(
            f"{name} must be a two-letter country code such as NG or GH (got {code[:8]}).", name
        )
    return code


def _currency(name: str, value: Any) -> str:
    code = string(1, 8)(name, value).upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or code not in list_currencies():
        raise validation(
            f"{name} must be a three-letter ISO 4217 currency code such as NGN (got {code[:8]}).",
            name,
        )
    return code


def _folder(name: str, value: Any) -> str:
    """A full path: the backup runs unattended, with no current folder to be relative to."""
    text = string(1, 1000)(name, value)
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise validation(
            f"{name} must be a full path to a folder (a USB drive or a share), such as "
            "E:\\PharmDesk backups or /media/usb/pharmdesk.",
            name,
        )
    return str(path)


SETTINGS_PARAMS: dict[str, Param] = {
    "branchName": Param(_branch_name),
    "defaultRegion": Param(_region),
    "currency": Param(_currency),
    "idleLockMinutes": Param(integer(1, 60)),
    # null clears the folder (no scheduled backup), so it reaches the converter.
    "backupFolder": Param(nullable(_folder), keep_null=True),
    "backupEveryHours": Param(integer(1, 720)),
    # A kind left out keeps its current value.
    "backupKeep": Param(obj({kind: Param(integer(0, 100)) for kind in KEEP_KINDS})),
    "backupReminderDays": Param(integer(1, 365)),
    # The number reminders give for questions; E.164, read in the branch's region.
    "branchPhone": Param(nullable(string(1, 40)), keep_null=True),
    **sender_settings.PARAMS,
}


@operation("getSettings", params={}, roles=EVERYONE)
def get_settings(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    return {"settings": sender_settings.shown(copy.deepcopy(load_settings(op.tx)))}


@operation("updateSettings", params=SETTINGS_PARAMS, roles=ADMINS)
def update_settings(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    current = load_settings(op.tx)
    wanted = dict(p)
    if wanted.get("branchPhone"):
        region = wanted.get("defaultRegion", current["defaultRegion"])
        wanted["branchPhone"] = phone_e164(wanted["branchPhone"], region, "branchPhone")
    if "backupKeep" in wanted:
        wanted["backupKeep"] = {**current["backupKeep"], **wanted["backupKeep"]}
    if "gatewayFields" in wanted:
        wanted["gatewayFields"] = {**current["gatewayFields"], **wanted["gatewayFields"]}
    if "reminderTemplates" in wanted:
        wanted["reminderTemplates"] = sender_settings.merge_templates(
            current["reminderTemplates"], wanted["reminderTemplates"]
        )
    changes = {key: value for key, value in wanted.items() if current[key] != value}
    if changes:
        save_settings(op.tx, changes)
        op.audit(
            "settings",
            "settings",
            None,
            {
                "changes": {
                    key: {
                        "old": sender_settings.shown(current)[key],
                        "new": sender_settings.shown(changes)[key],
                    }
                    for key in changes
                }
            },
        )
        # The session caches settings (region for phones, idle lock); read them afresh.
        op.desk.forget_settings()
    return {"settings": sender_settings.shown(copy.deepcopy({**current, **changes}))}
