"""Pick another customer on file: type part of a name or phone, press Find, choose.

The search is ``fetchCustomers`` (an audited ``list`` page, like the main window's)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QWidget

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import national_phone, plain_tooltip


class CustomerPicker(QWidget):
    """A search field, a Find button and the customers found (others than ``exclude``)."""

    failed = Signal(object)  # PharmDeskError of the search

    def __init__(
        self, desk: DeskContext, exclude: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.exclude = exclude
        self.region = str(desk.settings().get("defaultRegion", "NG"))
        self.search = QLineEdit()
        self.search.setObjectName("pickerSearch")
        self.search.setPlaceholderText("Name, phone or CUST-id")
        self.search.setAccessibleName("Find customer")
        self.find_button = QPushButton("Fin&d")
        self.find_button.setObjectName("pickerFind")
        self.find_button.setAutoDefault(False)
        self.results = QComboBox()
        self.results.setObjectName("pickerResults")
        self.results.setAccessibleName("Customer found")
        self.results.setMinimumContentsLength(28)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 2)
        layout.addWidget(self.find_button)
        layout.addWidget(self.results, 3)
        self.find_button.clicked.connect(self.run_search)
        self.search.returnPressed.connect(self.run_search)

    def run_search(self) -> None:
        text = self.search.text().strip()
        self.results.clear()
        if not text:
            return
        try:
            answer = self.desk.call("fetchCustomers", {"search": text, "limit": 20})
        except PharmDeskError as exc:
            self.failed.emit(exc)
            return
        rows: list[dict[str, Any]] = [
            row for row in answer["customers"] if row["id"] != self.exclude
        ]
        for row in rows:
            label = f"{row['name']} — {national_phone(row['phone'], self.region)} ({row['id']})"
            self.results.addItem(label, row["id"])
            self.results.setItemData(
                self.results.count() - 1,
                plain_tooltip(label),
                3,  # Qt.ToolTipRole
            )
        if not rows:
            self.results.addItem("No customer found", None)

    def chosen(self) -> str | None:
        value = self.results.currentData()
        return str(value) if value else None
