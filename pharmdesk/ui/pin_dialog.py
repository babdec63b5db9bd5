"""File ▸ Quick-unlock PIN…: set, change or remove the PIN that unlocks your own screen.

The dialog says what the PIN is for and where its limits are before anyone types (it
works only until sign-out or 12 hours after the password sign-in, three wrong PINs end
it, it is never saved). The rule is checked by the controller
(``controllers/quick_unlock.check_new_pin``) and a refusal is shown next to its field.
Both fields are cleared after every attempt, and when the screen locks.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
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

from pharmdesk.controllers.quick_unlock import MAX_PIN_DIGITS, PIN_RULE
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.password_fields import password_edit, rule_label
from pharmdesk.ui.widgets import error_label, heading

INTRO = (
    "When the screen locks, your PIN opens it again for you — no need to type your whole "
    "password each time. It unlocks only your own locked screen, on this PC. It is never "
    "saved: signing out, closing PharmDesk or signing in with a password ends it, and so "
    "do 3 wrong PINs. After 12 hours your password is needed again."
)


def pin_edit(object_name: str, accessible_name: str) -> QLineEdit:
    """A PIN field: never echoed, digits only."""
    edit = password_edit(object_name, accessible_name)
    edit.setMaxLength(MAX_PIN_DIGITS)
    edit.setValidator(
        QRegularExpressionValidator(QRegularExpression(f"[0-9]{{0,{MAX_PIN_DIGITS}}}"))
    )
    edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
    return edit


def clock_time(moment: dt.datetime, now: dt.datetime) -> str:
    """ "20:15", or "08:15 on 19 Apr" when that is not today (branch-local time)."""
    local = moment.astimezone()
    when = local.strftime("%H:%M")
    return when if local.date() == now.astimezone().date() else f"{when} on {local:%d %b}"


class PinDialog(QDialog):
    """Set or change the signed-in person's PIN (twice), or remove it."""

    pin_set = Signal(object)  # when it expires (an aware datetime)
    pin_removed = Signal()

    def __init__(self, desk: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._desk = desk
        self.setWindowTitle("PharmDesk — Quick-unlock PIN")
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.state = QLabel()
        self.state.setObjectName("pinState")
        self.state.setWordWrap(True)
        self.rule = rule_label(PIN_RULE)
        self.rule.setAccessibleName("PIN rule")
        self.pin = pin_edit("newPin", "New PIN")
        self.pin_error = error_label()
        self.repeat = pin_edit("newPinRepeat", "New PIN again")
        self.repeat_error = error_label()
        self.set_button = QPushButton("Set PIN")
        self.set_button.setObjectName("setPin")
        # Enter moves from the first field to the second and sets from there.
        self.set_button.setAutoDefault(False)
        self.remove_button = QPushButton("&Remove PIN")
        self.remove_button.setObjectName("removePin")
        self.remove_button.setAutoDefault(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setAutoDefault(False)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("New &PIN", self.pin)
        form.addRow("", self.pin_error)
        form.addRow("PIN &again", self.repeat)
        form.addRow("", self.repeat_error)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.set_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        layout.addWidget(heading("Quick-unlock PIN"))
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addWidget(self.state)
        layout.addSpacing(4)
        layout.addWidget(self.rule)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(500)

        self.pin.returnPressed.connect(self.repeat.setFocus)
        self.repeat.returnPressed.connect(self.submit)
        self.set_button.clicked.connect(self.submit)
        self.remove_button.clicked.connect(self.remove)
        self.cancel_button.clicked.connect(self.reject)
        # Nothing typed here stays in a hidden window while the screen is locked.
        desk.locked.connect(self._clear_fields)
        self.refresh()

    def refresh(self) -> None:
        """Say whether a PIN is set now, and until when it can work."""
        quick = self._desk.quick_unlock
        expires = quick.expires
        until = (
            f" until {clock_time(expires, self._desk.clock.now())}" if expires is not None else ""
        )
        if quick.has_pin:
            self.state.setText(f"<b>Your PIN is set.</b> It can unlock your screen{until}.")
            self.set_button.setText("Change PIN")
        else:
            self.state.setText(f"<b>No PIN is set.</b> A PIN set now works{until}.")
            self.set_button.setText("Set PIN")
        self.remove_button.setVisible(quick.has_pin)
        self._clear_fields()
        self._hide_errors()
        self.pin.setFocus()

    def submit(self) -> None:
        pin, again = self.pin.text(), self.repeat.text()
        self._hide_errors()
        try:
            expires = self._desk.set_pin(pin, again)
        except PharmDeskError as exc:
            if exc.field == "repeatPin":
                self._show(self.repeat_error, exc.message)
            else:
                self._show(self.pin_error, exc.message)
            return
        finally:
            pin = again = ""
            self._clear_fields()
        self.pin_set.emit(expires)
        self.accept()

    def remove(self) -> None:
        self._desk.remove_pin()
        self.pin_removed.emit()
        self.accept()

    def _show(self, label: QLabel, message: str) -> None:
        label.setText(message)
        label.show()
        self.pin.setFocus()
        screen_fit.grow(self)  # room for the message

    def _clear_fields(self) -> None:
        self.pin.clear()
        self.repeat.clear()

    def _hide_errors(self) -> None:
        self.pin_error.hide()
        self.repeat_error.hide()

    def done(self, result: int) -> None:
        self._clear_fields()
        super().done(result)
