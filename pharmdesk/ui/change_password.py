"""Change my password: for everyone from the File menu, and forced at a first sign-in.

The rule is shown before the person types, the strength hint while they type, and a
refusal (too short, common, the current password wrong) next to the field it is about,
in the controller's own words. The keyslot rewrite itself is the controller's job
(``changeMyPassword``): one atomic write, so the old or the new password always works.
Every password field is cleared after each attempt, whatever the outcome.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.password_fields import StrengthMeter, password_edit, rule_label
from pharmdesk.ui.widgets import error_label, heading, plain_label

MISMATCH = "The two new passwords are different. Type them again."


class ChangePasswordForm(QWidget):
    """Current password, new password (with strength), new again; ``changed`` on success.

    ``forced``: the first sign-in with a one-time password. The sign-in form hands over
    the password just typed (``set_current_password``), so the person is not asked for
    it twice; the Cancel button becomes "Back to sign-in".
    """

    changed = Signal()
    cancelled = Signal()

    def __init__(
        self, desk: DeskContext, *, forced: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._desk = desk
        self._forced = forced
        self._current = ""

        self.rule = rule_label()
        self.old = password_edit("oldPassword", "Current password")
        self.old_error = error_label()
        self.new = password_edit("newPassword", "New password")
        self.meter = StrengthMeter(self.new, [])
        self.new_error = error_label()
        self.repeat = password_edit("newPasswordRepeat", "New password again")
        self.repeat_error = error_label()
        self.error = error_label()
        self.submit_button = QPushButton("Save and continue" if forced else "Change password")
        self.submit_button.setObjectName("changePassword")
        # Enter moves field by field and submits from the last one (returnPressed below);
        # a dialog default button would submit half-filled forms from the first field.
        self.submit_button.setAutoDefault(False)
        self.cancel_button = QPushButton("Back to sign-in" if forced else "Cancel")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setAutoDefault(False)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.old_label = plain_label("&Current password")
        self.old_label.setBuddy(self.old)
        form.addRow(self.old_label, self.old)
        form.addRow("", self.old_error)
        form.addRow("&New password", self.new)
        form.addRow("", self.meter)
        form.addRow("", self.new_error)
        form.addRow("New password &again", self.repeat)
        form.addRow("", self.repeat_error)
        if forced:
            self.old_label.hide()
            self.old.hide()

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.rule)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self.submit_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self._cancel)
        self.old.returnPressed.connect(self.new.setFocus)
        self.new.returnPressed.connect(self.repeat.setFocus)
        self.repeat.returnPressed.connect(self.submit)

    # -- state --------------------------------------------------------------------------------
    def start(self, username: str) -> None:
        """Show empty fields for ``username`` (their name feeds the strength hint)."""
        self.meter.set_context([username])
        self._clear_fields()
        self._hide_errors()
        (self.new if self._forced else self.old).setFocus()

    def set_current_password(self, password: str) -> None:
        """Forced change: the one-time password the person has just signed in with."""
        self._current = password

    def clear(self) -> None:
        """Locked, cancelled or done: nothing typed stays in memory."""
        self._current = ""
        self._clear_fields()
        self._hide_errors()

    def _clear_fields(self) -> None:
        for edit in (self.old, self.new, self.repeat):
            edit.clear()

    def _hide_errors(self) -> None:
        for label in (self.old_error, self.new_error, self.repeat_error, self.error):
            label.hide()

    # -- actions ------------------------------------------------------------------------------
    def submit(self) -> None:
        old = self._current if self._forced else self.old.text()
        new, again = self.new.text(), self.repeat.text()
        self._hide_errors()
        if not self._forced and not old:
            self._show(self.old_error, "Type your current password.", self.old)
            return
        if not new:
            self._show(self.new_error, "Type the new password.", self.new)
            return
        try:
            if new != again:
                self._show(self.repeat_error, MISMATCH, self.new)
                return
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self._desk.call("changeMyPassword", {"oldPassword": old, "newPassword": new})
            finally:
                QGuiApplication.restoreOverrideCursor()
        except PharmDeskError as exc:
            if exc.field == "oldPassword" and not self._forced:
                self._show(self.old_error, exc.message, self.old)
            elif exc.field in ("newPassword", "password"):
                self._show(self.new_error, exc.message, self.new)
            else:
                self._show(self.error, exc.message, self.new)
            return
        finally:
            old = new = again = ""
            self._clear_fields()
        self._current = ""
        self.changed.emit()

    def _show(self, label: QLabel, message: str, focus: QLineEdit) -> None:
        label.setText(message)
        label.show()
        focus.setFocus()
        window = self.window()
        if isinstance(window, QDialog):  # grow to fit the message (not the main window)
            screen_fit.grow(window)

    def _cancel(self) -> None:
        self.clear()
        self.cancelled.emit()


class ChangePasswordDialog(QDialog):
    """ "Change my password…" from the File menu, for every signed-in person."""

    def __init__(self, desk: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("PharmDesk — Change my password")
        self.form = ChangePasswordForm(desk, parent=self)
        intro = plain_label(
            "Your new password works from the next sign-in on (and for unlocking this "
            "screen); the old one stops working at once."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        layout.addWidget(heading("Change my password"))
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addWidget(self.form)
        layout.addStretch(1)
        self.setMinimumWidth(520)
        self.form.changed.connect(self.accept)
        self.form.cancelled.connect(self.reject)
        self.form.start(desk.username or "")

    def done(self, result: int) -> None:
        self.form.clear()
        super().done(result)
