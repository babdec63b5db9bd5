"""Link a customer to someone: another customer on file, or a named person with a phone
(a parent, child, spouse, caregiver or agent), who may collect, and how the customer
agreed. Also the small "why" dialog that removals and undoing a merge ask for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from pharmdesk.controllers.record.relationships import CONSENT_METHODS, KINDS
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.form_dialog import FormDialog
from pharmdesk.ui.record.picker import CustomerPicker
from pharmdesk.ui.widgets import plain_label

KIND_TEXT = {
    "parent": "Parent",
    "child": "Child",
    "spouse": "Spouse",
    "caregiver": "Caregiver",
    "agent": "Agent (collects on their behalf)",
}
METHOD_TEXT = {"verbal": "Told us at the desk", "written": "Signed a form", "form": "On the form"}


class RelationshipDialog(FormDialog):
    """addRelationship for one customer."""

    saved = Signal(str)  # REL id

    def __init__(
        self, desk: DeskContext, details: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__("&Add relationship", "saveRelationship", parent)
        self.desk = desk
        self.customer_id = str(details["id"])
        self.setObjectName("relationshipDialog")
        self.setWindowTitle(f"Add a relationship — {details['name']}")
        self.on_file = QRadioButton("Someone on &file")
        self.on_file.setObjectName("relatedOnFile")
        self.named = QRadioButton("Someone &not on file")
        self.named.setObjectName("relatedNamed")
        group = QButtonGroup(self)
        group.addButton(self.on_file)
        group.addButton(self.named)
        self.named.setChecked(True)
        who = QHBoxLayout()
        who.addWidget(self.on_file)
        who.addWidget(self.named)
        who.addStretch(1)
        self.picker = CustomerPicker(desk, exclude=self.customer_id, parent=self)
        self.picker.failed.connect(lambda exc: self.show_refusal(exc, {}))
        self.name = QLineEdit()
        self.name.setObjectName("relatedName")
        self.name.setAccessibleName("Their name")
        self.phone = QLineEdit()
        self.phone.setObjectName("relatedPhone")
        self.phone.setAccessibleName("Their phone")
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        for kind in KINDS:
            self.kind.addItem(KIND_TEXT[kind], kind)
        self.can_collect = QCheckBox("May &collect medicines for the customer")
        self.can_collect.setObjectName("canCollect")
        self.method = QComboBox()
        self.method.setObjectName("consentMethod")
        for method in CONSENT_METHODS:
            self.method.addItem(METHOD_TEXT[method], method)
        form = QFormLayout()
        form.addRow("Customer", plain_label(f"{details['name']} ({details['id']})"))
        form.addRow("Who", who)
        form.addRow("Find", self.picker)
        form.addRow("Na&me", self.name)
        form.addRow("P&hone", self.phone)
        form.addRow("They are the customer's", self.kind)
        form.addRow("", self.can_collect)
        form.addRow("Customer agreed", self.method)
        self.finish(form)
        self.on_file.toggled.connect(lambda _on: self._enable())
        self._enable()
        self.resize(620, self.sizeHint().height())

    def _enable(self) -> None:
        on_file = self.on_file.isChecked()
        self.picker.setEnabled(on_file)
        self.name.setEnabled(not on_file)
        self.phone.setEnabled(not on_file)

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "customerId": self.customer_id,
            "kind": self.kind.currentData(),
            "canCollect": self.can_collect.isChecked(),
            "consentMethod": self.method.currentData(),
        }
        if self.on_file.isChecked():
            chosen = self.picker.chosen()
            if chosen:
                params["relatedCustomerId"] = chosen
        else:
            if self.name.text().strip():
                params["name"] = self.name.text()
            if self.phone.text().strip():
                params["phone"] = self.phone.text()
        return params

    def save(self) -> None:
        self.error.hide()
        try:
            answer = self.desk.call("addRelationship", self.params())
        except PharmDeskError as exc:
            fields = {
                "relatedCustomerId": self.picker.search,
                "name": self.name,
                "phone": self.phone,
                "kind": self.kind,
            }
            self.show_refusal(exc, fields)
            return
        self.saved.emit(str(answer["relationshipId"]))
        self.accept()


class ReasonDialog(FormDialog):
    """Ask why, then run one operation with the reason (removing a relationship, undoing
    a merge). ``answered`` carries the operation's answer."""

    answered = Signal(dict)

    def __init__(
        self,
        title: str,
        question: str,
        action: str,
        run: Callable[[str], dict[str, Any]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(action, "confirmReason", parent)
        self.run = run
        self.setObjectName("reasonDialog")
        self.setWindowTitle(title)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setAccessibleName("Reason")
        form = QFormLayout()
        question_label = plain_label(question)
        question_label.setWordWrap(True)
        form.addRow(question_label)
        form.addRow("&Reason", self.reason)
        self.finish(form)
        self.resize(480, self.sizeHint().height())

    def save(self) -> None:
        self.error.hide()
        try:
            answer = self.run(self.reason.text())
        except PharmDeskError as exc:
            self.show_refusal(exc, {"reason": self.reason})
            return
        self.answered.emit(answer)
        self.accept()
