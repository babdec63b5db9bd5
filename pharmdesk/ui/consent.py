"""Recording marketing consent: one customer from the profile, or several from a segment.

Consent is what lets a customer into a campaign export, so it is recorded only after the
person at the desk confirms the customer actually gave it. Each change goes through
``setMarketingConsent``, which keeps who recorded it and when, and audits it (``consent``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.confirm import Ask, ask_yes_no
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.widgets import cancel_or, error_label, heading, plain_label

MAX_LISTED = 200


class ConsentToggle(QWidget):
    """The profile's consent button: gives or withdraws consent after a confirmation."""

    changed = Signal(bool)  # the consent now recorded

    def __init__(
        self,
        desk: DeskContext,
        details: dict[str, Any],
        *,
        ask: Ask = ask_yes_no,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.ask = ask
        self.customer_id = str(details["id"])
        self.name = str(details["name"])
        self.consent = bool(details.get("marketingConsent"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button = QPushButton(
            "Withdraw marketing consent…" if self.consent else "Record marketing consent…"
        )
        self.button.setObjectName("consentToggle")
        self.button.setToolTip(
            "The customer asked not to receive marketing messages any more"
            if self.consent
            else "The customer agreed to receive marketing messages (SMS, email)"
        )
        self.button.setEnabled(not details.get("archived"))
        self.button.clicked.connect(self.toggle)
        self.error = error_label()
        layout.addWidget(self.button)
        layout.addWidget(self.error, 1)
        layout.addStretch(1)

    def toggle(self) -> None:
        wanted = not self.consent
        if wanted:
            question = (
                f"Record that {self.name} agreed to receive marketing messages?\n\n"
                "Only do this if the customer told you so. Your name and the time are kept."
            )
        else:
            question = (
                f"Record that {self.name} no longer wants marketing messages?\n\n"
                "They will be left out of every campaign export from now on."
            )
        if not self.ask("Marketing consent", question):
            return
        try:
            self.desk.call(
                "setMarketingConsent", {"customerId": self.customer_id, "consent": wanted}
            )
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self.consent = wanted
        self.changed.emit(wanted)


class BulkConsentDialog(QDialog):
    """Record consent for customers chosen in a segment, once staff confirm they have it."""

    def __init__(
        self,
        desk: DeskContext,
        customers: Sequence[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.customers = list(customers)
        self.recorded: list[str] = []
        self.failed: list[tuple[str, str]] = []
        self.setObjectName("bulkConsent")
        self.setWindowTitle("Record marketing consent")
        n = len(self.customers)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Record marketing consent"))
        intro = plain_label(
            f"You are about to record marketing consent for {n:,} "
            f"{'customer' if n == 1 else 'customers'}. They will be included in campaign "
            "exports. Your name and the time are kept for each of them."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget()
        self.list.setObjectName("consentCustomers")
        for customer_id, name in self.customers[:MAX_LISTED]:
            self.list.addItem(f"{name} ({customer_id})")
        if n > MAX_LISTED:
            self.list.addItem(f"… and {n - MAX_LISTED:,} more")
        layout.addWidget(self.list, 1)
        who = "this customer has" if n == 1 else f"each of these {n:,} customers has"
        self.confirm = QCheckBox(
            f"I confirm that {who} told us they agree to receive marketing messages."
        )
        self.confirm.setObjectName("confirmConsent")
        layout.addWidget(self.confirm)
        self.error = error_label()
        layout.addWidget(self.error)
        self.buttons, self.record_button = cancel_or("&Record consent", "recordConsent")
        self.record_button.setEnabled(False)
        self.confirm.toggled.connect(self.record_button.setEnabled)
        self.record_button.clicked.connect(self.record)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(520, 420)

    def record(self) -> None:
        """One ``setMarketingConsent`` per customer: each change is its own audit entry."""
        if not self.confirm.isChecked():
            return
        self.recorded, self.failed = [], []
        self.record_button.setEnabled(False)
        for customer_id, name in self.customers:
            try:
                self.desk.call("setMarketingConsent", {"customerId": customer_id, "consent": True})
            except PharmDeskError as exc:
                self.failed.append((name, exc.message))
            else:
                self.recorded.append(customer_id)
            QApplication.processEvents()
        if self.failed:
            name, message = self.failed[0]
            more = f" (and {len(self.failed) - 1} more)" if len(self.failed) > 1 else ""
            self.error.setText(
                f"Recorded for {len(self.recorded):,}; not for {name}{more}: {message}"
            )
            self.error.show()
            return
        self.accept()
