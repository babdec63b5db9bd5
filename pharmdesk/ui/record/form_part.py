"""The customer form's part of the completed record: who pays, and (for a new customer)
who may collect for them. Saved right after the customer with ``setPayer`` and
``addRelationship``; checked before, so a form that cannot be saved whole is not saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QWidget

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.record.payer_dialog import PayerFields
from pharmdesk.ui.record.relationship_dialog import KIND_TEXT
from pharmdesk.ui.widgets import plain_label

COLLECTOR_KINDS = ("caregiver", "agent", "spouse", "child", "parent")


class RecordFormPart(QWidget):
    def __init__(self, today: dt.date, *, new: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordFormPart")
        self.new = new
        self.original_payer: dict[str, Any] | None = None
        self.payer = PayerFields(None, today, self)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.payer)
        self.collector_name = QLineEdit()
        self.collector_name.setObjectName("collectorName")
        self.collector_name.setAccessibleName("Who may collect: name")
        self.collector_name.setPlaceholderText("Name (optional)")
        self.collector_phone = QLineEdit()
        self.collector_phone.setObjectName("collectorPhone")
        self.collector_phone.setAccessibleName("Who may collect: phone")
        self.collector_phone.setPlaceholderText("Phone")
        self.collector_kind = QComboBox()
        self.collector_kind.setObjectName("collectorKind")
        self.collector_kind.setAccessibleName("Who may collect: they are the customer's")
        for kind in COLLECTOR_KINDS:
            self.collector_kind.addItem(KIND_TEXT[kind].split(" (")[0], kind)
        if new:
            row = QHBoxLayout()
            row.addWidget(self.collector_name, 3)
            row.addWidget(self.collector_phone, 2)
            row.addWidget(self.collector_kind, 1)
            form.addRow("May collec&t", row)
        else:
            form.addRow("", plain_label("Family and carers: on the profile.", "subtitle"))
        self._clean = self.snapshot()

    def load(self, details: dict[str, Any]) -> None:
        self.original_payer = details.get("payer")
        self.payer.load(self.original_payer)
        self._clean = self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        return {"payer": self.payer.params(), "collector": self.collector()}

    def collector(self) -> dict[str, Any] | None:
        name = self.collector_name.text().strip()
        phone = self.collector_phone.text().strip()
        if not (self.new and (name or phone)):
            return None
        return {"name": name, "phone": phone, "kind": self.collector_kind.currentData()}

    def payer_changed(self) -> bool:
        before = self.original_payer
        now = self.payer.params()
        if before is None:
            return now != {"payer": "cash"}
        was = {"payer": before["payer"]}
        if before["payer"] != "cash":
            was |= {
                "memberId": before.get("memberId"),
                "planName": before.get("planName"),
            }
            if before.get("validUntil"):
                was["validUntil"] = before["validUntil"]
        return now != was

    def problem(self) -> tuple[str, QWidget] | None:
        """What must be fixed before anything is saved (the operations would refuse it)."""
        params = self.payer.params()
        if params["payer"] != "cash" and not params.get("memberId"):
            return f"Give the member id on the customer's {params['payer']} card.", (
                self.payer.member_id
            )
        collector = self.collector()
        if collector is not None and not collector["name"]:
            return "Give the name of the person who may collect.", self.collector_name
        if collector is not None and not collector["phone"]:
            return "Give the phone of the person who may collect.", self.collector_phone
        return None

    def save(self, desk: DeskContext, customer_id: str) -> None:
        if self.payer_changed():
            desk.call("setPayer", {"customerId": customer_id, **self.payer.params()})
            self.original_payer = desk.call(
                "viewProviderCustomerDetails", {"customerId": customer_id}
            )["payer"]
        collector = self.collector()
        if collector is not None:
            desk.call(
                "addRelationship",
                {
                    "customerId": customer_id,
                    **collector,
                    "canCollect": True,
                    "consentMethod": "form",
                },
            )
            self.collector_name.clear()
            self.collector_phone.clear()
