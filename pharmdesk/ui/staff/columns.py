"""How the staff list shows a person: role, last sign-in and whether they can sign in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pharmdesk.ui.formatting import ago, local_date
from pharmdesk.ui.record_table import RecordColumn
from pharmdesk.ui.staff.role_dialog import ROLE_NAMES


def status_text(row: dict[str, Any]) -> str:
    if row["disabled"]:
        return "Disabled"
    if row["lockedOut"]:
        return "Locked out"
    return "Active"


def last_sign_in_text(row: dict[str, Any], now: dt.datetime) -> str:
    when = row.get("lastSignIn")
    if not when:
        return "Never"
    return f"{local_date(when)} ({ago(when, now)})"


def staff_columns(now: Callable[[], dt.datetime]) -> list[RecordColumn]:
    """``now`` is asked at each paint, so "3 days ago" stays true while the list is open."""
    return [
        RecordColumn("Username", lambda r: str(r["username"])),
        RecordColumn("Full name", lambda r: str(r["fullName"])),
        RecordColumn("Role", lambda r: ROLE_NAMES.get(r["role"], r["role"])),
        RecordColumn("Last sign-in", lambda r: last_sign_in_text(r, now())),
        RecordColumn(
            "Status",
            status_text,
            tooltip=lambda r: (
                "Cannot sign in; enabling needs a new password."
                if r["disabled"]
                else "Too many wrong passwords; Unlock lets them try again now."
                if r["lockedOut"]
                else None
            ),
        ),
    ]
