"""Who pays: the payer fields (shared by the profile's dialog and the customer form) and
the dialog that saves them with ``setPayer``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QWidget,
)

from pharmdesk.controllers.record.payer import CASH, known_payers
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.form_dialog import FormDialog
from pharmdesk.ui.widgets import DateEdit, plain_label

CASH_TEXT = "Cash (pays at the counter)"


class PayerFields(QWidget):
    """Payer (a Nigerian HMO from the list, or typed), member id, plan, cover end date."""

    def __init__(
        self, payer: dict[str, Any] | None, today: dt.date, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.payer = QComboBox()
        self.payer.setObjectName("payer")
        self.payer.setEditable(True)
        self.payer.setAccessibleName("Payer")
        self.payer.addItem(CASH_TEXT, CASH)
        for name in known_payers():
            self.payer.addItem(name, name)
        self.member_id = QLineEdit()
        self.member_id.setObjectName("memberId")
        self.member_id.setAccessibleName("Member id")
        self.plan_name = QLineEdit()
        self.plan_name.setObjectName("planName")
        self.plan_name.setAccessibleName("HMO plan")
        self.has_end = QCheckBox("Co&ver ends on")
        self.has_end.setObjectName("hasValidUntil")
        self.valid_until = DateEdit()
        self.valid_until.setObjectName("validUntil")
        self.valid_until.setCalendarPopup(True)
        self.valid_until.setDisplayFormat("dd MMM yyyy")
        self.valid_until.setAccessibleName("Cover ends on")
        end = (
            today.replace(year=today.year + 1)
            if not (today.month == 2 and today.day == 29)
            else today + dt.timedelta(days=365)
        )
        self.valid_until.setDate(QDate(end.year, end.month, end.day))
        until_row = QHBoxLayout()
        until_row.addWidget(self.has_end)
        until_row.addWidget(self.valid_until)
        until_row.addStretch(1)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Paye&r", self.payer)
        self.form.addRow("&Member id", self.member_id)
        self.form.addRow("P&lan", self.plan_name)
        self.form.addRow("Valid until", until_row)
        self.payer.currentIndexChanged.connect(lambda _i: self._enable())
        self.payer.editTextChanged.connect(lambda _t: self._enable())
        self.has_end.toggled.connect(lambda _on: self._enable())
        self.load(payer)

    def load(self, payer: dict[str, Any] | None) -> None:
        if payer is None or payer["payer"] == CASH:
            self.payer.setCurrentIndex(0)
        else:
            index = self.payer.findData(payer["payer"])
            if index >= 0:
                self.payer.setCurrentIndex(index)
            else:
                self.payer.setEditText(payer["payer"])
            self.member_id.setText(payer.get("memberId") or "")
            self.plan_name.setText(payer.get("planName") or "")
            if payer.get("validUntil"):
                until = dt.date.fromisoformat(payer["validUntil"])
                self.has_end.setChecked(True)
                self.valid_until.setDate(QDate(until.year, until.month, until.day))
        self._enable()

    def payer_name(self) -> str:
        text = self.payer.currentText().strip()
        index = self.payer.findText(text)
        if index >= 0 and self.payer.itemData(index):
            return str(self.payer.itemData(index))
        return text

    def is_cash(self) -> bool:
        return self.payer_name() == CASH

    def _enable(self) -> None:
        insured = not self.is_cash()
        for widget in (self.member_id, self.plan_name, self.has_end):
            widget.setEnabled(insured)
        self.valid_until.setEnabled(insured and self.has_end.isChecked())

    def params(self) -> dict[str, Any]:
        """setPayer's params (without the customer id)."""
        if self.is_cash():
            return {"payer": CASH}
        params: dict[str, Any] = {"payer": self.payer_name()}
        params["memberId"] = self.member_id.text().strip() or None
        params["planName"] = self.plan_name.text().strip() or None
        if self.has_end.isChecked():
            value = self.valid_until.date()
            params["validUntil"] = dt.date(value.year(), value.month(), value.day()).isoformat()
        return params

    def fields(self) -> dict[str, QWidget]:
        return {
            "payer": self.payer,
            "memberId": self.member_id,
            "planName": self.plan_name,
            "validUntil": self.valid_until,
        }


class PayerDialog(FormDialog):
    """Record who pays for this customer's medicines."""

    saved = Signal(str)  # customer id

    def __init__(
        self, desk: DeskContext, details: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__("&Save payer", "savePayer", parent)
        self.desk = desk
        self.customer_id = str(details["id"])
        self.setObjectName("payerDialog")
        self.setWindowTitle(f"Payer — {details['name']}")
        self.fields = PayerFields(details.get("payer"), desk.clock.today(), self)
        form = QFormLayout()
        form.addRow("Customer", plain_label(f"{details['name']} ({details['id']})"))
        form.addRow(self.fields)
        self.finish(form)
        self.set_note(
            "Pick an HMO or insurer from the list, or type one that is not listed. "
            "The member id is on the customer's card."
        )
        self.resize(520, self.sizeHint().height())

    def save(self) -> None:
        self.error.hide()
        try:
            self.desk.call("setPayer", {"customerId": self.customer_id, **self.fields.params()})
        except PharmDeskError as exc:
            self.show_refusal(exc, self.fields.fields())
            return
        self.saved.emit(self.customer_id)
        self.accept()
