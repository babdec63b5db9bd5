"""The one way a long list is loaded into a Qt table: a page at a time, on demand.

Customers (by page number), audit entries (by ``beforeId``, the keyset cursor) and held
enrollments all come from operations that answer one page and say whether there is
more. This base holds the rows and does the paging (``canFetchMore``/``fetchMore``), so
a million rows cost no more memory than the rows seen; a subclass says how to ask for a
page (``fetch_page``) and how a row is shown (``data``, ``headerData``).
"""

from __future__ import annotations

from collections.abc import Sequence
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

from pharmdesk.errors import PharmDeskError

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Page:
    """One answer: its rows, whether more follow, and how to ask for the next page."""

    rows: Sequence[dict[str, Any]]
    has_more: bool
    cursor: Any = None  # the next page's number or ``beforeId``; None: there is none
    total: int | None = None  # how many in all, when the operation says


class PagedModel(QAbstractTableModel):
    """Rows from a paged operation, in the operation's own order."""

    failed = Signal(str)  # a message for the person (status bar or beside the list)
    loaded = Signal()  # a new first page arrived (total may have changed)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self._total = 0
        self._has_more = False
        self._cursor: Any = None

    # -- what subclasses provide ----------------------------------------------------------------
    def fetch_page(self, cursor: Any) -> Page:
        """Ask for the page at ``cursor`` (None: the first page)."""
        raise NotImplementedError

    def new_rows(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows of a further page to add (all of them unless a subclass says)."""
        return list(rows)

    def forget(self) -> None:
        """Drop whatever else a subclass keeps about the rows (called by ``clear``)."""

    # -- state -----------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return self._total

    @property
    def has_more(self) -> bool:
        return self._has_more

    def rows(self) -> list[dict[str, Any]]:
        return list(self._rows)

    # -- loading ---------------------------------------------------------------------------------
    def _ask(self, cursor: Any) -> Page | None:
        try:
            return self.fetch_page(cursor)
        except PharmDeskError as exc:
            self.failed.emit(exc.message)
            return None

    def _take(self, page: Page) -> None:
        self._has_more = page.has_more and bool(page.rows) and page.cursor is not None
        self._cursor = page.cursor
        if page.total is not None:
            self._total = page.total

    def load_first_page(self, ask: bool = True) -> None:
        """Replace every row with the first page (``ask=False``: show nothing, e.g. not
        chosen yet). A refusal empties the list and says why through ``failed``."""
        page = self._ask(None) if ask else None
        self.beginResetModel()
        self._rows, self._total, self._has_more, self._cursor = [], 0, False, None
        if page is not None:
            self._rows = list(page.rows)
            self._take(page)
        self.endResetModel()
        self.loaded.emit()

    def clear(self) -> None:
        """Forget every row (the screen is locked): nothing of a patient stays in memory."""
        self.beginResetModel()
        self._rows, self._total, self._has_more, self._cursor = [], 0, False, None
        self.forget()
        self.endResetModel()

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        page = self._ask(self._cursor)
        if page is None:
            self._has_more = False
            return
        added = self.new_rows(page.rows)
        self._take(page)
        if not added:
            return
        start = len(self._rows)
        # The last new row is start + n - 1 (Qt's fetchmore example is off by one here).
        self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
        self._rows.extend(added)
        self.endInsertRows()

    # -- Qt model interface ----------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
