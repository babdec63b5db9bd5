"""The profile's consent grid: reminders and marketing x SMS, WhatsApp, email, call.

Each tick is one ``setConsent`` with how the customer gave it (chosen above the grid) and
the wording version kept with it. A refusal (a phone that answered STOP, an archived
customer) puts the box back and says why. The STOP state is shown under the grid.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import local_date, plain_tooltip
from pharmdesk.ui.widgets import error_label, plain_label

PURPOSES = (("reminders", "Refill reminders"), ("marketing", "Marketing"))
CHANNELS = (("sms", "SMS"), ("whatsapp", "WhatsApp"), ("email", "Email"), ("call", "Call"))
METHODS = (("verbal", "Told us at the desk"), ("written", "Signed a form"), ("form", "On our form"))


class ConsentGrid(QWidget):
    changed = Signal()

    def __init__(
        self, desk: DeskContext, details: dict[str, Any], *, parent: QWidget | None = None
    ) -> None:
        """From the profile's details (its ``consents``): opening a profile stays one view."""
        super().__init__(parent)
        self.desk = desk
        self.customer_id = str(details["id"])
        writable = not details.get("archived")
        self.setObjectName("consentGrid")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        how = QHBoxLayout()
        how.addWidget(plain_label("How the customer answered:"))
        self.method = QComboBox()
        self.method.setObjectName("consentMethod")
        for value, text in METHODS:
            self.method.addItem(text, value)
        how.addWidget(self.method)
        how.addStretch(1)
        layout.addLayout(how)
        grid = QGridLayout()
        self.boxes: dict[tuple[str, str], QCheckBox] = {}
        for col, (_channel, title) in enumerate(CHANNELS, 1):
            head = plain_label(title)
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(head, 0, col)
        for row, (purpose, title) in enumerate(PURPOSES, 1):
            grid.addWidget(plain_label(title), row, 0)
            for col, (channel, channel_title) in enumerate(CHANNELS, 1):
                box = QCheckBox()
                box.setObjectName(f"consent_{purpose}_{channel}")
                box.setAccessibleName(f"{title} by {channel_title}")
                box.setEnabled(writable)
                box.clicked.connect(
                    lambda checked, p=purpose, c=channel: self._set(p, c, bool(checked))
                )
                grid.addWidget(box, row, col, alignment=Qt.AlignmentFlag.AlignCenter)
                self.boxes[purpose, channel] = box
        grid.setHorizontalSpacing(24)
        narrow = QHBoxLayout()
        narrow.addLayout(grid)
        narrow.addStretch(1)
        layout.addLayout(narrow)
        self.stop_note = plain_label()
        self.stop_note.setObjectName("stopNote")
        self.stop_note.setWordWrap(True)
        self.stop_note.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.stop_note)
        self.error = error_label()
        layout.addWidget(self.error)
        self.show_consents(details["consents"], details.get("consentSuppressed"))

    def reload(self) -> None:
        answer = self.desk.call("getConsents", {"customerId": self.customer_id})
        self.show_consents(answer["current"], answer.get("suppressed"))

    def show_consents(self, current: list[dict[str, Any]], stop: dict[str, Any] | None) -> None:
        for item in current:
            box = self.boxes[item["purpose"], item["channel"]]
            box.setChecked(bool(item["granted"]))
            box.setToolTip(plain_tooltip(_tip(item)))
        if stop:
            self.stop_note.setText(
                f"This phone replied STOP on {local_date(stop['since'])}: no marketing until "
                "the customer signs a consent form (choose 'Signed a form')."
            )
            self.stop_note.show()
        else:
            self.stop_note.hide()

    def _set(self, purpose: str, channel: str, granted: bool) -> None:
        self.error.hide()
        try:
            self.desk.call(
                "setConsent",
                {
                    "customerId": self.customer_id,
                    "purpose": purpose,
                    "channel": channel,
                    "granted": granted,
                    "method": self.method.currentData(),
                },
            )
        except PharmDeskError as exc:
            self.boxes[purpose, channel].setChecked(not granted)
            self.error.setText(exc.message)
            self.error.show()
            return
        self.changed.emit()  # the profile reads the customer again, consents included


def _tip(item: dict[str, Any]) -> str:
    if not item.get("recordedAt"):
        return "Never asked"
    state = "Agreed" if item["granted"] else "Declined or withdrawn"
    return (
        f"{state} on {local_date(item['recordedAt'])}, recorded by {item['recordedBy']} "
        f"({item['method']}; wording {item['wordingVersion'] or 'not recorded'})"
    )
