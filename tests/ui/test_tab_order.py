"""Every control of every window is reachable with Tab, and every button that shows only
an icon has a name a screen reader can say.

Walks the same windows as the screen-size probe, in this process.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QRadioButton, QWidget
from pytestqt.qtbot import QtBot

from pharmdesk.clock import FixedClock
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.desk import DeskContext
from tests.conftest import TEST_KDF
from tests.ui import screen_probe


def _focusable(window: QWidget) -> set[QWidget]:
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


def _walker(qtbot: QtBot, problems: list[str], visited_windows: set[str]):  # type: ignore[no-untyped-def]
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
        wanted = _focusable(window)
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


def test_tab_reaches_every_control(  # type: ignore[no-untyped-def]
    qtbot: QtBot, db_files: DatabaseFiles, clock: FixedClock, tmp_path: Path, monkeypatch
) -> None:
    problems: list[str] = []
    windows: set[str] = set()
    monkeypatch.setattr(screen_probe, "check", _walker(qtbot, problems, windows))
    desk = DeskContext(db_files, clock, kdf=TEST_KDF)
    try:
        screen_probe.run_all(desk, clock, tmp_path)
    finally:
        desk.close()
    assert problems == [], "\n".join(problems)
    assert {"MainWindow", "ProfileDialog", "CustomerForm", "EnrollmentWizard"} <= windows


def test_the_customer_form_tabs_in_reading_order(qtbot: QtBot, signed_in_desk: DeskContext) -> None:
    from pharmdesk.ui.customer_form import CustomerForm

    form = CustomerForm(signed_in_desk, None, ask=lambda *_a: True)
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    assert QApplication.focusWidget() is form.name
    order = []
    for _ in range(11):
        focus = QApplication.focusWidget()
        assert focus is not None
        order.append(focus.objectName() or focus.parentWidget().objectName())
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    assert order == [
        "name",
        "phone",
        "email",
        "address",
        "dateOfBirth",
        "allergyUnknown",
        "conditions",  # the allergy box is off until "Has allergies"
        "notes",
        "marketingConsent",
        "save",
        "cancel",
    ]
