"""The customer list as a lazy Qt model over ``fetchCustomers``.

Rows arrive a page at a time as the view scrolls (``canFetchMore``/``fetchMore``), so a
million customers cost no more memory than the rows seen. Sorting and searching are done
by the database: the model only asks for a new first page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt

from pharmdesk.ui.formatting import local_date, national_phone, plain_tooltip
from pharmdesk.ui.models.columns import header_data
from pharmdesk.ui.paged_model import PAGE_SIZE, AnyIndex, PagedCustomerModel

CUSTOMER_ID_ROLE = Qt.ItemDataRole.UserRole + 1

Fetch = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    sort: str | None  # the fetchCustomers sort key, None when not sortable
    numeric: bool = False


COLUMNS = (
    Column("ID", "id", "createdAt"),
    Column("Name", "name", "name"),
    Column("Phone", "phone", None),
    Column("Email", "email", None),
    Column("Address", "address", None),
    Column("Plans", "planCount", "planCount", numeric=True),
    Column("Orders", "totalOrders", "totalOrders", numeric=True),
    Column("Last order", "lastOrder", "lastOrder"),
    Column("Customer since", "createdAt", "createdAt"),
)
SORTABLE_COLUMNS = frozenset(i for i, c in enumerate(COLUMNS) if c.sort)
TITLES = tuple(c.title for c in COLUMNS)
SORT_TIPS = tuple("Click to sort" if c.sort else None for c in COLUMNS)


class CustomerTableModel(PagedCustomerModel):
    """Customers, one page at a time, in the order the database gives."""

    def __init__(self, fetch: Fetch, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._search = ""
        self._sort_column = 1
        self._descending = False
        self._held = 0
        self._dirty = False
        self.region = "NG"

    # -- state the window shows -------------------------------------------------------------
    @property
    def search_text(self) -> str:
        return self._search

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def descending(self) -> bool:
        return self._descending

    def sort_key(self) -> str:
        key = COLUMNS[self._sort_column].sort or "name"
        return f"-{key}" if self._descending else key

    # -- loading -----------------------------------------------------------------------------
    def request(self, page: int) -> dict[str, Any]:
        params: dict[str, Any] = {"page": page, "limit": PAGE_SIZE, "sort": self.sort_key()}
        if self._search:
            params["search"] = self._search
        return self._fetch(params)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change search and sort together and load the first page once, at the end."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if self._held == 0 and self._dirty:
                self.reload()

    def reload(self) -> None:
        """Ask again for the first page with the current search and sort."""
        if self._held:
            self._dirty = True
            return
        self._dirty = False
        self.load_first_page()

    def set_search(self, text: str) -> None:
        self._search = text.strip()
        self.reload()

    # -- Qt model interface ---------------------------------------------------------------------
    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column.key in ("address", "email", "name"):
            return plain_tooltip(row.get(column.key)) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == CUSTOMER_ID_ROLE:
            return row["id"]
        return None

    def _display(self, row: dict[str, Any], column: Column) -> str:
        value = row.get(column.key)
        if column.key == "phone":
            return national_phone(value, self.region)
        if column.key in ("lastOrder", "createdAt"):
            return local_date(value) if value else ("—" if column.key == "lastOrder" else "")
        if value is None:
            return ""
        return str(value)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_data(TITLES, section, orientation, role, SORT_TIPS)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by the database; columns the API cannot sort by keep the current order."""
        if column not in SORTABLE_COLUMNS:
            return
        self._sort_column = column
        self._descending = order == Qt.SortOrder.DescendingOrder
        self.reload()
