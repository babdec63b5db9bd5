"""Sign-in: the form used at start (in a dialog) and on the lock screen (in the window).

Wrong passwords are shown in the form, not in message boxes. After a failure the Sign
in button waits out the growing delay with a countdown; the password field is cleared
after every attempt.

A person signing in with a one-time password (``mustChangePassword``) is taken straight
to choosing their own, in the same form, and only then into the app. "Forgot
everything?" opens break-glass recovery with the recovery key.

On the lock page, when the person who locked set a quick-unlock PIN, the form opens on
"Unlock with your PIN" instead (PIN field focused); a button below leads to the password
form, for them or for anyone else. A wrong PIN says how many tries are left; the third
(or an expired PIN) lands on the password form with the reason (the PIN page itself is
``login_pin.py``).

Under the title the form says which database it opens: this PC's file, or the branch
server (host:port/database).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.change_password import ChangePasswordForm
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login_pin import PinPage, link_button
from pharmdesk.ui.main_window_status import store_text, store_tooltip
from pharmdesk.ui.recovery_dialog import RecoveryDialog
from pharmdesk.ui.widgets import error_label, heading, plain_label, rich_label


class SignInForm(QWidget):
    """Username, password, Sign in; emits ``signed_in(username)`` once the person may
    use the app (after choosing their own password, when they had a one-time one)."""

    signed_in = Signal(str)

    def __init__(
        self,
        desk: DeskContext,
        *,
        title: str = "Sign in to PharmDesk",
        subtitle: str = "Use your own account. Never share it.",
        demo: bool = False,
        recovery: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._desk = desk
        self._titles = (title, subtitle)  # restored after the first-sign-in change
        self._changing_for = ""
        self.recovery_dialog: QDialog | None = None
        self._wait_left = 0
        self._wait_timer = QTimer(self)
        self._wait_timer.setInterval(1000)
        self._wait_timer.timeout.connect(self._tick)

        self.title = heading(title)
        self.subtitle = plain_label(subtitle)
        self.subtitle.setObjectName("subtitle")
        self.subtitle.setWordWrap(True)
        # Which database this sign-in opens: this PC's file or the branch server.
        self.where = plain_label(store_text(desk.files))
        self.where.setObjectName("signInWhere")
        self.where.setWordWrap(True)
        self.where.setToolTip(store_tooltip(desk.files))
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

        self.forgot = rich_label('<a href="#recover">Forgot everything?</a>')
        self.forgot.setObjectName("forgotLink")
        self.forgot.setToolTip(
            "No admin can sign in? Open the database with the recovery key and set a new "
            "admin password."
        )
        self.forgot.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.forgot.setVisible(recovery)
        # The first sign-in with a one-time password continues here (hidden until then).
        self.change_form = ChangePasswordForm(desk, forced=True)
        self.change_form.hide()
        # Quick unlock with a PIN (the lock page only, when the person who locked set one).
        self.pin_page = PinPage()
        self.pin_page.hide()
        self.pin = self.pin_page.pin
        self.pin_error = self.pin_page.error
        self.unlock_button = self.pin_page.unlock_button
        self.use_password = self.pin_page.use_password
        self.back_to_pin = link_button("Unlock with the P&IN instead", "backToPin")
        self.back_to_pin.hide()
        self._password_subtitle = subtitle

        form = QFormLayout()
        form.addRow("&Username", self.username)
        form.addRow("&Password", self.password)
        buttons = QHBoxLayout()
        buttons.addWidget(self.forgot)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_in_button)

        self.sign_in_page = QWidget()
        page = QVBoxLayout(self.sign_in_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addLayout(form)
        page.addWidget(self.error)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.where)
        layout.addSpacing(8)
        layout.addWidget(self.pin_page)
        layout.addWidget(self.sign_in_page)
        layout.addWidget(self.change_form)
        if demo:
            hint = rich_label(
                f"Demo database — sign in as <b>{DEMO_USER}</b> with password "
                f"<b>{DEMO_PASSWORD}</b>"
            )
            hint.setObjectName("demoHint")
            hint.setWordWrap(True)
            hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            page.addWidget(hint)
        page.addWidget(self.back_to_pin, 0, Qt.AlignmentFlag.AlignLeft)
        page.addLayout(buttons)

        self.sign_in_button.clicked.connect(self.submit)
        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.submit)
        self.forgot.linkActivated.connect(lambda _link: self.open_recovery())
        self.change_form.changed.connect(self._password_chosen)
        self.change_form.cancelled.connect(self._password_not_chosen)
        self.back_to_pin.clicked.connect(self._show_pin_page)
        self.pin.returnPressed.connect(self.submit_pin)
        self.unlock_button.clicked.connect(self.submit_pin)
        self.use_password.clicked.connect(lambda: self._use_password())

    def reset(self, username: str = "") -> None:
        self._show_sign_in_page()
        self.username.setText(username)
        self.password.clear()
        self.error.hide()
        (self.password if username else self.username).setFocus()
        self._password_subtitle = self.subtitle.text()  # for when the PIN ends
        owner = self._desk.quick_unlock.locked_for
        if owner is not None and owner == username:
            self._show_pin_page()

    # -- quick unlock with a PIN ---------------------------------------------------------------
    def _show_pin_page(self) -> None:
        if self._desk.quick_unlock.locked_for is None:
            return
        self.subtitle.setText(
            f"Patient data is hidden. {self._desk.quick_unlock.locked_name}, unlock with your PIN."
        )
        self.sign_in_page.hide()
        self.pin.clear()
        self.pin_error.hide()
        self.pin_page.show()
        self._fit_dialog()
        self.pin.setFocus()

    def _use_password(self, message: str = "") -> None:
        """From the PIN page to the password form (its username filled in); ``message``
        says why when the PIN no longer works."""
        owner = self._desk.quick_unlock.locked_for
        self.pin.clear()
        self.pin_page.hide()
        self.pin_error.hide()
        if owner is not None:
            self.subtitle.setText(
                "Sign in with your password, or as another staff member. A password sign-in "
                f"ends the PIN of {self._desk.quick_unlock.locked_name}."
            )
        else:
            self.subtitle.setText(self._password_subtitle)
        self.back_to_pin.setVisible(owner is not None)
        self.sign_in_page.show()
        self.error.hide()
        if message:
            self._show_error(message)
        self._fit_dialog()
        self.password.setFocus()

    def submit_pin(self) -> None:
        pin = self.pin.text()
        self.pin.clear()  # cleared after every attempt, whatever the outcome
        if not pin:
            self._show_pin_error("Type your PIN (digits only).")
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            session = self._desk.unlock_with_pin(pin)
        except PharmDeskError as exc:
            if self._desk.quick_unlock.locked_for is None:
                self._use_password(exc.message)  # three strikes, expired, account changed
            else:
                self._show_pin_error(exc.message)
            return
        finally:
            pin = ""
            QGuiApplication.restoreOverrideCursor()
        self.pin_error.hide()
        self.signed_in.emit(session.staff.username)

    def _show_pin_error(self, message: str) -> None:
        self.pin_page.show_error(message)

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
            session = self._desk.sign_in(username, password)
            if session.staff.must_change_password:
                # Handed to the change form so the person need not type it again; it is
                # forgotten as soon as the change is made or abandoned.
                self.change_form.set_current_password(password)
        except PharmDeskError as exc:
            self._show_error(exc.message)
            self._start_wait(self._desk.last_delay)
            self.password.setFocus()
            return
        finally:
            password = ""
            QGuiApplication.restoreOverrideCursor()
        self.error.hide()
        if session.staff.must_change_password:
            self._show_change_page(session.staff.username, session.staff.full_name)
            return
        self.signed_in.emit(username.lower())

    # -- first sign-in with a one-time password ---------------------------------------------
    def _show_change_page(self, username: str, full_name: str) -> None:
        self._changing_for = username
        self._titles = (self.title.text(), self.subtitle.text())
        self.title.setText("Choose your own password")
        self.subtitle.setText(
            f"Welcome, {full_name}. You signed in with a one-time password: choose your own "
            "now. Nobody else, admins included, should know it."
        )
        self.sign_in_page.hide()
        self.back_to_pin.hide()
        self.change_form.show()
        self._fit_dialog()
        self.change_form.start(username)

    def _show_sign_in_page(self) -> None:
        if self._changing_for:
            self.title.setText(self._titles[0])
            self.subtitle.setText(self._titles[1])
        self._changing_for = ""
        self.change_form.clear()
        self.change_form.hide()
        self.pin.clear()
        self.pin_page.hide()
        if self._desk.quick_unlock.locked_for is None:
            self.back_to_pin.hide()
        self.sign_in_page.show()
        self._fit_dialog()

    def _fit_dialog(self) -> None:
        """In the start-up dialog, grow or shrink with the page (the lock page has room)."""
        window = self.window()
        if isinstance(window, QDialog):
            screen_fit.grow(window)

    def _password_chosen(self) -> None:
        username = self._changing_for
        self._show_sign_in_page()
        self.password.clear()
        self.error.hide()
        self.signed_in.emit(username)

    def _password_not_chosen(self) -> None:
        """Back to sign-in: the session that may only change its password is closed."""
        username = self._changing_for
        self._desk.sign_out()
        self.reset(username)
        self._show_error(
            "Your password was not changed, so PharmDesk cannot open yet. Sign in again with "
            "the one-time password and choose your own."
        )

    # -- break-glass -----------------------------------------------------------------------
    def open_recovery(self) -> QDialog:
        """The "Forgot everything?" link: the recovery-key dialog; the recovered admin is
        signed in when it finishes."""
        dialog = RecoveryDialog(self._desk, parent=self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.recovered.connect(self._recovered)
        dialog.open()
        self.recovery_dialog = dialog
        return dialog

    def _recovered(self, username: str) -> None:
        self.reset(username)
        self.password.clear()
        self.signed_in.emit(username)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self._fit_dialog()

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
