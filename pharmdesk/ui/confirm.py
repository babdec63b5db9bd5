"""The one yes/no question every screen asks, injectable so tests (and teardown) never
block on a modal box.

Screens take an ``ask: Ask`` argument defaulting to ``ask_yes_no`` (or a ``partial`` of
it with their own button words); tests pass a function that answers at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

Ask = Callable[[str, str], bool]  # (title, question) -> the person said yes


def ask_yes_no(
    title: str,
    question: str,
    *,
    yes: str = "&Yes",
    no: str = "&No",
    parent: QWidget | None = None,
) -> bool:
    """Ask with ``no`` as the default and Esc button: the safe answer is one key away.

    The buttons can say what they do ("Discard", "Cancel plan") instead of Yes and No,
    so a person reading quickly still knows which one changes something.
    """
    box = QMessageBox(parent or QApplication.activeWindow())
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)  # questions may quote names typed in
    box.setText(question)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.YesRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.NoRole)
    box.setDefaultButton(no_button)
    box.setEscapeButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def asking(yes: str, no: str = "&No") -> Ask:
    """``ask_yes_no`` with its own button words, for a screen's ``ask`` default."""
    return partial(ask_yes_no, yes=yes, no=no)
