"""The audit log as a CSV file: every entry matching the filters (all keyset pages), in
readable columns plus the detail JSON, through the one formula-safe CSV writer; written
only after an ``export`` entry says who exported what."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pharmdesk.errors import PharmDeskError
from pharmdesk.exports.csv_safe import csv_bytes
from pharmdesk.store.files import write_file_atomic
from pharmdesk.ui.audit_view.model import Entry, detail_lines, when_local

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


@dataclass(frozen=True)
class ExportOutcome:
    """Where the file went (None: nothing written) and what to tell the person."""

    path: Path | None
    message: str
    failed: bool


def write_export(
    call: Call,
    path: Path,
    filters: dict[str, Any],
    *,
    replace: bool,
    region: str,
    progress: Callable[[int], None],
) -> ExportOutcome:
    """Read every matching entry, record the export, then write the file atomically."""

    def failed(message: str) -> ExportOutcome:
        return ExportOutcome(None, message, True)

    try:
        entries = read_all(call, filters, progress)
    except PharmDeskError as exc:
        return failed(f"{exc.message} Nothing was written.")
    if not entries:
        return ExportOutcome(None, "Nothing to export: no entries match these filters.", False)
    data = audit_csv(entries, region)
    record = {**filters, "entries": len(entries), "throughId": entries[0]["id"]}
    try:
        # Audited before the file exists: no export without its entry.
        call("recordAuditExport", record)
    except PharmDeskError as exc:
        return failed(f"{exc.message} Nothing was written.")
    try:
        write_file_atomic(path, data, replace=replace)
    except OSError as exc:
        if isinstance(exc, FileExistsError):
            outcome = failed(f"{path.name} appeared meanwhile; nothing was written. Try again.")
        else:
            outcome = failed(
                f"The file could not be written ({exc.strerror or 'disk error'}). "
                "Check the drive has space and is not write-protected."
            )
        # (When even this fails, the first entry still says an export was attempted.)
        with contextlib.suppress(PharmDeskError):
            call("recordAuditExport", {**record, "outcome": "failed"})
        return outcome
    noun = "entry" if len(entries) == 1 else "entries"
    return ExportOutcome(path, f"Exported {len(entries):,} {noun} to {path}.", False)
