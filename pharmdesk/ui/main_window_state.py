"""What the main window remembers per staff member: its size and place, the customer
table's columns and sort, and every named splitter of its panels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QSplitter

from pharmdesk.ui import screen_fit
from pharmdesk.ui.main_window_table import default_column_widths

if TYPE_CHECKING:
    from pharmdesk.ui.main_window import MainWindow


class ViewMemory:
    """Saves and restores the window's view under ``users/USERNAME`` in ``settings``."""

    def __init__(self, window: MainWindow, settings: QSettings) -> None:
        self._window = window
        self._settings = settings
        self._split_defaults: dict[QSplitter, QByteArray] = {}

    def keep_defaults(self) -> None:
        """Each person's splitters start from these until they move them (called once the
        window has all its panels)."""
        self._split_defaults = {s: s.saveState() for s in self._splitters()}

    def _splitters(self) -> list[QSplitter]:
        """The named splitters of the window's panels (each remembered per person)."""
        return [s for s in self._window.findChildren(QSplitter) if s.objectName()]

    def save(self, username: str) -> None:
        window, settings = self._window, self._settings
        settings.beginGroup(f"users/{username}")
        settings.setValue("geometry", window.saveGeometry())
        settings.setValue("header", window.table.horizontalHeader().saveState())
        for splitter in self._splitters():
            settings.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        settings.endGroup()
        settings.sync()

    def restore(self, username: str) -> None:
        window, settings = self._window, self._settings
        settings.beginGroup(f"users/{username}")
        geometry = settings.value("geometry")
        header = settings.value("header")
        splits = {s: settings.value(f"splitters/{s.objectName()}") for s in self._splitters()}
        settings.endGroup()
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            window.restoreGeometry(geometry)
        elif not window.isVisible():
            # First run for this person: most of the screen, not Qt's small default.
            window.setGeometry(screen_fit.first_run_geometry(window))
        for splitter, state in splits.items():
            if not isinstance(state, QByteArray) or state.isEmpty():
                state = self._split_defaults.get(splitter, QByteArray())
            splitter.restoreState(state)
        view_header = window.table.horizontalHeader()
        if isinstance(header, QByteArray) and not header.isEmpty():
            view_header.restoreState(header)
        else:
            widths = default_column_widths(window.width())
            for column, width in enumerate(widths):
                window.table.setColumnWidth(column, width)
            view_header.setSortIndicator(1, Qt.SortOrder.AscendingOrder)
        window.model.sort(view_header.sortIndicatorSection(), view_header.sortIndicatorOrder())
