"""The import report's table: one row per problem row of the file (what is wrong and
what to do), with an "Import anyway" choice for likely duplicates."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from pharmdesk.importing import Problem
from pharmdesk.importing.mapping import field_label
from pharmdesk.importing.plan import LIKELY, OUTCOME_TEXT
from pharmdesk.ui.formatting import plain_tooltip
from pharmdesk.ui.models.columns import header_data
from pharmdesk.ui.theme import DANGER, brush

AnyIndex = QModelIndex | QPersistentModelIndex


PROBLEM_COLUMNS = ("Row", "Outcome", "Name", "Phone", "Field", "What to do", "Import anyway")
MESSAGE_COLUMN = 5
DECISION_COLUMN = 6
WRAP_ROWS = 300  # up to this many problems, rows grow to show whole messages


class ProblemTableModel(QAbstractTableModel):
    """The dry run's problem rows; a likely duplicate has a tick box: import it anyway."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._problems: list[Problem] = []

    def set_problems(self, problems: list[Problem]) -> None:
        self.beginResetModel()
        self._problems = sorted(problems, key=lambda p: p.row)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._problems)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(PROBLEM_COLUMNS)

    def _text(self, problem: Problem, column: int) -> str:
        if column == 0:
            return str(problem.row)
        if column == 1:
            return OUTCOME_TEXT.get(problem.outcome, problem.outcome)
        if column == 2:
            return problem.name
        if column == 3:
            return problem.phone
        if column == 4:
            return field_label(problem.field)
        if column == MESSAGE_COLUMN:
            return problem.message
        return ""

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._problems):
            return None
        problem = self._problems[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if role == Qt.ItemDataRole.ToolTipRole and column != MESSAGE_COLUMN:
                return None
            text = self._text(problem, column)
            return plain_tooltip(text) if role == Qt.ItemDataRole.ToolTipRole else text
        if (
            role == Qt.ItemDataRole.CheckStateRole
            and column == DECISION_COLUMN
            and problem.outcome == LIKELY
        ):
            return Qt.CheckState.Checked if problem.import_anyway else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and problem.outcome == "error":
            return brush(DANGER)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == DECISION_COLUMN and self._problems[index.row()].outcome == LIKELY:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        problem = self._problems[index.row()]
        if index.column() != DECISION_COLUMN or problem.outcome != LIKELY:
            return False
        state = value.value if isinstance(value, Qt.CheckState) else value
        problem.import_anyway = state == Qt.CheckState.Checked.value
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_data(PROBLEM_COLUMNS, section, orientation, role)
