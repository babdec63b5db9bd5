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

from PySide6.QtCore import QModelIndex, QObject, Qt

from pharmdesk.ui.formatting import day, local_date, money, national_phone, plain_tooltip
from pharmdesk.ui.models.columns import header_data
from pharmdesk.ui.paged_model import PAGE_SIZE, AnyIndex, PagedCustomerModel
from pharmdesk.ui.theme import DANGER, brush

CUSTOMER_ID_ROLE = Qt.ItemDataRole.UserRole + 1

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


class SegmentTableModel(PagedCustomerModel):
    """The customers of one segment, a page at a time, in the operation's order."""

    def __init__(self, call: Call, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._call = call
        self._segment = CONDITION
        self._value: Any = None
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
    def columns(self) -> tuple[SegmentColumn, ...]:
        return SEGMENT_COLUMNS[self._segment]

    # -- loading -------------------------------------------------------------------------------
    def request(self, page: int) -> dict[str, Any]:
        operation, param = SEGMENT_OPERATIONS[self._segment]
        return self._call(operation, {param: self._value, "page": page, "limit": PAGE_SIZE})

    def show_segment(self, segment: str, value: Any) -> None:
        """Load the first page of ``segment`` for ``value`` (None: show nothing yet)."""
        if segment not in SEGMENT_OPERATIONS:
            raise ValueError(segment)
        self._segment, self._value = segment, value
        self.load_first_page(ask=value is not None)

    def reload(self) -> None:
        self.show_segment(self._segment, self._value)

    def clear(self) -> None:
        """Forget every row and the parameter (the screen is locked)."""
        self._value = None
        super().clear()

    # -- Qt model interface --------------------------------------------------------------------
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
            return plain_tooltip(self._display(row, column)) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column.key == "nextRefill":
            return brush(DANGER) if self._overdue(row) else None
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
        return header_data([c.title for c in self.columns], section, orientation, role)
