"""The audit log as a CSV file: every entry matching the filters (all keyset pages), in
readable columns plus the detail JSON, through the one formula-safe CSV writer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pharmdesk.exports.csv_safe import csv_bytes
from pharmdesk.ui.audit_model import Entry, detail_lines, when_local

EXPORT_PAGE = 500


Call = Callable[[str, dict[str, Any]], dict[str, Any]]


CSV_HEADER = (
    "ID",
    "When (local)",
    "When (UTC)",
    "Staff",
    "Action",
    "Entity type",
    "Entity ID",
    "Outcome",
    "Details",
    "Detail (JSON)",
)


def audit_csv(entries: list[Entry], region: str = "NG") -> bytes:
    """The entries as CSV: readable columns, plus the detail JSON for tools. Every cell
    is made formula-safe by the one CSV writer (a name starting with '=' is shown, never
    run)."""
    return csv_bytes(
        CSV_HEADER,
        (
            [
                entry["id"],
                when_local(entry.get("at")),
                entry.get("at"),
                entry.get("user"),
                entry.get("action"),
                entry.get("entityType"),
                entry.get("entityId"),
                entry.get("outcome"),
                "\n".join(detail_lines(entry, region)),
                json.dumps(entry.get("detail") or {}, ensure_ascii=False),
            ]
            for entry in entries
        ),
    )


def read_all(
    call: Call, filters: dict[str, Any], progress: Callable[[int], None] = lambda _n: None
) -> list[Entry]:
    """Every entry matching ``filters``, newest first, following the keyset pages."""
    entries: list[Entry] = []
    before: str | None = None
    while True:
        params: dict[str, Any] = {"limit": EXPORT_PAGE, **filters}
        if before is not None:
            params["beforeId"] = before
        answer = call("fetchAuditLog", params)
        entries.extend(answer["entries"])
        progress(len(entries))
        before = answer["nextBeforeId"]
        if not answer["hasMore"] or before is None:
            return entries


def default_export_name(filters: dict[str, Any], today: str) -> str:
    parts = ["audit-log"]
    for key in ("user", "action", "customerId"):
        if key in filters:
            parts.append(re.sub(r"[^A-Za-z0-9-]+", "-", str(filters[key])).strip("-"))
    parts.append(today)
    return "-".join(parts) + ".csv"
