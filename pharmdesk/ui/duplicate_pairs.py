"""The duplicates window's parts: the list of pairs (a page at a time) and the two records
of a pair side by side, the values that differ in bold (Merge… then chooses between them
in the merge dialog)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from pharmdesk.ui.formatting import day, local_date, national_phone, plain_tooltip
from pharmdesk.ui.record_table import RecordColumn, RecordTableModel
from pharmdesk.ui.widgets import plain_label

PAGE_SIZE = 50
AnyIndex = QModelIndex | QPersistentModelIndex
Fetch = Callable[[dict[str, Any]], dict[str, Any]]

REASONS = {
    "samePhone": "same phone",
    "sameBirthDate": "same date of birth",
    "sameName": "same name",
    "swappedNames": "names swapped",
    "missingMiddleName": "middle name missing",
    "similarName": "similar spelling",
}
# (answer key, label)
FIELDS = (
    ("id", "Record"),
    ("name", "Name"),
    ("phone", "Phone"),
    ("dateOfBirth", "Date of birth"),
    ("email", "Email"),
    ("address", "Address"),
    ("planCount", "Active plans"),
    ("totalOrders", "Orders"),
    ("createdAt", "On file since"),
    ("lastOrder", "Last order"),
)


def reasons_text(reasons: list[str]) -> str:
    return ", ".join(REASONS.get(r, r) for r in reasons)


def shown_value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key == "phone":
        return national_phone(str(value))
    if key == "dateOfBirth":
        return day(str(value))
    if key in ("createdAt", "lastOrder"):
        return local_date(str(value))
    return str(value)


class PairTableModel(RecordTableModel):
    """The pairs, loaded a page at a time (``canFetchMore``/``fetchMore``)."""

    def __init__(self, fetch: Fetch, parent: QObject | None = None) -> None:
        columns = [
            RecordColumn("Score", lambda r: str(r["score"]), numeric=True),
            RecordColumn("Why", lambda r: reasons_text(r["reasons"])),
            RecordColumn("Customer", lambda r: f"{r['a']['name']} ({r['a']['id']})"),
            RecordColumn("Possible duplicate", lambda r: f"{r['b']['name']} ({r['b']['id']})"),
        ]
        super().__init__(columns, parent=parent)
        self._fetch = fetch
        self._page = 0
        self._has_more = False
        self.total = 0

    def load(self) -> None:
        answer = self._fetch({"page": 1, "limit": PAGE_SIZE})
        self._page, self._has_more, self.total = 1, bool(answer["hasMore"]), int(answer["total"])
        self.set_rows(answer["pairs"])

    def clear(self) -> None:
        self._page, self._has_more, self.total = 0, False, 0
        self.set_rows([])

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        answer = self._fetch({"page": self._page + 1, "limit": PAGE_SIZE})
        rows = list(answer["pairs"])
        self._page += 1
        self._has_more = bool(answer["hasMore"]) and bool(rows)
        self.total = int(answer["total"])
        if rows:
            start = self.rowCount()
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()


class PairComparison(QWidget):
    """Both records of a pair side by side; the values that differ in bold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pairComparison")
        self.grid = QGridLayout(self)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(2, 1)
        self.title_a = plain_label("", "subtitle")
        self.title_b = plain_label("", "subtitle")
        self.grid.addWidget(self.title_a, 0, 1)
        self.grid.addWidget(self.title_b, 0, 2)
        self.values: dict[str, tuple[QLabel, QLabel]] = {}
        for row, (key, label) in enumerate(FIELDS, 1):
            self.grid.addWidget(plain_label(label), row, 0)
            cells = (plain_label(), plain_label())
            for column, cell in enumerate(cells):
                cell.setObjectName(f"{key}{'AB'[column]}")
                self.grid.addWidget(cell, row, column + 1)
            self.values[key] = cells
        hint = plain_label("Values in bold differ: Merge… lets you choose which to keep.")
        hint.setObjectName("subtitle")
        self.grid.addWidget(hint, len(FIELDS) + 1, 0, 1, 3)
        self.pair: dict[str, Any] | None = None

    def show_pair(self, pair: dict[str, Any] | None) -> None:
        self.pair = pair
        a = pair["a"] if pair else {}
        b = pair["b"] if pair else {}
        self.title_a.setText("Customer" if pair else "")
        self.title_b.setText("Possible duplicate" if pair else "")
        for key, _label in FIELDS:
            left, right = self.values[key]
            left.setText(shown_value(key, a.get(key)) if pair else "")
            right.setText(shown_value(key, b.get(key)) if pair else "")
            differ = pair is not None and a.get(key) != b.get(key)
            for cell, record in ((left, a), (right, b)):
                font = cell.font()
                font.setBold(differ and key != "id")
                cell.setFont(font)
                cell.setToolTip(plain_tooltip(str(record.get(key) or "")) if pair else "")
