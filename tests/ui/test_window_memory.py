"""First run uses the screen; each person's window size, columns and splitters come back."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from pharmdesk.ui import screen_fit
from pharmdesk.ui.customer_table import COLUMNS
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import TABLE_CHROME, MainWindow, default_column_widths
from tests.conftest import ADMIN, ADMIN_PASSWORD

FEMI_PASSWORD = "femi likes long walks 2026"


def _window(qtbot: QtBot, desk: DeskContext, settings: QSettings) -> MainWindow:
    window = MainWindow(desk, settings)
    qtbot.addWidget(window)
    window.start()
    window.show()
    return window


def _sign_in_on_lock_screen(qtbot: QtBot, window: MainWindow, user: str, password: str) -> None:
    form = window.sign_in_form
    form.username.clear()
    qtbot.keyClicks(form.username, user)
    qtbot.keyClicks(form.password, password)
    qtbot.mouseClick(form.sign_in_button, Qt.MouseButton.LeftButton)
    assert window.desk.username == user


def test_first_run_uses_most_of_the_screen(
    qtbot: QtBot, signed_in_desk: DeskContext, window_settings: QSettings
) -> None:
    window = _window(qtbot, signed_in_desk, window_settings)
    area = screen_fit.available(window)
    assert window.width() >= 0.85 * area.width()
    assert window.height() >= 0.85 * area.height() - screen_fit.TITLE_BAR
    assert area.contains(window.frameGeometry())


def test_default_columns_fit_without_a_horizontal_scroll_bar(
    qtbot: QtBot, signed_in_desk: DeskContext, window_settings: QSettings
) -> None:
    for width in (1257, 1100, 942):  # 1366 and 1280 at 125 %, most of the screen
        widths = default_column_widths(width)
        assert len(widths) == len(COLUMNS)
        assert sum(widths) <= width - TABLE_CHROME
        assert min(widths) >= 55
    window = _window(qtbot, signed_in_desk, window_settings)
    QApplication.processEvents()
    assert not window.table.horizontalScrollBar().isVisible()


def test_each_persons_size_columns_and_splitter_come_back(
    qtbot: QtBot, signed_in_desk: DeskContext, window_settings: QSettings, tmp_path: Path
) -> None:
    desk = signed_in_desk
    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Front",
            "role": "frontdesk",
            "password": FEMI_PASSWORD,
        },
    )
    window = _window(qtbot, desk, window_settings)
    window.segments_action.trigger()
    splitter = window.segments_panel.splitter
    window.resize(760, 640)
    QApplication.processEvents()
    total = sum(splitter.sizes())
    window.table.setColumnWidth(1, 321)
    splitter.setSizes([150, total - 150])  # the chart as small as it goes
    mine = splitter.sizes()
    assert mine[1] > mine[0] + 50
    window.lock()
    _sign_in_on_lock_screen(qtbot, window, "femi", FEMI_PASSWORD)
    assert window.table.columnWidth(1) != 321  # Femi starts from the defaults
    assert splitter.sizes() != mine
    window.table.setColumnWidth(1, 150)
    window.lock()
    _sign_in_on_lock_screen(qtbot, window, ADMIN, ADMIN_PASSWORD)
    assert window.table.columnWidth(1) == 321
    assert splitter.sizes() == mine
    assert (window.width(), window.height()) == (760, 640)
    window.close()
    # A new window (the next day) reads the same settings file.
    again = QSettings(window_settings.fileName(), QSettings.Format.IniFormat)
    desk.sign_in(ADMIN, ADMIN_PASSWORD)
    later = _window(qtbot, desk, again)
    assert later.table.columnWidth(1) == 321
    later.segments_action.trigger()
    QApplication.processEvents()
    assert later.segments_panel.splitter.sizes() == mine


def test_no_tab_makes_the_window_wider_than_a_small_desk(
    qtbot: QtBot, signed_in_desk: DeskContext, window_settings: QSettings
) -> None:
    """1280×720 at 150 % leaves 853 points across: every tab (its buttons in a row or
    two) must fit in that, or a remembered narrower size could not come back."""
    narrowest_screen = round(1280 / 1.5) - 2 * screen_fit.EDGE
    window = _window(qtbot, signed_in_desk, window_settings)
    tabs = window.tabs
    for index in range(tabs.count()):
        needed = tabs.widget(index).minimumSizeHint().width()
        assert needed <= narrowest_screen - 40, (tabs.tabText(index), needed)
