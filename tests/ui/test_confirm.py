"""The one yes/no prompt: No is the default and Esc answer; the buttons say what they do."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from pharmdesk.ui.confirm import ask_yes_no, asking


def _answer(qtbot, action: str, seen: list[list[str]]) -> None:  # type: ignore[no-untyped-def]
    """Answer the next message box by pressing ``action`` (a key name or a button text)."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append([b.text() for b in box.buttons()])
        if action == "Return":
            qtbot.keyClick(box, Qt.Key.Key_Return)
        elif action == "Escape":
            qtbot.keyClick(box, Qt.Key.Key_Escape)
        else:
            [button] = [b for b in box.buttons() if b.text() == action]
            button.click()

    QTimer.singleShot(20, answer)


def test_enter_and_escape_answer_no(qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[list[str]] = []
    _answer(qtbot, "Return", seen)
    assert ask_yes_no("Retire plan", "Retire it?") is False
    _answer(qtbot, "Escape", seen)
    assert ask_yes_no("Retire plan", "Retire it?") is False
    assert seen == [["&Yes", "&No"], ["&Yes", "&No"]]


def test_the_buttons_can_say_what_they_do(qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[list[str]] = []
    ask = asking("&Discard", "&Keep editing")
    _answer(qtbot, "&Discard", seen)
    assert ask("Discard changes?", "Discard them?") is True
    _answer(qtbot, "&Keep editing", seen)
    assert ask("Discard changes?", "Discard them?") is False
    assert seen[0] == ["&Discard", "&Keep editing"]
