"""Small building blocks every screen uses, so they look and behave the same."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel

from pharmdesk.resources import resource_path


def icon(name: str) -> QIcon:
    """An SVG icon from ``resources/icons``."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("heading")
    return label


def error_label() -> QLabel:
    """A red message under a form; hidden until there is something to say."""
    label = QLabel()
    label.setObjectName("error")
    label.setWordWrap(True)
    label.setAccessibleName("Error message")
    label.hide()
    return label
