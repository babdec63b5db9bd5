"""The plan catalog (admins): list, add, change price and medications, retire.

Plans are never deleted: subscriptions and their history point at them. Retiring one
(``updatePlan`` with ``active: false``) stops new enrollments; a change of price or
medications reaches each subscription at its next completed delivery, and existing
subscriptions keep their own copy of the terms until then.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.confirm import Ask, ask_yes_no
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.form_dialog import FormDialog, money_box
from pharmdesk.ui.formatting import money
from pharmdesk.ui.record_table import RecordColumn, RecordTableModel
from pharmdesk.ui.widgets import error_label, row_table

FREQUENCIES = (
    ("monthly", "Monthly"),
    ("weekly", "Weekly"),
    ("biweekly", "Every two weeks"),
    ("quarterly", "Quarterly"),
)
FREQUENCY_TEXT = dict(FREQUENCIES)
MAX_PRICE = 100_000_000


def medication_lines(text: str) -> list[str]:
    """One medication a line; blank lines and surrounding spaces ignored."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class PlanForm(FormDialog):
    """Add a plan, or change one's name, medications and price."""

    def __init__(
        self, desk: DeskContext, plan: dict[str, Any] | None, parent: QWidget | None = None
    ) -> None:
        super().__init__("&Save", "savePlan", parent)
        self.desk = desk
        self.plan = plan
        self.setObjectName("planForm")
        self.setWindowTitle(f"Change {plan['name']}" if plan else "New plan")
        currency = str(desk.settings().get("currency", "NGN"))
        self.name = QLineEdit(plan["name"] if plan else "")
        self.name.setObjectName("planName")
        self.medications = QPlainTextEdit("\n".join(plan["medications"]) if plan else "")
        self.medications.setObjectName("planMedications")
        self.medications.setTabChangesFocus(True)
        self.medications.setPlaceholderText("One medication a line, with its strength")
        self.frequency = QComboBox()
        self.frequency.setObjectName("planFrequency")
        for value, text in FREQUENCIES:
            self.frequency.addItem(text, value)
        if plan:
            self.frequency.setCurrentIndex(self.frequency.findData(plan["frequency"]))
            # A subscription's delivery rhythm is part of what the customer agreed to.
            self.frequency.setEnabled(False)
            self.frequency.setToolTip("The frequency of an existing plan cannot change.")
        self.price = money_box(currency, MAX_PRICE, "planPrice", "Price")
        self.price.setValue(int(plan["price"]) if plan else 0)
        if plan:
            self.set_note(
                "Changes apply from each subscriber's next delivery; current subscriptions "
                "keep their terms until then."
            )
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Medications", self.medications)
        form.addRow("&Frequency", self.frequency)
        form.addRow("&Price", self.price)
        self.finish(form)
        self.resize(480, 380)

    def params(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": self.name.text(),
            "medications": medication_lines(self.medications.toPlainText()),
            "price": self.price.value(),
        }
        if self.plan is None:
            values["frequency"] = self.frequency.currentData()
            return values
        changed = {key: value for key, value in values.items() if value != self.plan[key]}
        return {"planId": self.plan["id"], **changed}

    def save(self) -> None:
        self.error.hide()
        try:
            if self.plan is None:
                self.answer = self.desk.call("addPlan", self.params())
            else:
                self.answer = self.desk.call("updatePlan", self.params())
        except PharmDeskError as exc:
            fields = {"name": self.name, "medications": self.medications, "price": self.price}
            self.show_refusal(exc, fields)
            return
        self.accept()


class PlanCatalogDialog(QDialog):
    """Every plan, with Add, Change and Retire / Bring back."""

    def __init__(
        self, desk: DeskContext, ask: Ask = ask_yes_no, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.ask = ask
        self.setObjectName("planCatalog")
        self.setWindowTitle("Plans")
        self.currency = str(desk.settings().get("currency", "NGN"))
        columns = [
            RecordColumn("ID", lambda r: r["id"]),
            RecordColumn("Plan", lambda r: r["name"]),
            RecordColumn("Medications", lambda r: ", ".join(r["medications"])),
            RecordColumn("Frequency", lambda r: FREQUENCY_TEXT.get(r["frequency"], "")),
            RecordColumn("Price", lambda r: money(r["price"], self.currency), numeric=True),
            RecordColumn("Status", lambda r: "Active" if r["active"] else "Retired"),
        ]
        self.model = RecordTableModel(columns, highlight=lambda r: not r["active"], parent=self)
        self.table = row_table(self.model, "planTable")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.show_retired = QCheckBox("Show &retired plans")
        self.show_retired.setObjectName("showRetired")
        self.add_button = QPushButton("&Add plan…")
        self.add_button.setObjectName("addPlan")
        self.edit_button = QPushButton("&Change…")
        self.edit_button.setObjectName("editPlan")
        self.retire_button = QPushButton("Re&tire")
        self.retire_button.setObjectName("retirePlan")
        self.error = error_label()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.show_retired)
        row.addStretch(1)
        row.addWidget(self.add_button)
        row.addWidget(self.edit_button)
        row.addWidget(self.retire_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.show_retired.toggled.connect(lambda _c: self.reload())
        self.add_button.clicked.connect(lambda: self.open_form(None))
        self.edit_button.clicked.connect(lambda: self.open_form(self.current()))
        self.retire_button.clicked.connect(self.toggle_retired)
        self.table.doubleClicked.connect(lambda _i: self.open_form(self.current()))
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._buttons())
        self.reload()
        self.resize(900, 460)

    def current(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    def reload(self, select: str | None = None) -> None:
        self.error.hide()
        selected = select or (self.current() or {}).get("id")
        try:
            plans = self.desk.call("listPlans", {"includeRetired": self.show_retired.isChecked()})
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self.model.set_rows(plans["plans"])
        for row in range(self.model.rowCount()):
            record = self.model.record(row)
            if record is not None and record["id"] == selected:
                self.table.selectRow(row)
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.selectRow(0)
        self._buttons()

    def _buttons(self) -> None:
        plan = self.current()
        self.edit_button.setEnabled(plan is not None)
        self.retire_button.setEnabled(plan is not None)
        self.retire_button.setText("Bring &back" if plan and not plan["active"] else "Re&tire")

    def plan_form(self, plan: dict[str, Any] | None) -> PlanForm:
        form = PlanForm(self.desk, plan, self)
        form.accepted.connect(
            lambda: self.reload(getattr(form, "answer", {}).get("planId") or (plan or {}).get("id"))
        )
        return form

    def open_form(self, plan: dict[str, Any] | None) -> None:
        form = self.plan_form(plan)
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.setWindowModality(Qt.WindowModality.WindowModal)
        form.show()
        self.form = form

    def toggle_retired(self) -> None:
        plan = self.current()
        if plan is None:
            return
        retiring = bool(plan["active"])
        question = (
            f"Retire {plan['name']}? No one can be enrolled in it any more. Current "
            "subscriptions continue."
            if retiring
            else f"Bring back {plan['name']} so customers can be enrolled in it again?"
        )
        if not self.ask("Retire plan" if retiring else "Bring back plan", question):
            return
        try:
            self.desk.call("updatePlan", {"planId": plan["id"], "active": not retiring})
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        if retiring and not self.show_retired.isChecked():
            self.show_retired.setChecked(True)  # reloads, keeping the plan in sight
        self.reload(plan["id"])
