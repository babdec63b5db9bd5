"""One audit entry in full, for the viewer's detail pane."""

from __future__ import annotations

import html
from typing import Any

from pharmdesk.ui.audit_view.model import (
    OUTCOME_LABELS,
    PROBLEM_OUTCOMES,
    Entry,
    action_label,
    detail_lines,
    what,
    when_local,
)
from pharmdesk.ui.theme import DANGER, MUTED


def entry_html(entry: Entry, staff_names: dict[str, str], region: str = "NG") -> str:
    """Every field of one entry, escaped (the detail may hold anything a person typed)."""

    def esc(value: Any) -> str:
        return html.escape("" if value is None else str(value))

    user = str(entry.get("user") or "")
    full_name = staff_names.get(user)
    outcome = str(entry.get("outcome"))
    outcome_text = esc(OUTCOME_LABELS.get(outcome, outcome))
    if outcome in PROBLEM_OUTCOMES:
        outcome_text = f"<b style='color:{DANGER}'>{outcome_text}</b>"
    action = str(entry.get("action"))
    grey = f"<span style='color:{MUTED}'>({{}})</span>"
    rows = [
        (
            "When",
            f"{esc(when_local(entry.get('at')))} " + grey.format(f"{esc(entry.get('at'))} UTC"),
        ),
        ("Staff", esc(f"{user} ({full_name})" if full_name else user)),
        ("Action", f"{esc(action_label(action))} " + grey.format(esc(action))),
        ("What", esc(what(entry))),
        ("Outcome", outcome_text),
    ]
    table = "".join(
        f"<tr><td style='color:{MUTED}; padding-right:12px'>{name}</td><td>{value}</td></tr>"
        for name, value in rows
    )
    lines = detail_lines(entry, region)
    if lines:
        body = "".join(
            f"<div style='margin-left:{16 if line.startswith('  ') else 0}px'>"
            f"{esc(line.strip())}</div>"
            for line in lines
        )
    else:
        body = f"<div style='color:{MUTED}'>No further detail.</div>"
    return (
        f"<h3>{esc(entry['id'])} · {esc(action_label(action))}</h3>"
        f"<table cellspacing='0' cellpadding='2'>{table}</table>"
        f"<p style='margin-top:10px'><b>Details</b></p>{body}"
    )
