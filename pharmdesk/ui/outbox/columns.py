"""The outbox table: one row per message, newest first, its text in the last column."""

from __future__ import annotations

from pharmdesk.ui.formatting import local_date
from pharmdesk.ui.record_table import RecordColumn

COLUMNS = [
    RecordColumn("Message", lambda m: str(m["id"])),
    RecordColumn("Customer", lambda m: str(m["customerName"])),
    RecordColumn("Channel", lambda m: "WhatsApp" if m["channel"] == "whatsapp" else "SMS"),
    RecordColumn("Due", lambda m: str(m["dueDate"])),
    RecordColumn("Status", lambda m: str(m["status"]) + (" (sending)" if m["claimed"] else "")),
    RecordColumn("Tries", lambda m: str(m["attempts"]), numeric=True),
    RecordColumn("SMS", lambda m: f"{m['segments']} ({m['encoding']})", numeric=True),
    RecordColumn("Sent", lambda m: local_date(m.get("sentAt"))),
    RecordColumn("Note", lambda m: str(m.get("detail") or ""), tooltip=lambda m: m.get("detail")),
    RecordColumn("Text", lambda m: str(m["text"]), tooltip=lambda m: str(m["text"])),
]
TEXT_COLUMN = len(COLUMNS) - 1
