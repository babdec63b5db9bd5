"""The one way a customer list is loaded into a Qt table: a page at a time, on demand.

The customer table, the segments and the refill queue all list customers from an
operation that answers ``{"customers": [...], "total", "hasMore"}`` for a ``page``.
This base holds the rows and does the paging (``canFetchMore``/``fetchMore``), so a
million customers cost no more memory than the rows seen; subclasses say which
operation to ask (``request``) and how a row is shown (``data``, ``headerData``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from pharmdesk.errors import PharmDeskError

PAGE_SIZE = 100
AnyIndex = QModelIndex | QPersistentModelIndex


class PagedCustomerModel(QAbstractTableModel):
    """Rows of customers from a paged operation, in the operation's own order."""

    failed = Signal(str)  # a message for the person (status bar or beside the list)
    loaded = Signal()  # a new first page arrived (total may have changed)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self._total = 0
        self._has_more = False
        self._next_page = 2

    # -- what subclasses provide ----------------------------------------------------------------
    def request(self, page: int) -> dict[str, Any]:
        """Ask the operation for ``page`` (1-based) of ``PAGE_SIZE`` rows."""
        raise NotImplementedError

    # -- state -----------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return self._total

    def customer_id(self, row: int) -> str | None:
        if 0 <= row < len(self._rows):
            return str(self._rows[row]["id"])
        return None

    def record(self, row: int) -> dict[str, Any] | None:
        return dict(self._rows[row]) if 0 <= row < len(self._rows) else None

    def rows(self) -> list[dict[str, Any]]:
        return list(self._rows)

    # -- loading ---------------------------------------------------------------------------------
    def _page(self, page: int) -> dict[str, Any] | None:
        try:
            return self.request(page)
        except PharmDeskError as exc:
            self.failed.emit(exc.message)
            return None

    def load_first_page(self, ask: bool = True) -> None:
        """Replace every row with page 1 (``ask=False``: show nothing, e.g. not chosen yet)."""
        answer = self._page(1) if ask else None
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

    def clear(self) -> None:
        """Forget every row (the screen is locked): nothing of a patient stays in memory."""
        self.beginResetModel()
        self._rows, self._total, self._has_more = [], 0, False
        self._next_page = 2
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
        # A customer who moved between pages meanwhile (an order, a rename) is not listed
        # twice.
        new_rows = [row for row in answer["customers"] if row["id"] not in seen]
        self._total = int(answer["total"])
        self._has_more = bool(answer["hasMore"]) and bool(answer["customers"])
        if not new_rows:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(new_rows) - 1)
        self._rows.extend(new_rows)
        self.endInsertRows()

    # -- Qt model interface ----------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
