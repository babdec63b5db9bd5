"""The customer's own rights, for an admin at the profile (NDPA 2023):

- ``AccessReportDialog``: who saw or changed the record and when (``getAccessReport``),
  and the access export: everything held (``exportCustomerData``) with that report, as a
  JSON file and a PDF, written owner-only.
- ``EraseDialog``: ``eraseCustomer``, after the admin types the customer's id.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.store.files import write_json_atomic
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.form_dialog import FormDialog
from pharmdesk.ui.formatting import local_date
from pharmdesk.ui.pdf import write_pdf
from pharmdesk.ui.record_table import RecordColumn, RecordTableModel
from pharmdesk.ui.widgets import DateEdit, error_label, heading, plain_label, row_table

ACTION_TEXT = {
    "view": "Opened the profile",
    "list": "Saw it in a list",
    "segment": "Saw it in a segment",
    "export": "Exported it",
    "print": "Printed it",
    "create": "Registered the customer",
    "update": "Changed details",
    "consent": "Changed consent",
    "order": "Recorded an order",
    "enroll": "Enrolled in a plan",
    "relationship": "Changed relationships",
    "payer": "Changed the payer",
    "merge": "Merged records",
    "subscription": "Paused, resumed or cancelled a plan",
    "review": "Reviewed a held plan",
    "archive": "Archived the record",
    "import": "Imported it",
    "erase": "Erased the record",
}


def _when(entry: dict[str, Any]) -> str:
    value = dt.datetime.fromisoformat(str(entry["at"]).replace("Z", "+00:00")).astimezone()
    return value.strftime("%d %b %Y %H:%M")


def access_html(export: dict[str, Any], report: dict[str, Any]) -> str:
    """The printable access export: what is held, and who saw or changed it."""
    c = export["customer"]
    held = [
        ("Customer", f"{c['name']} ({c['id']})"),
        ("Phone", c.get("phone") or "—"),
        ("Email", c.get("email") or "—"),
        ("Address", c.get("address") or "—"),
        ("Date of birth", c.get("dateOfBirth") or "—"),
        ("Allergies", ", ".join(c.get("allergies") or []) or "none recorded"),
        ("Conditions", ", ".join(c.get("medicalConditions") or []) or "none recorded"),
        ("Notes", c.get("notes") or "—"),
        ("Plans", str(len(export["subscriptions"]))),
        ("Orders", str(len(export["orders"]))),
    ]
    rows = "".join(f"<tr><td><b>{escape(k)}</b></td><td>{escape(v)}</td></tr>" for k, v in held)
    seen = "".join(
        f"<tr><td>{escape(_when(e))}</td><td>{escape(e['user'])}</td>"
        f"<td>{escape(ACTION_TEXT.get(e['action'], e['action']))}</td></tr>"
        for e in report["entries"]
    )
    return (
        f"<h2>Data held about {escape(c['name'])}</h2><table cellpadding='3'>{rows}</table>"
        "<h3>Who saw or changed this record</h3>"
        f"<table cellpadding='3'><tr><th>When</th><th>Who</th><th>What</th></tr>{seen}</table>"
        f"<p>Exported {escape(export['exportedAt'])} by PharmDesk.</p>"
    )


class AccessReportDialog(QDialog):
    """The access report on screen, and the access export to files."""

    def __init__(
        self, desk: DeskContext, details: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.customer_id = str(details["id"])
        self.setObjectName("accessReportDialog")
        self.setWindowTitle(f"Access report — {details['name']}")
        self.all_time = QCheckBox("&All time")
        self.all_time.setObjectName("allTime")
        self.all_time.setChecked(True)
        today = desk.clock.today()
        self.from_date = DateEdit()
        self.from_date.setObjectName("reportFrom")
        self.to_date = DateEdit()
        self.to_date.setObjectName("reportTo")
        for edit in (self.from_date, self.to_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setDate(QDate(today.year, today.month, today.day))
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("showReport")
        dates = QHBoxLayout()
        dates.addWidget(self.all_time)
        dates.addWidget(plain_label("From"))
        dates.addWidget(self.from_date)
        dates.addWidget(plain_label("to"))
        dates.addWidget(self.to_date)
        dates.addWidget(self.show_button)
        dates.addStretch(1)
        columns = [
            RecordColumn("When", _when),
            RecordColumn("Who", lambda e: str(e["user"])),
            RecordColumn("What", lambda e: ACTION_TEXT.get(e["action"], e["action"])),
            RecordColumn("Record", lambda e: str(e["recordId"])),
        ]
        self.model = RecordTableModel(columns, [], parent=self)
        self.table = row_table(self.model, "accessEntries", fit_columns=True)
        self.table.setWordWrap(False)
        self.summary = plain_label()
        self.summary.setObjectName("accessSummary")
        self.summary.setWordWrap(True)
        self.error = error_label()
        self.json_button = QPushButton("Save export as &JSON…")
        self.json_button.setObjectName("saveAccessJson")
        self.pdf_button = QPushButton("Save export as P&DF…")
        self.pdf_button.setObjectName("saveAccessPdf")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for button in (self.json_button, self.pdf_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"Who saw or changed {details['name']} ({details['id']})"))
        layout.addLayout(dates)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.all_time.toggled.connect(lambda _on: self._enable())
        self.show_button.clicked.connect(self.load)
        self.json_button.clicked.connect(lambda: self._save_as("json"))
        self.pdf_button.clicked.connect(lambda: self._save_as("pdf"))
        self._enable()
        self.report: dict[str, Any] = {}
        self.load()
        self.resize(820, 560)

    def _enable(self) -> None:
        for edit in (self.from_date, self.to_date):
            edit.setEnabled(not self.all_time.isChecked())

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"customerId": self.customer_id}
        if not self.all_time.isChecked():
            for name, edit in (("from", self.from_date), ("to", self.to_date)):
                value = edit.date()
                params[name] = dt.date(value.year(), value.month(), value.day()).isoformat()
        return params

    def load(self) -> None:
        self.error.hide()
        try:
            self.report = self.desk.call("getAccessReport", self.params())
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self.model.set_rows(self.report["entries"])
        people = ", ".join(
            f"{p['user']} (saw {p['seen']}, changed {p['changed']}; last {local_date(p['last'])})"
            for p in self.report["people"]
        )
        self.summary.setText(f"{len(self.report['entries'])} entries. " + (people or "Nobody yet."))

    def write_export(self, path: Path, kind: str) -> None:
        """The access export (``exportCustomerData`` with the report) to ``path``."""
        export = self.desk.call("exportCustomerData", {"customerId": self.customer_id})
        if kind == "json":
            write_json_atomic(path, {**export, "accessReport": self.report})
        else:
            document = QTextDocument()
            document.setHtml(access_html(export, self.report))
            write_pdf(path, document)

    def _save_as(self, kind: str) -> None:
        suffix = "json" if kind == "json" else "pdf"
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Save the access export",
            f"{self.customer_id}-access.{suffix}",
            f"{suffix.upper()} (*.{suffix})",
        )
        if not name:
            return
        try:
            self.write_export(Path(name), kind)
        except OSError as exc:
            QMessageBox.warning(
                self,
                "Not saved",
                f"The file could not be saved "
                f"({exc.strerror or 'disk error'}). Check the folder and try again.",
            )
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()


class EraseDialog(FormDialog):
    """Erase a customer's personal data for good, after typing their id to confirm."""

    erased = Signal(str)  # customer id

    def __init__(
        self, desk: DeskContext, details: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__("&Erase for good", "confirmErase", parent)
        self.desk = desk
        self.customer_id = str(details["id"])
        self.setObjectName("eraseDialog")
        self.setWindowTitle(f"Erase {details['name']}")
        warning = plain_label(
            f"This removes {details['name']}'s personal data for good: name, phone, email, "
            "address, birth date, allergies, conditions, notes, payer, consents and "
            "relationships, and their values in the audit log. Orders stay as amounts. It "
            "cannot be undone; make the access export first if the customer asked for it."
        )
        warning.setObjectName("eraseWarning")
        warning.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("eraseReason")
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText("e.g. customer's written request of 12 Dec")
        self.typed = QLineEdit()
        self.typed.setObjectName("eraseConfirm")
        self.typed.setAccessibleName("Type the customer id to confirm")
        self.typed.setPlaceholderText(self.customer_id)
        form = QFormLayout()
        form.addRow(warning)
        form.addRow("&Reason", self.reason)
        form.addRow(f"Type {self.customer_id} to &confirm", self.typed)
        self.finish(form)
        self.save_button.setEnabled(False)
        self.typed.textChanged.connect(self._enable)
        self.resize(560, self.sizeHint().height())

    def _enable(self) -> None:
        self.save_button.setEnabled(self.typed.text().strip().upper() == self.customer_id)

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        self.error.hide()
        try:
            self.desk.call(
                "eraseCustomer", {"customerId": self.customer_id, "reason": self.reason.text()}
            )
        except PharmDeskError as exc:
            self.show_refusal(exc, {"reason": self.reason})
            return
        self.erased.emit(self.customer_id)
        self.accept()
