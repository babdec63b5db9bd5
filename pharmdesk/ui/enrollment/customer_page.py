"""Step 1 of enrollment (skipped when started from a customer): find the customer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.debounce import debounce_timer
from pharmdesk.ui.enrollment.page_parts import ID_ROLE, choose_current, show_error
from pharmdesk.ui.formatting import national_phone
from pharmdesk.ui.widgets import error_label, plain_label
from pharmdesk.ui.wizard_page import CompletablePage

if TYPE_CHECKING:
    from pharmdesk.ui.enrollment.wizard import EnrollmentWizard

SEARCH_DEBOUNCE_MS = 200


class SearchLine(QLineEdit):
    """Enter runs a search that has not run yet; Enter again moves on (Next)."""

    search_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.searched: str | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.text() != self.searched:
            self.search_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class CustomerPage(CompletablePage):
    """Step 1 (skipped when started from a customer): find them as in the main table."""

    def __init__(self, wizard: EnrollmentWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Customer")
        self.setSubTitle(
            "Find the customer to enroll: a few letters of the name, phone digits or the CUST-id."
        )
        self.search = SearchLine()
        self.search.setObjectName("customerSearch")
        self.search.setPlaceholderText("Search customers")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search customers")
        self.results = QListWidget()
        self.results.setObjectName("customerResults")
        self.results.setAccessibleName("Matching customers")
        self.hint = plain_label("Type to search.")
        self.hint.setObjectName("emptySection")
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        self._debounce = debounce_timer(self, SEARCH_DEBOUNCE_MS, self.search_now)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.search_requested.connect(self.search_now)
        self.results.currentItemChanged.connect(lambda *_: self.completeChanged.emit())
        self.results.itemDoubleClicked.connect(lambda _i: self.owner.next())

    def search_now(self) -> None:
        self._debounce.stop()
        self.error.hide()
        self.results.clear()
        self.search.searched = self.search.text()
        try:
            rows = self.owner.flow.search_customers(self.search.text())
        except PharmDeskError as exc:
            show_error(self.error, exc)
            return
        for row in rows:
            phone = national_phone(row["phone"], self.owner.region)
            item = QListWidgetItem(f"{row['name']}  ·  {phone}  ·  {row['id']}")
            item.setData(ID_ROLE, row["id"])
            self.results.addItem(item)
        if rows:
            self.results.setCurrentRow(0)
            self.hint.setText(f"{len(rows)} shown. Pick one and press Next.")
        else:
            self.hint.setText(
                "No customer matches. Check the spelling or register the customer first."
                if self.search.text().strip()
                else "Type to search."
            )
        self.completeChanged.emit()

    def is_complete(self) -> bool:
        return self.results.currentItem() is not None

    def validatePage(self) -> bool:
        return choose_current(self.results, self.owner.flow.choose_customer, self.error)
