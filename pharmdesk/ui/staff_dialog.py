"""Staff accounts (admins): who may sign in, with which role; add, disable, reset.

Every change is one staff operation (addStaff, setStaffRole, resetStaffPassword,
disableStaff, enableStaff, unlockStaff), so the controller validates, protects the last
admin and audits; this dialog shows its refusals in its own words, next to the field
they are about. New accounts and reset passwords are one-time passwords: the person
chooses their own at first sign-in (``mustChangePassword``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers.passwords import check_new_password
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.backup_runner import Job
from pharmdesk.ui.confirm import Ask, ask_yes_no
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import ago, local_date
from pharmdesk.ui.key_change import run_key_change
from pharmdesk.ui.password_fields import rule_label
from pharmdesk.ui.record_table import RecordColumn, RecordTableModel
from pharmdesk.ui.widgets import error_label, heading, plain_label, rich_label, row_table

ROLE_NAMES = {"admin": "Admin", "pharmacist": "Pharmacist", "frontdesk": "Front desk"}
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no l/1, o/0: read aloud or off paper
ONE_TIME_GROUPS = 4
ONE_TIME_GROUP_LEN = 4
ADD, RESET, ENABLE = "add", "reset", "enable"


def generate_one_time_password() -> str:
    """Four groups of four (about 79 bits), easy to read out: ``k7qm-x2pa-9fhz-wd3e``."""
    while True:
        groups = [
            "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_GROUP_LEN))
            for _ in range(ONE_TIME_GROUPS)
        ]
        candidate = "-".join(groups)
        try:
            return check_new_password(candidate)
        except PharmDeskError:  # astronomically unlikely (e.g. one repeated letter)
            continue


def status_text(row: dict[str, Any]) -> str:
    if row["disabled"]:
        return "Disabled"
    if row["lockedOut"]:
        return "Locked out"
    return "Active"


def last_sign_in_text(row: dict[str, Any], now: dt.datetime) -> str:
    when = row.get("lastSignIn")
    if not when:
        return "Never"
    return f"{local_date(when)} ({ago(when, now)})"


def staff_columns(now: Callable[[], dt.datetime]) -> list[RecordColumn]:
    """``now`` is asked at each paint, so "3 days ago" stays true while the list is open."""
    return [
        RecordColumn("Username", lambda r: str(r["username"])),
        RecordColumn("Full name", lambda r: str(r["fullName"])),
        RecordColumn("Role", lambda r: ROLE_NAMES.get(r["role"], r["role"])),
        RecordColumn("Last sign-in", lambda r: last_sign_in_text(r, now())),
        RecordColumn(
            "Status",
            status_text,
            tooltip=lambda r: (
                "Cannot sign in; enabling needs a new password."
                if r["disabled"]
                else "Too many wrong passwords; Unlock lets them try again now."
                if r["lockedOut"]
                else None
            ),
        ),
    ]


def role_combo(current: str = "frontdesk") -> QComboBox:
    combo = QComboBox()
    combo.setObjectName("role")
    combo.setAccessibleName("Role")
    for role, name in ROLE_NAMES.items():
        combo.addItem(name, role)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


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


class RoleDialog(QDialog):
    """Change one person's role; the last-admin refusal is shown next to the choice."""

    saved = Signal(str)

    def __init__(
        self, desk: DeskContext, row: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._desk = desk
        self._row = row
        self.setWindowTitle(f"PharmDesk — Role of {row['fullName']}")
        self.role = role_combo(row["role"])
        self.error = error_label()
        explain = plain_label(
            "Front desk: customers, plans, orders and segments. Pharmacist: the same, plus "
            "reviewing allergy conflicts and campaign audiences. Admin: everything, "
            "including staff, plans and the audit log. A new role applies from their next "
            "sign-in."
        )
        explain.setWordWrap(True)
        self.save_button = QPushButton("&Change role")
        self.save_button.setObjectName("save")
        self.save_button.setDefault(True)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        form = QFormLayout()
        form.addRow(f"Role of {row['username']}", self.role)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.setMinimumWidth(460)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)

    def save(self) -> None:
        role = str(self.role.currentData())
        if role == self._row["role"]:
            self.reject()
            return
        try:
            self._desk.call("setStaffRole", {"username": self._row["username"], "role": role})
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            screen_fit.grow(self)
            return
        self.accept()
        self.saved.emit(self._row["username"])


class StaffDialog(QDialog):
    """The staff list with its actions. ``staff_changed`` after any change (the main
    window re-reads the signed-in person's role: an admin may demote themself)."""

    staff_changed = Signal()

    def __init__(
        self, desk: DeskContext, parent: QWidget | None = None, *, ask: Ask = ask_yes_no
    ) -> None:
        super().__init__(parent)
        self.key_change: Job | None = None  # a disable re-encrypting the database
        # Asked first: a refusal (not an admin) raises before any child widget exists.
        rows = desk.call("listStaff")["staff"]
        self._desk = desk
        self._ask = ask
        self.setWindowTitle("PharmDesk — Staff accounts")
        self.model = RecordTableModel(
            staff_columns(desk.clock.now),
            highlight=lambda r: bool(r["lockedOut"] and not r["disabled"]),
            parent=self,
        )
        self.table = row_table(self.model, "staffTable")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

        self.add_button = QPushButton("&Add…")
        self.add_button.setObjectName("addStaff")
        self.role_button = QPushButton("Change &role…")
        self.role_button.setObjectName("changeRole")
        self.reset_button = QPushButton("Reset &password…")
        self.reset_button.setObjectName("resetPassword")
        self.disable_button = QPushButton("&Disable")
        self.disable_button.setObjectName("disableOrEnable")
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setObjectName("unlock")
        self.unlock_button.setToolTip("Let someone locked out by wrong passwords try again now")
        self.error = error_label()
        self.notice = plain_label()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        close = QPushButton("Close")
        close.setAutoDefault(False)

        side = QVBoxLayout()
        for button in (
            self.add_button,
            self.role_button,
            self.reset_button,
            self.disable_button,
            self.unlock_button,
        ):
            button.setAutoDefault(False)
            side.addWidget(button)
        side.addStretch(1)
        side.addWidget(close)
        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Staff accounts"))
        explain = plain_label(
            "Everyone signs in with their own account. Disabled accounts cannot sign in; "
            "every change here is recorded in the audit log."
        )
        explain.setObjectName("subtitle")
        explain.setWordWrap(True)
        layout.addWidget(explain)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.notice)
        self.resize(820, 420)

        self.add_button.clicked.connect(self.add_dialog)
        self.role_button.clicked.connect(self.role_dialog)
        self.reset_button.clicked.connect(self.reset_dialog)
        self.disable_button.clicked.connect(self.disable_or_enable)
        self.unlock_button.clicked.connect(self.unlock)
        close.clicked.connect(self.accept)
        self.table.selectionModel().currentRowChanged.connect(
            lambda _cur, _prev: self._update_buttons()
        )
        self.table.doubleClicked.connect(lambda _index: self.role_dialog())
        self._show_rows(rows, None)

    # -- data -----------------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Re-read the list (raises ``PharmDeskError`` when the caller may not list staff)."""
        keep = select or (self.current() or {}).get("username")
        self._show_rows(self._desk.call("listStaff")["staff"], keep)

    def _show_rows(self, rows: list[dict[str, Any]], keep: str | None) -> None:
        self.model.set_rows(rows)
        self.select_user(keep)
        self._update_buttons()

    def select_user(self, username: str | None) -> None:
        """Select that person's row (else the first)."""
        for row in range(self.model.rowCount()):
            record = self.model.record(row)
            if record is not None and record["username"] == username:
                self.table.selectRow(row)
                return
        if self.model.rowCount():
            self.table.selectRow(0)

    def current(self) -> dict[str, Any] | None:
        index: QModelIndex = self.table.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    def _update_buttons(self) -> None:
        row = self.current()
        has = row is not None
        disabled = bool(row and row["disabled"])
        self.role_button.setEnabled(has)
        self.reset_button.setEnabled(has and not disabled)
        self.disable_button.setEnabled(has)
        self.disable_button.setText("&Enable…" if disabled else "&Disable")
        self.unlock_button.setEnabled(bool(row and row["lockedOut"] and not disabled))

    def _changed(self, username: str, notice: str) -> None:
        self.error.hide()
        self.notice.setText(notice)
        self.staff_changed.emit()
        if not self._desk.may("listStaff"):
            # The admin demoted themself: the staff list is no longer theirs to see.
            QTimer.singleShot(0, self, self.reject)
            return
        try:
            self.refresh(username)
        except PharmDeskError as exc:
            self._show_error(exc.message)

    def _show_error(self, message: str) -> None:
        self.notice.clear()
        self.error.setText(message)
        self.error.show()

    # -- actions ----------------------------------------------------------------------------------
    def add_dialog(self) -> StaffPasswordDialog:
        dialog = StaffPasswordDialog(self._desk, ADD, parent=self)
        return self._open(dialog, "Added {name}. They choose their own password at first sign-in.")

    def reset_dialog(self) -> StaffPasswordDialog | None:
        row = self.current()
        if row is None:
            return None
        dialog = StaffPasswordDialog(self._desk, RESET, row, parent=self)
        return self._open(dialog, "New one-time password set for {name}.")

    def _open(self, dialog: StaffPasswordDialog, notice: str) -> StaffPasswordDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda name: self._changed(name, notice.format(name=name)))
        dialog.open()
        self.password_dialog = dialog
        return dialog

    def role_dialog(self) -> RoleDialog | None:
        row = self.current()
        if row is None:
            return None
        dialog = RoleDialog(self._desk, row, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(
            lambda name: self._changed(
                name, f"Role changed for {name}; it applies from their next action."
            )
        )
        dialog.open()
        self.role_editor = dialog
        return dialog

    def disable_or_enable(self) -> StaffPasswordDialog | None:
        row = self.current()
        if row is None:
            return None
        if row["disabled"]:
            dialog = StaffPasswordDialog(self._desk, ENABLE, row, parent=self)
            return self._open(dialog, "Enabled {name} with a one-time password.")
        self.disable(row)
        return None

    def disable(self, row: dict[str, Any]) -> None:
        name = row["username"]
        if not self._ask(
            "Disable staff account",
            f"Disable {row['fullName']} ({name})? They will no longer be able to sign in; "
            "enabling the account later needs a new password.",
        ):
            return
        try:
            self.key_change = run_key_change(
                self._desk,
                self,
                "disableStaff",
                {"username": name},
                lambda answer, error: self._disabled(name, answer, error),
            )
        except PharmDeskError as exc:
            self._show_error(exc.message)

    def _disabled(self, name: str, answer: dict[str, Any] | None, error: str) -> None:
        self.key_change = None
        if answer is None:
            self._show_error(error)
            return
        if answer.get("rekeyed"):
            note = "the database key was changed, so an old copy of the key file opens nothing"
        else:
            note = (
                "PharmDesk is open elsewhere on this PC, so the database key changes at the "
                "next sign-in"
            )
        self._changed(name, f"Disabled {name}: they can no longer sign in; {note}.")

    def unlock(self) -> None:
        row = self.current()
        if row is None:
            return
        try:
            self._desk.call("unlockStaff", {"username": row["username"]})
        except PharmDeskError as exc:
            self._show_error(exc.message)
            return
        self._changed(row["username"], f"Unlocked {row['username']}: they can try again now.")
