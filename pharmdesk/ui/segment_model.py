"""A segment's customers as a lazy Qt model over the three segment operations.

Like the main customer table (``customer_table.py``), rows arrive a page at a time as
the view scrolls, so a segment of a quarter of a million customers costs no more memory
than the rows seen. The columns depend on the segment: upcoming refills show the next
refill and the plans due, high value shows the total spent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.formatting import day, local_date, money, national_phone

PAGE_SIZE = 100
CUSTOMER_ID_ROLE = Qt.ItemDataRole.UserRole + 1
OVERDUE_COLOUR = "#b3261e"

CONDITION = "condition"
REFILLS = "upcomingRefills"
HIGH_VALUE = "highValue"
# Each segment: its operation and the one parameter it takes.
SEGMENT_OPERATIONS = {
    CONDITION: ("getCustomersByCondition", "condition"),
    REFILLS: ("getCustomersWithUpcomingRefills", "days"),
    HIGH_VALUE: ("getHighValueCustomers", "minSpend"),
}

Call = Callable[[str, dict[str, Any]], dict[str, Any]]
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class SegmentColumn:
    title: str
    key: str
    numeric: bool = False


_ID = SegmentColumn("ID", "id")
_NAME = SegmentColumn("Name", "name")
_PHONE = SegmentColumn("Phone", "phone")
_EMAIL = SegmentColumn("Email", "email")
_PLANS = SegmentColumn("Plans", "planCount", numeric=True)
_ORDERS = SegmentColumn("Orders", "totalOrders", numeric=True)
_LAST = SegmentColumn("Last order", "lastOrder")
SEGMENT_COLUMNS: dict[str, tuple[SegmentColumn, ...]] = {
    CONDITION: (_ID, _NAME, _PHONE, _EMAIL, _PLANS, _ORDERS, _LAST),
    REFILLS: (
        _ID,
        _NAME,
        _PHONE,
        SegmentColumn("Next refill", "nextRefill"),
        SegmentColumn("Plans due", "plansDue"),
        _PLANS,
    ),
    HIGH_VALUE: (
        _ID,
        _NAME,
        _PHONE,
        SegmentColumn("Total spent", "totalSpent", numeric=True),
        _ORDERS,
        _LAST,
    ),
}


class SegmentTableModel(QAbstractTableModel):
    """The customers of one segment, a page at a time, in the operation's order."""

    failed = Signal(str)  # a message to show beside the segment
    loaded = Signal()  # a new first page arrived (total may have changed)

    def __init__(self, call: Call, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._call = call
        self._segment = CONDITION
        self._value: Any = None
        self._rows: list[dict[str, Any]] = []
        self._total = 0
        self._has_more = False
        self._next_page = 2
        self.region = "NG"
        self.currency = "NGN"
        self.today: dt.date = dt.date.today()

    # -- state ---------------------------------------------------------------------------------
    @property
    def segment(self) -> str:
        return self._segment

    @property
    def value(self) -> Any:
        """The segment's parameter (condition text, days, minimum spend); None: not asked."""
        return self._value

    @property
    def total(self) -> int:
        return self._total

    @property
    def columns(self) -> tuple[SegmentColumn, ...]:
        return SEGMENT_COLUMNS[self._segment]

    def customer_id(self, row: int) -> str | None:
        if 0 <= row < len(self._rows):
            return str(self._rows[row]["id"])
        return None

    def record(self, row: int) -> dict[str, Any] | None:
        return dict(self._rows[row]) if 0 <= row < len(self._rows) else None

    # -- loading -------------------------------------------------------------------------------
    def _page(self, page: int) -> dict[str, Any] | None:
        operation, param = SEGMENT_OPERATIONS[self._segment]
        params = {param: self._value, "page": page, "limit": PAGE_SIZE}
        try:
            return self._call(operation, params)
        except PharmDeskError as exc:
            self.failed.emit(exc.message)
            return None

    def show_segment(self, segment: str, value: Any) -> None:
        """Load the first page of ``segment`` for ``value`` (None: show nothing yet)."""
        if segment not in SEGMENT_OPERATIONS:
            raise ValueError(segment)
        answer = None
        self._segment, self._value = segment, value
        if value is not None:
            answer = self._page(1)
        self.beginResetModel()
        if answer is None:
            self._rows, self._total, self._has_more = [], 0, False
        else:
            self._rows = list(answer["customers"])
            self._total = int(answer["total"])
            self._has_more = bool(answer["hasMore"])
        self._next_page = 2
        self.endResetModel()
        self.loaded.emit()

    def reload(self) -> None:
        self.show_segment(self._segment, self._value)

    def clear(self) -> None:
        """Forget every row (the screen is locked): nothing of a patient stays in memory."""
        self.beginResetModel()
        self._rows, self._total, self._has_more = [], 0, False
        self._value = None
        self.endResetModel()

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._has_more:
            return
        answer = self._page(self._next_page)
        if answer is None:
            self._has_more = False
            return
        self._next_page += 1
        seen = {row["id"] for row in self._rows}
        # A customer who moved between pages meanwhile is not listed twice.
        new_rows = [row for row in answer["customers"] if row["id"] not in seen]
        self._total = int(answer["total"])
        self._has_more = bool(answer["hasMore"]) and bool(answer["customers"])
        if not new_rows:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(new_rows) - 1)
        self._rows.extend(new_rows)
        self.endInsertRows()

    # -- Qt model interface --------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self.columns):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column.key in ("name", "email", "plansDue"):
            return self._display(row, column) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column.key == "nextRefill":
            return QBrush(QColor(OVERDUE_COLOUR)) if self._overdue(row) else None
        if role == CUSTOMER_ID_ROLE:
            return row["id"]
        return None

    @staticmethod
    def _first_refill(row: dict[str, Any]) -> str | None:
        refills = row.get("upcomingRefills") or []
        return str(refills[0]["nextDelivery"]) if refills else None

    def _overdue(self, row: dict[str, Any]) -> bool:
        first = self._first_refill(row)
        return first is not None and dt.date.fromisoformat(first) < self.today

    def _display(self, row: dict[str, Any], column: SegmentColumn) -> str:
        key = column.key
        if key == "phone":
            return national_phone(row.get("phone"), self.region)
        if key == "lastOrder":
            return local_date(row.get("lastOrder")) or "—"
        if key == "totalSpent":
            return money(int(row.get("totalSpent") or 0), self.currency)
        if key == "nextRefill":
            first = self._first_refill(row)
            if first is None:
                return ""
            return day(first) + (" (overdue)" if self._overdue(row) else "")
        if key == "plansDue":
            return ", ".join(str(r["planName"]) for r in row.get("upcomingRefills") or [])
        value = row.get(key)
        return "" if value is None else str(value)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section].title
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
