"""Admin ▸ Staff accounts: who may sign in, with which role; add, disable, reset.

Every change is one staff operation (addStaff, setStaffRole, resetStaffPassword,
disableStaff, enableStaff, unlockStaff), so the controller validates, protects the last
admin and audits; the dialogs show its refusals in their own words.
"""

from __future__ import annotations

from typing import Any, TypeVar

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.backup_runner import Job
from pharmdesk.ui.confirm import Ask, ask_yes_no
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.key_change import run_key_change
from pharmdesk.ui.record_table import RecordTableModel
from pharmdesk.ui.staff.columns import staff_columns
from pharmdesk.ui.staff.password_dialog import ADD, ENABLE, RESET, StaffPasswordDialog
from pharmdesk.ui.staff.role_dialog import RoleDialog
from pharmdesk.ui.widgets import error_label, heading, plain_label, row_table

StaffChange = TypeVar("StaffChange", StaffPasswordDialog, RoleDialog)


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
        self.password_dialog = self._open(
            dialog, "Added {name}. They choose their own password at first sign-in."
        )
        return dialog

    def reset_dialog(self) -> StaffPasswordDialog | None:
        row = self.current()
        if row is None:
            return None
        dialog = StaffPasswordDialog(self._desk, RESET, row, parent=self)
        self.password_dialog = self._open(dialog, "New one-time password set for {name}.")
        return dialog

    def role_dialog(self) -> RoleDialog | None:
        row = self.current()
        if row is None:
            return None
        dialog = RoleDialog(self._desk, row, parent=self)
        self.role_editor = self._open(
            dialog, "Role changed for {name}; it applies from their next action."
        )
        return dialog

    def _open(self, dialog: StaffChange, notice: str) -> StaffChange:
        """Open ``dialog``; once it saves, say ``notice`` (``{name}``: whose account)."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda name: self._changed(name, notice.format(name=name)))
        dialog.open()
        return dialog

    def disable_or_enable(self) -> StaffPasswordDialog | None:
        row = self.current()
        if row is None:
            return None
        if row["disabled"]:
            dialog = StaffPasswordDialog(self._desk, ENABLE, row, parent=self)
            self.password_dialog = self._open(dialog, "Enabled {name} with a one-time password.")
            return dialog
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
