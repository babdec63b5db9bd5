"""Break-glass recovery: the recovery key and a reason open the database, an admin gets a
new password, and that admin is signed in.

Two steps in one dialog. First the recovery key (from the paper made at setup) and a
written reason: the controller audits ``emergencyAccess`` with the reason before anything
else. Then the person (often the branch's IT helper) chooses which admin account gets a
new password (a disabled or locked-out admin is enabled and unlocked), or creates a new
admin account when none can be used. Only then does PharmDesk open, signed in as that
admin; the recovery key itself never opens the app.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers.recovery import (
    REASON_RULE,
    RecoverySession,
    check_reason,
    recovery_sign_in,
)
from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.backup_runner import Job
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.key_change import KeyProgress, run_with_key_progress
from pharmdesk.ui.password_fields import StrengthMeter, password_edit, rule_label
from pharmdesk.ui.widgets import error_label, heading, plain_label

MISMATCH = "The two passwords are different. Type them again."
OPENING = (
    "Opening with the recovery key, then changing the database key (whoever read the "
    "key's paper learns nothing that still opens it)…"
)
RecoveryOpened = tuple[RecoverySession, list[dict[str, Any]]]


def _account_text(row: dict[str, Any]) -> str:
    state = []
    if row["disabled"]:
        state.append("disabled: will be enabled")
    if row["lockedOut"]:
        state.append("locked out: will be unlocked")
    suffix = f"  ({'; '.join(state)})" if state else ""
    return f"{row['username']} — {row['fullName']}{suffix}"


class RecoveryDialog(QDialog):
    """Emits ``recovered(username)`` once that admin has a new password and is signed in."""

    recovered = Signal(str)

    def __init__(self, desk: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._desk = desk
        self._recovery: RecoverySession | None = None
        self.opening: Job | None = None  # the recovery sign-in and its rekey, in the background
        self.setWindowTitle("PharmDesk — Recovery key")
        self.setMinimumWidth(560)
        self.key_page = self._build_key_page()
        self.admin_page = self._build_admin_page()
        self.admin_page.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        layout.addWidget(self.key_page)
        layout.addWidget(self.admin_page)
        layout.addStretch(1)
        self.key.setFocus()

    # -- step 1: the key and the reason --------------------------------------------------------
    def _build_key_page(self) -> QWidget:
        page = QWidget()
        intro = plain_label(
            "Use this only when no admin can sign in. The recovery key is the code of six "
            "groups of four letters and digits shown when PharmDesk was set up on this PC "
            "(it should be on paper, kept away from the PC). Its use is recorded in the "
            "audit log with your reason, and you will set a new password for an admin "
            "account before PharmDesk opens."
        )
        intro.setObjectName("subtitle")
        intro.setWordWrap(True)
        self.key = QLineEdit()
        self.key.setObjectName("recoveryKeyInput")
        self.key.setAccessibleName("Recovery key")
        self.key.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.key.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.key_error = error_label()
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reason")
        self.reason.setAccessibleName("Reason")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("e.g. Ada, our only admin, forgot her password")
        self.reason.setFixedHeight(64)
        reason_rule = plain_label(REASON_RULE)
        reason_rule.setWordWrap(True)
        self.reason_error = error_label()
        self.error = error_label()
        self.open_button = QPushButton("&Open with recovery key")
        self.open_button.setObjectName("openWithRecoveryKey")
        self.open_button.setAutoDefault(False)  # Enter in the key field moves on, not submits
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Recovery &key", self.key)
        form.addRow("", self.key_error)
        form.addRow("&Reason", self.reason)
        form.addRow("", reason_rule)
        form.addRow("", self.reason_error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Forgot everything?"))
        layout.addWidget(intro)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.open_button.clicked.connect(self.open_database)
        self.cancel_button.clicked.connect(self.reject)
        self.key.returnPressed.connect(self.reason.setFocus)
        return page

    def open_database(self) -> None:
        """Check the key and the reason; on success go on to choosing the admin."""
        key, reason = self.key.text(), self.reason.toPlainText()
        for label in (self.key_error, self.reason_error, self.error):
            label.hide()
        try:
            check_reason(reason)  # before the key is tried, so the typed key stays
        except PharmDeskError as exc:
            self._show(self.reason_error, exc.message, self.reason)
            return
        delay: list[float] = []
        files, clock, kdf = self._desk.files, self._desk.clock, self._desk.kdf

        def work(report: KeyProgress) -> RecoveryOpened | PharmDeskError:
            try:
                recovery = recovery_sign_in(
                    files,
                    key,
                    reason,
                    clock=clock,
                    kdf=kdf,
                    # The button waits out the growing delay instead of freezing the window.
                    sleep=delay.append,
                    progress=report,  # the recovery key changes the database key
                )
            except PharmDeskError as exc:
                return exc  # with its field, for the label next to it
            try:
                return recovery, recovery.staff()
            except BaseException:
                recovery.close()
                raise

        def opened(result: RecoveryOpened | PharmDeskError | None, error: str) -> None:
            self.opening = None
            self.open_button.setEnabled(True)
            if result is None or isinstance(result, PharmDeskError):
                self._refused(result or PharmDeskError(DATABASE_ERROR, error), delay)
                return
            self._recovery, staff = result
            self._show_admin_page(staff)

        self.key.clear()
        self.open_button.setEnabled(False)
        self.opening = run_with_key_progress(self, work, opened, OPENING)

    def _refused(self, exc: PharmDeskError, delay: list[float]) -> None:
        if exc.field == "reason":
            self._show(self.reason_error, exc.message, self.reason)
        elif exc.field == "recoveryKey":
            self._show(self.key_error, exc.message, self.key)
        else:
            self._show(self.error, exc.message, self.key)
        if delay and delay[0] > 0:
            self.open_button.setEnabled(False)
            button = self.open_button
            QTimer.singleShot(int(delay[0] * 1000), button, lambda: button.setEnabled(True))

    # -- step 2: which admin gets a new password ------------------------------------------------
    def _build_admin_page(self) -> QWidget:
        page = QWidget()
        intro = plain_label(
            "The database is open with the recovery key. Choose the admin account that "
            "gets a new password, or create a new admin account. PharmDesk then opens, "
            "signed in as that admin. Then make a new recovery key (Admin ▸ New recovery "
            "key…): whoever read this one could use it again."
        )
        intro.setObjectName("subtitle")
        intro.setWordWrap(True)
        self.existing_admin = QRadioButton("Give an &existing admin account a new password")
        self.existing_admin.setObjectName("existingAdmin")
        self.new_admin = QRadioButton("Create a &new admin account")
        self.new_admin.setObjectName("newAdmin")
        group = QButtonGroup(page)
        group.addButton(self.existing_admin)
        group.addButton(self.new_admin)
        self.account = QComboBox()
        self.account.setObjectName("adminAccount")
        self.account.setAccessibleName("Admin account")
        self.username = QLineEdit()
        self.username.setObjectName("newAdminUsername")
        self.username.setPlaceholderText("e.g. it.support")
        self.full_name = QLineEdit()
        self.full_name.setObjectName("newAdminFullName")
        self.full_name.setPlaceholderText("e.g. Tunde Bakare (IT)")
        self.account_error = error_label()
        self.password = password_edit("newAdminPassword", "New password")
        self.meter = StrengthMeter(self.password, [])
        self.password_error = error_label()
        self.repeat = password_edit("newAdminPasswordRepeat", "New password again")
        self.repeat_error = error_label()
        self.admin_error = error_label()
        self.finish_button = QPushButton("&Set password and open PharmDesk")
        self.finish_button.setObjectName("setAdminPassword")
        self.finish_button.setAutoDefault(False)  # Enter: password -> again -> finish
        self.abandon_button = QPushButton("Cancel")
        self.abandon_button.setAutoDefault(False)

        new_account = QFormLayout()
        new_account.setContentsMargins(24, 0, 0, 0)
        new_account.addRow("&Username", self.username)
        new_account.addRow("&Full name", self.full_name)
        self.new_account_box = QWidget()
        self.new_account_box.setLayout(new_account)
        existing_row = QHBoxLayout()
        existing_row.setContentsMargins(24, 0, 0, 0)
        existing_row.addWidget(self.account, 1)

        passwords = QFormLayout()
        passwords.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        passwords.addRow("New &password", self.password)
        passwords.addRow("", self.meter)
        passwords.addRow("", self.password_error)
        passwords.addRow("Password &again", self.repeat)
        passwords.addRow("", self.repeat_error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.abandon_button)
        buttons.addWidget(self.finish_button)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Set a new admin password"))
        layout.addWidget(intro)
        layout.addSpacing(8)
        layout.addWidget(self.existing_admin)
        layout.addLayout(existing_row)
        layout.addWidget(self.new_admin)
        layout.addWidget(self.new_account_box)
        layout.addWidget(self.account_error)
        layout.addSpacing(8)
        layout.addWidget(rule_label())
        layout.addLayout(passwords)
        layout.addWidget(self.admin_error)
        layout.addLayout(buttons)
        self.existing_admin.toggled.connect(self._choice_changed)
        self.account.currentIndexChanged.connect(lambda _i: self._update_context())
        self.username.textChanged.connect(lambda _t: self._update_context())
        self.finish_button.clicked.connect(self.finish)
        self.abandon_button.clicked.connect(self.reject)
        self.password.returnPressed.connect(self.repeat.setFocus)
        self.repeat.returnPressed.connect(self.finish)
        return page

    def _show_admin_page(self, staff: list[dict[str, Any]]) -> None:
        self.account.clear()
        for row in staff:
            if row["role"] == "admin":
                self.account.addItem(_account_text(row), row["username"])
        has_admin = self.account.count() > 0
        self.existing_admin.setEnabled(has_admin)
        (self.existing_admin if has_admin else self.new_admin).setChecked(True)
        self._choice_changed()
        self.key_page.hide()
        self.admin_page.show()
        screen_fit.grow(self)
        (self.password if has_admin else self.username).setFocus()

    def _choice_changed(self, _checked: bool = False) -> None:
        existing = self.existing_admin.isChecked()
        self.account.setEnabled(existing)
        self.new_account_box.setEnabled(not existing)
        self._update_context()

    def _update_context(self) -> None:
        existing = self.existing_admin.isChecked()
        name = self.account.currentData() if existing else self.username.text()
        self.meter.set_context([str(name or "")])

    def finish(self) -> None:
        """Set the password (enable, unlock or create as needed), then sign that admin in."""
        if self._recovery is None:
            return
        password, again = self.password.text(), self.repeat.text()
        for label in (self.account_error, self.password_error, self.repeat_error):
            label.hide()
        self.admin_error.hide()
        try:
            if password != again:
                self._show(self.repeat_error, MISMATCH, self.password)
                return
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                if self.existing_admin.isChecked():
                    username = self._recovery.set_admin_password(
                        str(self.account.currentData()), password
                    )
                else:
                    username = self._recovery.create_admin(
                        self.username.text(), self.full_name.text(), password
                    )
                self._recovery.close()
                self._recovery = None
                self._desk.sign_in(username, password)
            finally:
                QGuiApplication.restoreOverrideCursor()
        except PharmDeskError as exc:
            if exc.field == "password":
                self._show(self.password_error, exc.message, self.password)
            elif exc.field in ("username", "fullName"):
                self._show(self.account_error, exc.message, self.username)
            else:
                self._show(self.admin_error, exc.message, self.password)
            return
        finally:
            password = again = ""
            self.password.clear()
            self.repeat.clear()
        self.accept()
        self.recovered.emit(username)

    def _show(self, label: QLabel, message: str, focus: QWidget) -> None:
        label.setText(message)
        label.show()
        focus.setFocus()
        screen_fit.grow(self)  # room for the message

    # -- leaving ---------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        """Whatever the way out, the recovery session is closed and its key dropped."""
        if self._recovery is not None:
            self._recovery.close()
            self._recovery = None
        self.key.clear()
        self.password.clear()
        self.repeat.clear()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._recovery is not None:
            self._recovery.close()
            self._recovery = None
        super().closeEvent(event)
