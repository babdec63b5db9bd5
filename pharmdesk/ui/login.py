"""Sign-in: the form used at start (in a dialog) and on the lock screen (in the window).

Wrong passwords are shown in the form, not in message boxes. After a failure the Sign
in button waits out the growing delay with a countdown; the password field is cleared
after every attempt.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.widgets import error_label, heading


class SignInForm(QWidget):
    """Username, password, Sign in; emits ``signed_in(username)`` on success."""

    signed_in = Signal(str)

    def __init__(
        self,
        desk: DeskContext,
        *,
        title: str = "Sign in to PharmDesk",
        subtitle: str = "Use your own account. Never share it.",
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._desk = desk
        self._wait_left = 0
        self._wait_timer = QTimer(self)
        self._wait_timer.setInterval(1000)
        self._wait_timer.timeout.connect(self._tick)

        self.title = heading(title)
        self.subtitle = QLabel(subtitle)
        self.subtitle.setObjectName("subtitle")
        self.subtitle.setWordWrap(True)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setPlaceholderText("e.g. ada")
        self.username.setAccessibleName("Username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.error = error_label()
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setObjectName("signIn")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setAutoDefault(True)

        form = QFormLayout()
        form.addRow("&Username", self.username)
        form.addRow("&Password", self.password)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.sign_in_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error)
        if demo:
            hint = QLabel(
                f"Demo database — sign in as <b>{DEMO_USER}</b> with password "
                f"<b>{DEMO_PASSWORD}</b>"
            )
            hint.setObjectName("demoHint")
            hint.setWordWrap(True)
            hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(hint)
        layout.addLayout(buttons)

        self.sign_in_button.clicked.connect(self.submit)
        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.submit)

    def reset(self, username: str = "") -> None:
        self.username.setText(username)
        self.password.clear()
        self.error.hide()
        (self.password if username else self.username).setFocus()

    def submit(self) -> None:
        if self._wait_left > 0:
            return
        username = self.username.text().strip()
        password = self.password.text()
        self.password.clear()  # cleared after every attempt, whatever the outcome
        if not username or not password:
            self._show_error("Enter your username and password.")
            (self.username if not username else self.password).setFocus()
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._desk.sign_in(username, password)
        except PharmDeskError as exc:
            self._show_error(exc.message)
            self._start_wait(self._desk.last_delay)
            self.password.setFocus()
            return
        finally:
            password = ""
            QGuiApplication.restoreOverrideCursor()
        self.error.hide()
        self.signed_in.emit(username.lower())

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _start_wait(self, seconds: float) -> None:
        self._wait_left = math.ceil(seconds)
        if self._wait_left <= 0:
            return
        self.sign_in_button.setEnabled(False)
        self._tick_label()
        self._wait_timer.start()

    def _tick(self) -> None:
        self._wait_left -= 1
        if self._wait_left <= 0:
            self._wait_timer.stop()
            self.sign_in_button.setEnabled(True)
            self.sign_in_button.setText("Sign in")
        else:
            self._tick_label()

    def _tick_label(self) -> None:
        self.sign_in_button.setText(f"Wait {self._wait_left} s…")


class LoginDialog(QDialog):
    """The first window at start: sign in, or cancel to quit."""

    def __init__(self, desk: DeskContext, *, demo: bool = False, username: str = "") -> None:
        super().__init__()
        self.setWindowTitle("PharmDesk — Sign in")
        self.form = SignInForm(desk, demo=demo, parent=self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(self.form)
        self.form.signed_in.connect(lambda _user: self.accept())
        self.setMinimumWidth(420)
        self.form.reset(DEMO_USER if demo and not username else username)
