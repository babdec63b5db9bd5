"""A yes/no question, injectable so tests (and teardown) never block on a modal box."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QMessageBox

Ask = Callable[[str, str], bool]  # (title, question) -> the person said yes


def ask_yes_no(title: str, question: str) -> bool:
    """Ask with No as the default button: the safe answer is one Enter away."""
    answer = QMessageBox.question(
        QApplication.activeWindow(),
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
