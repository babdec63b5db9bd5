"""A small read-only table model for short lists (a customer's plans, recent orders).

For data that grows without bound use a paging model like ``CustomerTableModel``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from pharmdesk.ui.formatting import plain_tooltip
from pharmdesk.ui.models.columns import header_data
from pharmdesk.ui.theme import DANGER, brush

AnyIndex = QModelIndex | QPersistentModelIndex
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class RecordColumn:
    title: str
    text: Callable[[dict[str, Any]], str]
    numeric: bool = False
    tooltip: Callable[[dict[str, Any]], str | None] = field(default=lambda _r: None)


def record_data(
    column: RecordColumn,
    record: dict[str, Any],
    role: int,
    highlight: Callable[[dict[str, Any]], bool] = lambda _r: False,
) -> Any:
    """What a cell of ``record`` under ``column`` shows for ``role`` (any model of records)."""
    if role == Qt.ItemDataRole.DisplayRole:
        return column.text(record)
    if role == Qt.ItemDataRole.ToolTipRole:
        return plain_tooltip(column.tooltip(record)) or None
    if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if role == Qt.ItemDataRole.ForegroundRole and highlight(record):
        return brush(DANGER)
    if role == RECORD_ROLE:
        return record
    return None


class RecordTableModel(QAbstractTableModel):
    def __init__(
        self,
        columns: Sequence[RecordColumn],
        rows: Sequence[dict[str, Any]] = (),
        *,
        highlight: Callable[[dict[str, Any]], bool] = lambda _r: False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._titles = [column.title for column in self._columns]
        self._rows = list(rows)
        self._highlight = highlight

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def record(self, row: int) -> dict[str, Any] | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        return record_data(self._columns[index.column()], record, role, self._highlight)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_data(self._titles, section, orientation, role)
