"""The lock page's "Unlock with your PIN" form (its flow is the sign-in form's, in
``login.py``), and the link-styled buttons both forms use."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from pharmdesk.controllers.quick_unlock import MAX_PIN_DIGITS
from pharmdesk.ui.widgets import error_label


def link_button(text: str, name: str) -> QPushButton:
    """A button that reads as a link but is reached with Tab and pressed with Space."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.setFlat(True)
    button.setAutoDefault(False)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setProperty("link", True)  # its look: QPushButton[link="true"] in style.qss
    return button


class PinPage(QWidget):
    """PIN (digits only), Unlock, and the way to the password form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pin = QLineEdit()
        self.pin.setObjectName("pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAccessibleName("PIN")
        self.pin.setMaxLength(MAX_PIN_DIGITS)
        self.pin.setValidator(
            QRegularExpressionValidator(QRegularExpression(f"[0-9]{{0,{MAX_PIN_DIGITS}}}"))
        )
        self.pin.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.error = error_label()
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("unlockWithPin")
        self.unlock_button.setAutoDefault(True)
        self.use_password = link_button(
            "&Sign in with a password instead, or as someone else", "usePassword"
        )
        form = QFormLayout()
        form.addRow("P&IN", self.pin)
        row = QHBoxLayout()
        row.addWidget(self.use_password)
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(row)
        # Tab goes to Unlock first, then to the way out, whatever the visual order.
        QWidget.setTabOrder(self.pin, self.unlock_button)
        QWidget.setTabOrder(self.unlock_button, self.use_password)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.pin.setFocus()
