"""Escape closes every dialog wherever the focus is (a scroll area, a table, a field), and
no dialog makes Cancel its default button (Enter must never throw typing away).

Walks the same windows as the screen-size probe, in this process.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from pharmdesk.clock import FixedClock
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.desk import DeskContext
from tests.conftest import TEST_KDF
from tests.ui import screen_probe

CANCEL_WORDS = ("cancel", "close", "no")


def _focusable(dialog: QDialog) -> list[QWidget]:
    return [
        w
        for w in dialog.findChildren(QWidget)
        if w.isVisible()
        and w.window() is dialog
        and w.isEnabled()
        and w.focusPolicy() & Qt.FocusPolicy.TabFocus
        and w.focusProxy() is None
    ]


def _escape_everywhere(qtbot: QtBot, problems: list[str], seen: set[str]):  # type: ignore[no-untyped-def]
    def check(window: QWidget, name: str) -> None:
        if not isinstance(window, QDialog):
            return
        seen.add(type(window).__name__)
        for button in window.findChildren(QPushButton):
            words = button.text().replace("&", "").strip().lower()
            if button.isVisible() and button.isDefault() and words in CANCEL_WORDS:
                problems.append(f"{name}: {button.text()!r} is the default button")
        for widget in _focusable(window):
            if not shiboken6.isValid(window):
                return
            if not window.isVisible():
                window.show()
            window.activateWindow()
            widget.setFocus(Qt.FocusReason.TabFocusReason)
            target = QApplication.focusWidget() or widget
            label = f"{type(widget).__name__} {widget.objectName() or widget.accessibleName()}"
            qtbot.keyClick(target, Qt.Key.Key_Escape)
            seen.add(f"{name}/{label}")
            if window.isVisible():
                problems.append(f"{name}: Escape with the focus on {label} left it open")
                window.reject()
        if shiboken6.isValid(window) and not window.isVisible():
            window.show()

    return check


def test_escape_closes_every_dialog(  # type: ignore[no-untyped-def]
    qtbot: QtBot, db_files: DatabaseFiles, clock: FixedClock, tmp_path: Path, monkeypatch
) -> None:
    problems: list[str] = []
    seen: set[str] = set()
    monkeypatch.setattr(screen_probe, "check", _escape_everywhere(qtbot, problems, seen))
    desk = DeskContext(db_files, clock, kdf=TEST_KDF)
    try:
        screen_probe.run_all(desk, clock, tmp_path)
    finally:
        desk.close()
    assert problems == []
    assert {"ProfileDialog", "CustomerForm", "EnrollmentWizard", "AuditLogWindow"} <= seen
    assert "profile with plans and orders/QScrollArea profileScroll" in seen
    assert len(seen) > 150  # every focusable control of every dialog was tried
