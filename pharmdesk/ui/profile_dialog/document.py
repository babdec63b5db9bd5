"""The profile as text: the allergy banner's wording and the printable profile."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from pharmdesk.ui.formatting import day, local_date, money, national_phone
from pharmdesk.ui.plan_controls import STATUS_TEXT
from pharmdesk.ui.theme import DANGER_BACKGROUND


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def allergy_banner_text(details: dict[str, Any]) -> tuple[str, str]:
    """(state, text) of the allergy banner: the first thing anyone reads."""
    status = details["allergyStatus"]
    confirmed = ""
    if details.get("allergiesConfirmedAt"):
        confirmed = (
            f" — confirmed {local_date(details['allergiesConfirmedAt'])}"
            f" by {details.get('allergiesConfirmedBy') or 'unknown'}"
        )
    if status == "recorded":
        return "recorded", "⚠ ALLERGIES: " + ", ".join(details["allergies"]) + confirmed
    if status == "noneKnown":
        return "noneKnown", "No known allergies" + confirmed
    return "unknown", "Allergies not yet asked — ask the customer before dispensing"


def profile_html(d: dict[str, Any], currency: str, region: str) -> str:
    """The printable profile: what a pharmacist would file or hand over."""
    _state, allergy = allergy_banner_text(d)
    rows = [
        ("Customer", f"{escape(d['name'])} ({d['id']})"),
        ("Phone", escape(national_phone(d["phone"], region))),
        ("Email", escape(d.get("email") or "—")),
        ("Address", escape(d.get("address") or "—")),
        ("Date of birth", day(d.get("dateOfBirth")) or "—"),
        ("Conditions", escape(", ".join(d.get("medicalConditions") or []) or "none recorded")),
        ("Orders", f"{d['stats']['totalOrders']:,} ({money(d['stats']['totalSpent'], currency)})"),
        ("Notes", escape(d.get("notes") or "—")),
    ]
    table = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    plans = "".join(
        f"<li>{escape(p['name'])}: {escape(', '.join(p['medications']))} — "
        f"{STATUS_TEXT.get(p['status'], p['status'])}"
        + (f", next delivery {day(p['nextDelivery'])}" if p.get("nextDelivery") else "")
        + "</li>"
        for p in d["plans"]
    )
    return (
        f"<h2>{escape(d['name'])}</h2>"
        f"<p style='background:{DANGER_BACKGROUND};padding:6px'><b>{escape(allergy)}</b></p>"
        f"<table cellpadding='4'>{table}</table>"
        f"<h3>Plans</h3><ul>{plans or '<li>none</li>'}</ul>"
        "<p style='color:#555'>Confidential patient information — printed from PharmDesk.</p>"
    )
