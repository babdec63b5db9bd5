"""Walks every window the screen-size probe opens with the keyboard, in a child process.

    QT_QPA_PLATFORM=offscreen:configfile=SCREEN.json python -m tests.ui.keyboard_probe MODE

MODE ``escape``: Escape closes every dialog wherever the focus is, and no dialog keeps
Cancel/Close as its default button. MODE ``tab``: Tab reaches every control of every
window, and every icon-only button has an accessible name. Prints one JSON object with
the problems found and what was walked. A child process, because the walk leaves many
windows behind (deleting them in the test process is not safe with their signals).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from tests.ui import screen_probe


class Bot:
    """The two qtbot calls the walks use, without pytest."""

    @staticmethod
    def keyClick(widget: QWidget, key: Qt.Key) -> None:
        QTest.keyClick(widget, key)

    @staticmethod
    def waitUntil(condition: Callable[[], bool], timeout: int = 5000) -> None:
        deadline = time.monotonic() + timeout / 1000
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("waited too long")
            QApplication.processEvents()
            time.sleep(0.005)


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


def _escape_everywhere(qtbot: Any, problems: list[str], seen: set[str]):  # type: ignore[no-untyped-def]
    walked: set[int] = set()

    def check(window: QWidget, name: str) -> None:
        if not isinstance(window, QDialog):
            return
        first_look = type(window).__name__ not in seen or "(after)" not in name
        seen.add(type(window).__name__)
        # (Walking a window below leaves the last button it focused as its default.)
        buttons = (
            window.findChildren(QPushButton) if first_look and id(window) not in walked else []
        )
        walked.add(id(window))
        for button in buttons:
            words = button.text().replace("&", "").strip().lower()
            # (A focused button is the default while it has the focus: Qt's design.)
            focused = button.hasFocus()
            if button.isVisible() and button.isDefault() and not focused and words in CANCEL_WORDS:
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


def _tab_focusable(window: QWidget) -> set[QWidget]:
    return {
        w
        for w in window.findChildren(QWidget)
        if w.isVisible()
        and w.window() is window
        and w.isEnabled()
        and (w.focusPolicy() & Qt.FocusPolicy.TabFocus) == Qt.FocusPolicy.TabFocus
        and w.focusProxy() is None
    }


def _group(radio: QRadioButton) -> set[QWidget]:
    """The radio buttons that are one choice with ``radio`` (arrow keys move among them)."""
    group = radio.group()
    if group is not None:
        return set(group.buttons())
    parent = radio.parentWidget()
    siblings = parent.findChildren(QRadioButton) if parent is not None else []
    return {r for r in siblings if r.parentWidget() is parent and r.autoExclusive()}


def _name(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QAbstractButton) else ""
    return f"{type(widget).__name__} {widget.objectName() or widget.accessibleName() or text}"


def _walker(qtbot: Any, problems: list[str], visited_windows: set[str]):  # type: ignore[no-untyped-def]
    def check(window: QWidget, name: str) -> None:
        if not shiboken6.isValid(window) or not window.isVisible():
            return
        visited_windows.add(type(window).__name__)
        for button in window.findChildren(QAbstractButton):
            icon_only = not button.text().strip() and not button.icon().isNull()
            # A line edit's clear button is part of the line edit (it has the name).
            part = isinstance(button.parentWidget(), QLineEdit)
            internal = (
                part or button.objectName().startswith("qt_") or button.window() is not window
            )
            if button.isVisible() and icon_only and not internal and not button.accessibleName():
                problems.append(f"{name}: icon-only button {_name(button)} has no accessible name")
        wanted = _tab_focusable(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        start = window.focusWidget() or next(iter(wanted), None)
        if start is None:
            return
        start.setFocus(Qt.FocusReason.TabFocusReason)
        seen: set[QWidget] = set()
        for _ in range(2 * len(wanted) + 4):
            focus = QApplication.focusWidget()
            if focus is not None:
                seen.add(focus)
            qtbot.keyClick(focus or window, Qt.Key.Key_Tab)
            if not window.isVisible():
                problems.append(f"{name}: Tab closed the window")
                return
        # Tab visits the chosen radio button of a group; the arrows move between them.
        seen |= {w for w in wanted if isinstance(w, QRadioButton) and _group(w) & seen}
        for widget in sorted(wanted - seen, key=_name):
            problems.append(f"{name}: Tab never reaches {_name(widget)}")

    return check


def main() -> int:
    mode = sys.argv[1]
    problems: list[str] = []
    seen: set[str] = set()
    walk = _escape_everywhere if mode == "escape" else _walker
    screen_probe.check = walk(Bot(), problems, seen)
    screen_probe.main_quiet()
    print(json.dumps({"problems": problems, "seen": sorted(seen)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
