"""Add a staff member, reset a forgotten password, or enable a disabled account.

Each is one staff operation (addStaff, resetStaffPassword, enableStaff), so the
controller validates and audits; its refusals are shown next to the field they are
about. All three set a one-time password: the person chooses their own at first
sign-in (``mustChangePassword``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
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

from pharmdesk.controllers.passwords import generate_one_time_password
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.password_fields import rule_label
from pharmdesk.ui.staff.role_dialog import role_combo
from pharmdesk.ui.widgets import error_label, heading, plain_label, rich_label

ADD, RESET, ENABLE = "add", "reset", "enable"


class StaffPasswordDialog(QDialog):
    """Add a staff member, reset a forgotten password, or enable a disabled account.

    All three set a one-time password (typed, or generated and shown once with Copy);
    the person must choose their own at first sign-in. Emits ``saved(username)``.
    """

    saved = Signal(str)

    def __init__(
        self,
        desk: DeskContext,
        mode: str,
        row: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._desk = desk
        self.mode = mode
        self._row = row or {}
        who = str(self._row.get("fullName") or self._row.get("username") or "")
        titles = {
            ADD: "Add a staff member",
            RESET: f"Reset the password of {who}",
            ENABLE: f"Enable {who}",
        }
        self.setWindowTitle(f"PharmDesk — {titles[mode]}")
        self.setMinimumWidth(520)

        self.username = QLineEdit(str(self._row.get("username", "")))
        self.username.setObjectName("username")
        self.username.setPlaceholderText("e.g. femi (lowercase letters, digits, . _ -)")
        self.username_error = error_label()
        self.full_name = QLineEdit(str(self._row.get("fullName", "")))
        self.full_name.setObjectName("fullName")
        self.full_name.setPlaceholderText("e.g. Femi Adebayo")
        self.full_name_error = error_label()
        self.role = role_combo()
        self.role_error = error_label()
        self.password = QLineEdit()
        self.password.setObjectName("oneTimePassword")
        self.password.setAccessibleName("One-time password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.generate_button = QPushButton("&Generate")
        self.generate_button.setObjectName("generate")
        self.generate_button.setToolTip("Make a strong one-time password and show it")
        self.generate_button.setAutoDefault(False)
        self.password_error = error_label()
        self.error = error_label()
        self.save_button = QPushButton(
            {ADD: "&Add staff member", RESET: "&Reset password", ENABLE: "&Enable account"}[mode]
        )
        self.save_button.setObjectName("save")
        self.save_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)

        self.form_page = QWidget()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        if mode == ADD:
            form.addRow("&Username", self.username)
            form.addRow("", self.username_error)
            form.addRow("&Full name", self.full_name)
            form.addRow("", self.full_name_error)
            form.addRow("R&ole", self.role)
            form.addRow("", self.role_error)
        password_row = QHBoxLayout()
        password_row.addWidget(self.password, 1)
        password_row.addWidget(self.generate_button)
        password_label = plain_label("One-time &password")
        password_label.setBuddy(self.password)  # a row of two widgets has no automatic buddy
        form.addRow(password_label, password_row)
        form.addRow("", self.password_error)
        intro = {
            ADD: "They sign in with this one-time password and must then choose their own.",
            RESET: f"{who} signs in with this one-time password and must then choose their "
            "own. Their old password stops working now.",
            ENABLE: f"{who} can sign in again with this one-time password and must then "
            "choose their own.",
        }[mode]
        intro_label = plain_label(intro)
        intro_label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        page = QVBoxLayout(self.form_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(intro_label)
        page.addWidget(rule_label())
        page.addSpacing(6)
        page.addLayout(form)
        page.addWidget(self.error)
        page.addLayout(buttons)

        # Shown once the account is saved: the one-time password, once, with Copy.
        self.done_page = QWidget()
        self.done_text = rich_label()
        self.done_text.setWordWrap(True)
        self.shown_password = plain_label()
        self.shown_password.setObjectName("recoveryKey")  # the same "write this down" box
        self.shown_password.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shown_password.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.shown_password.setFont(font)
        self.copy_button = QPushButton("&Copy password")
        self.copy_button.setObjectName("copyPassword")
        self.copy_button.setAutoDefault(False)
        self.close_button = QPushButton("&Done")
        self.close_button.setObjectName("done")
        self.close_button.setDefault(True)
        done_buttons = QHBoxLayout()
        done_buttons.addWidget(self.copy_button)
        done_buttons.addStretch(1)
        done_buttons.addWidget(self.close_button)
        done = QVBoxLayout(self.done_page)
        done.setContentsMargins(0, 0, 0, 0)
        done.addWidget(self.done_text)
        done.addWidget(self.shown_password)
        done.addLayout(done_buttons)
        self.done_page.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        self.heading = heading(titles[mode])
        layout.addWidget(self.heading)
        layout.addWidget(self.form_page)
        layout.addWidget(self.done_page)
        layout.addStretch(1)

        self.generate_button.clicked.connect(self.generate)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.copy_button.clicked.connect(self.copy_password)
        self.close_button.clicked.connect(self.accept)
        self.password.textEdited.connect(
            lambda _t: self.password.setEchoMode(QLineEdit.EchoMode.Password)
        )
        (self.username if mode == ADD else self.password).setFocus()

    def generate(self) -> None:
        """A strong one-time password, shown in the field so it can be read out."""
        self.password.setText(generate_one_time_password())
        self.password.setEchoMode(QLineEdit.EchoMode.Normal)
        self.password_error.hide()

    def save(self) -> None:
        password = self.password.text()
        for label in (
            self.username_error,
            self.full_name_error,
            self.role_error,
            self.password_error,
            self.error,
        ):
            label.hide()
        if not password:
            self._show(self.password_error, "Type a one-time password, or Generate one.")
            return
        username = self.username.text().strip().lower()
        params: dict[str, Any] = {
            "username": username,
            "password": password,
            "mustChangePassword": True,
        }
        operation = {ADD: "addStaff", RESET: "resetStaffPassword", ENABLE: "enableStaff"}
        if self.mode == ADD:
            params["fullName"] = self.full_name.text()
            params["role"] = self.role.currentData()
        try:
            self._desk.call(operation[self.mode], params)
        except PharmDeskError as exc:
            label = {
                "username": self.username_error if self.mode == ADD else self.error,
                "fullName": self.full_name_error,
                "role": self.role_error,
                "password": self.password_error,
            }.get(exc.field or "", self.error)
            self._show(label, exc.message)
            return
        self._show_once(username, password)
        self.saved.emit(username)

    def _show_once(self, username: str, password: str) -> None:
        self.password.clear()
        name = self.full_name.text().strip() or username
        self.done_text.setText(
            f"Give <b>{escape(name)}</b> (username <b>{escape(username)}</b>) this one-time "
            "password, in "
            "person. It is shown only now; they will choose their own when they first "
            "sign in."
        )
        self.shown_password.setText(password)
        self.heading.setText(
            {ADD: "Staff member added", RESET: "Password reset", ENABLE: "Account enabled"}[
                self.mode
            ]
        )
        self.form_page.hide()
        self.done_page.show()
        screen_fit.grow(self)
        self.close_button.setFocus()

    def copy_password(self) -> None:
        self._desk.copy_text(self.shown_password.text())
        self.copy_button.setText("Copied")

    def _show(self, label: QLabel, message: str) -> None:
        label.setText(message)
        label.show()
        screen_fit.grow(self)  # room for the message, never drawn over the next row

    def done(self, result: int) -> None:
        self.password.clear()
        self.shown_password.clear()
        super().done(result)
