"""The one paging base (ui/models/paged.py) under a page-number and a keyset cursor."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from pharmdesk.errors import validation
from pharmdesk.ui.models.paged import AnyIndex, Page, PagedModel

ROWS = [{"id": f"E-{n}"} for n in range(25, 0, -1)]  # newest first


class KeysetModel(PagedModel):
    """Ten rows a page, each page asked for by the last id seen (``beforeId``)."""

    def __init__(self, refuse_after: int | None = None) -> None:
        super().__init__()
        self.asked: list[Any] = []
        self.refuse_after = refuse_after

    def fetch_page(self, cursor: Any) -> Page:
        self.asked.append(cursor)
        if self.refuse_after is not None and len(self.asked) > self.refuse_after:
            raise validation("The log cannot be read now.", "beforeId")
        start = (
            0 if cursor is None else next(i for i, r in enumerate(ROWS) if r["id"] == cursor) + 1
        )
        rows = ROWS[start : start + 10]
        more = start + 10 < len(ROWS)
        return Page(rows, more, rows[-1]["id"] if more else None, len(ROWS))

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 1

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return self._rows[index.row()]["id"]
        return None


def test_pages_follow_the_cursor_to_the_end(qtmodeltester: ModelTester) -> None:
    model = KeysetModel()
    model.load_first_page()
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.asked == [None, "E-16", "E-6"]
    assert [r["id"] for r in model.rows()] == [r["id"] for r in ROWS]
    assert model.total == 25 and not model.has_more
    qtmodeltester.check(model)


def test_a_refused_page_stops_paging_and_says_why(qtbot: QtBot) -> None:
    model = KeysetModel(refuse_after=1)
    model.load_first_page()
    with qtbot.waitSignal(model.failed) as said:
        model.fetchMore(QModelIndex())
    assert said.args == ["The log cannot be read now."]
    assert model.rowCount() == 10 and not model.canFetchMore(QModelIndex())


def test_clear_forgets_every_row() -> None:
    model = KeysetModel()
    model.load_first_page()
    model.clear()
    assert model.rowCount() == 0 and model.total == 0 and not model.has_more


def test_nothing_asked_when_nothing_is_chosen() -> None:
    model = KeysetModel()
    model.load_first_page(ask=False)
    assert model.asked == [] and model.rowCount() == 0
