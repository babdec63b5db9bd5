"""The customer list's parts in the main window: the search box and the table view, and
the column widths a person starts from."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHeaderView, QLineEdit, QWidget

from pharmdesk.ui.customer_table import COLUMNS
from pharmdesk.ui.patient_table import PatientTableView
from pharmdesk.ui.widgets import icon

SEARCH_DEBOUNCE_MS = 150
DEFAULT_COLUMN_WIDTHS = (80, 200, 120, 190, 220, 55, 60, 105, 115)
FLEXIBLE_COLUMNS = (1, 3, 4)  # name, email, address: they give way on a narrow window
TABLE_CHROME = 24 + 2 + 18  # the page margins, the frame, a vertical scroll bar


def default_column_widths(window_width: int) -> list[int]:
    """Column widths before a person has set their own: the defaults, with the name,
    email and address columns narrowed so that every column shows without a horizontal
    scroll bar on a window ``window_width`` wide (down to a readable minimum)."""
    widths = list(DEFAULT_COLUMN_WIDTHS[: len(COLUMNS)])
    room = window_width - TABLE_CHROME
    excess = sum(widths) - room
    flexible = sum(widths[i] for i in FLEXIBLE_COLUMNS)
    if excess > 0:
        for i in FLEXIBLE_COLUMNS:
            widths[i] = max(90, widths[i] - round(excess * widths[i] / flexible))
    return widths


class CustomerTableView(PatientTableView):
    """The customer table: sorted by the database when a header is clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("customerTable", parent=parent)
        self.setSortingEnabled(True)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)


class SearchBox(QLineEdit):
    """Search as you type; Escape clears, Down moves into the table."""

    move_down = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search")
        self.setPlaceholderText(
            "Find a customer: a few letters of the name, phone digits, or CUST-id"
        )
        self.setClearButtonEnabled(True)
        self.setAccessibleName("Search customers")
        self.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        if event.key() == Qt.Key.Key_Down:
            self.move_down.emit()
            return
        super().keyPressEvent(event)


class Panel(Protocol):
    """What a tab in the main window offers so that lock and sign-in reach it."""

    def activate(self) -> None:
        """Signed in (again): load what the panel shows."""

    def clear(self) -> None:
        """Locked or signed out: forget every patient row."""
