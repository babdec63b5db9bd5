"""The profile's send log: the customer's reminders (channel, when, status, attempts),
newest first, from ``listOutbox`` with the customer's id.

Staff answering "did you text me?" see here what went, when, on which channel, and why
one did not (the outbox's own note: consent withdrawn, gave up after five tries, sent
from the desk phone). Stored text (the message, a provider's note) is shown as plain
text only, in cells and tooltips.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from pharmdesk.clock import parse_iso
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import day
from pharmdesk.ui.record_table import RecordColumn, RecordTableModel
from pharmdesk.ui.widgets import error_label, plain_label, row_table

SHOWN = 10
CHANNELS = {"sms": "SMS", "whatsapp": "WhatsApp", "email": "Email", "call": "Call"}
STATUSES = {
    "queued": "Queued",
    "sent": "Sent",
    "delivered": "Delivered",
    "failed": "Failed",
}


def when(message: dict[str, Any]) -> str:
    """The moment that matters for the status: delivered, sent, else queued."""
    stamp = message.get("deliveredAt") or message.get("sentAt") or message.get("createdAt")
    if not stamp:
        return ""
    return parse_iso(str(stamp)).astimezone().strftime("%d %b %Y %H:%M")


def status_text(message: dict[str, Any]) -> str:
    text = STATUSES.get(str(message["status"]), str(message["status"]))
    if message["status"] == "queued" and message.get("claimed"):
        return "Being sent"
    if message["status"] == "queued" and message.get("nextAttemptAt"):
        return "Queued (retry)"
    return text


COLUMNS = [
    RecordColumn("When", when),
    RecordColumn("Channel", lambda m: CHANNELS.get(str(m["channel"]), str(m["channel"]))),
    RecordColumn("Status", status_text, tooltip=lambda m: m.get("detail")),
    RecordColumn("Tries", lambda m: str(m["attempts"]), numeric=True),
    RecordColumn("For the refill due", lambda m: day(m.get("dueDate"))),
    RecordColumn("Message", lambda m: str(m["text"]), tooltip=lambda m: str(m["text"])),
]


class SendLog(QWidget):
    """The customer's messages, newest first (the newest ``SHOWN``; the Outbox tab has
    them all)."""

    def __init__(self, desk: DeskContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sendLog")
        self.desk = desk
        self.customer_id = customer_id
        self.model = RecordTableModel(COLUMNS, parent=self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = plain_label()
        self.summary.setObjectName("sendLogSummary")
        layout.addWidget(self.summary)
        self.table = row_table(self.model, "sendLogTable", fit_columns=True)
        layout.addWidget(self.table)
        self.error = error_label()
        layout.addWidget(self.error)
        self.load()

    def load(self) -> None:
        self.error.hide()
        try:
            answer = self.desk.call("listOutbox", {"customerId": self.customer_id, "limit": SHOWN})
        except PharmDeskError as exc:
            self.model.set_rows([])
            self.table.hide()
            self.summary.setText("The send log could not be read.")
            self.error.setText(exc.message)
            self.error.show()
            return
        messages = answer["messages"]
        self.model.set_rows(messages)
        total = int(answer["total"])
        if not messages:
            self.summary.setText("No reminders or messages yet.")
        elif total > len(messages):
            self.summary.setText(
                f"The newest {len(messages)} of {total:,} messages (all are in the Outbox tab)."
            )
        else:
            self.summary.setText(f"{total} message{'s' if total != 1 else ''}, newest first.")
        self.table.setVisible(bool(messages))
        rows = max(1, min(len(messages), 5))
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + rows * 30 + 4)
