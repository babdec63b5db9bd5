"""Every control of every window is reachable with Tab, and every button that shows only
an icon has a name a screen reader can say.

Walks the same windows as the screen-size probe (tests/ui/keyboard_probe.py, in a
child process).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from pharmdesk.ui.desk import DeskContext
from tests.ui.child_screen import run_probe


def _walk(tmp_path: Path, mode: str) -> dict[str, list[str]]:
    return run_probe(tmp_path, "tests.ui.keyboard_probe", mode)


def test_tab_reaches_every_control(tmp_path: Path) -> None:
    result = _walk(tmp_path, "tab")
    assert result["problems"] == [], "\n".join(result["problems"])
    assert {"MainWindow", "ProfileDialog", "CustomerForm", "EnrollmentWizard"} <= set(
        result["seen"]
    )


def test_the_customer_form_tabs_in_reading_order(qtbot: QtBot, signed_in_desk: DeskContext) -> None:
    from pharmdesk.ui.customer_form.form import CustomerForm

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
