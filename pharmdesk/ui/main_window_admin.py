"""The main window's admin and account entries: audit log, staff accounts, recovery key,
backups and settings (Admin menu), change password and quick-unlock PIN (File menu).

Each dialog's module is imported when it is first opened, to keep start-up short (about
0.15 s of imports); not to avoid an import loop (``tests/unit/test_imports.py`` imports
every module on its own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from pharmdesk.ui.main_window import MainWindow

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.widgets import heading, plain_label


def add_audit_actions(window: MainWindow) -> None:
    """Admin ▸ Audit log… (Ctrl+Shift+A): the audit log viewer, a window of its own."""
    from pharmdesk.ui.audit_view import show_audit_log

    window.audit_window = None
    window.audit_action = QAction("&Audit log…", window)
    window.audit_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
    window.audit_action.setStatusTip("Who did what and when: filter, verify the chain, export")
    window.audit_action.setToolTip("The audit log (admins, Ctrl+Shift+A)")

    def open_audit_log() -> None:
        window.audit_window = show_audit_log(window.desk, window, window.audit_window)

    window.audit_action.triggered.connect(open_audit_log)
    window.add_admin_action(window.audit_action)


def add_staff_actions(window: MainWindow) -> None:
    """Admin ▸ Staff accounts… (add, roles, passwords, disable) and File ▸ Change my
    password… for everyone."""
    import shiboken6

    from pharmdesk.ui.change_password import ChangePasswordDialog
    from pharmdesk.ui.recovery_key import NewRecoveryKeyDialog
    from pharmdesk.ui.staff.staff_dialog import StaffDialog

    window.staff_dialog = None
    window.change_password_dialog = None
    window.staff_action = QAction("&Staff accounts…", window)
    window.staff_action.setStatusTip("Add staff, change roles, reset passwords, disable accounts")
    window.staff_action.setToolTip("Staff accounts (admins)")
    window.change_password_action = QAction("Change my &password…", window)
    window.change_password_action.setStatusTip("Choose a new password for your own account")

    def open_staff_accounts() -> None:
        open_now = window.staff_dialog
        if open_now is not None and shiboken6.isValid(open_now) and open_now.isVisible():
            open_now.raise_()  # one staff list at a time
            open_now.activateWindow()
            return
        try:
            dialog = StaffDialog(window.desk, window)
        except PharmDeskError as exc:
            window.statusBar().showMessage(exc.message, 8000)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # An admin who demotes themself loses the Admin menu at once.
        dialog.staff_changed.connect(window.apply_role)
        dialog.show()
        window.staff_dialog = dialog

    def change_my_password() -> None:
        dialog = ChangePasswordDialog(window.desk, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: window.statusBar().showMessage("Your password was changed.", 8000)
        )
        dialog.show()
        window.change_password_dialog = dialog

    window.staff_action.triggered.connect(open_staff_accounts)
    window.recovery_key_action = QAction("New &recovery key…", window)
    window.recovery_key_action.setStatusTip(
        "Replace the recovery key: the old paper opens nothing from then on"
    )

    def new_recovery_key() -> None:
        dialog = NewRecoveryKeyDialog(window.desk, window.branch_label.text(), window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(window.apply_role)
        dialog.show()
        window.recovery_key_dialog = dialog

    window.no_recovery_key.clicked.connect(new_recovery_key)

    window.change_password_action.triggered.connect(change_my_password)
    window.recovery_key_action.triggered.connect(new_recovery_key)
    window.add_admin_action(window.staff_action)
    window.add_admin_action(window.recovery_key_action, "replaceRecoveryKey")
    window.file_menu.insertAction(window.file_menu_anchor, window.change_password_action)
    window.session_actions.append(window.change_password_action)


def add_backup_actions(window: MainWindow) -> None:
    """Admin ▸ Back up now… / Restore… / Settings…, and on a single PC the scheduled
    backups in the background (status bar: progress, warnings, reminder). A desk on the
    branch server makes no backups: its entries say where the server's are made."""
    from pharmdesk.ui.settings_dialog import SettingsDialog

    on_server = window.desk.files.server is not None
    window.backup_dialog = None
    window.restore_dialog = None
    window.settings_dialog = None
    window.backup_action = QAction("&Back up now…", window)
    window.restore_action = QAction("&Restore…", window)
    window.settings_action = QAction("S&ettings…", window)
    window.settings_action.setStatusTip("Branch name, phone region, idle lock, backups")
    if on_server:
        _explain_server_backups(window)
    else:
        _single_pc_backups(window)

    def applied(settings: dict) -> None:
        window.idle.set_minutes(float(settings["idleLockMinutes"]))
        window.branch_label.setText(str(settings["branchName"]))
        window.model.region = str(settings["defaultRegion"])
        window.statusBar().showMessage("Settings saved.", 5000)
        if not on_server:
            window.backups.check()  # a new folder gets its first backup now

    def open_settings() -> None:
        dialog = SettingsDialog(window.desk, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(applied)
        dialog.show()
        window.settings_dialog = dialog

    window.settings_action.triggered.connect(open_settings)
    window.add_admin_action(window.backup_action, "backup")
    window.add_admin_action(window.restore_action, "restoreBackup")
    window.add_admin_action(window.settings_action)
    if not on_server and window.desk.session is not None:
        window.backups.start()


def _single_pc_backups(window: MainWindow) -> None:
    from pharmdesk.ui.backup.backup_dialog import BackupDialog
    from pharmdesk.ui.backup.restore_dialog import RestoreDialog
    from pharmdesk.ui.backup_runner import BackgroundBackups

    window.backups = BackgroundBackups(window.desk, window.statusBar(), window)
    window.backup_action.setStatusTip("Write an encrypted, verified backup to a file")
    window.restore_action.setStatusTip("Check a backup, restore it elsewhere or in place")

    def back_up_now() -> None:
        dialog = BackupDialog(window.desk, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.backed_up.connect(lambda _answer: window.backups.note_manual_backup())
        dialog.show()
        window.backup_dialog = dialog

    def restored(answer: dict) -> None:
        if answer.get("movedAside"):
            window.sign_in_form.subtitle.setText(
                "The backup was restored; the previous database was kept beside it. "
                "Sign in to continue on the restored database."
            )

    def restore() -> None:
        dialog = RestoreDialog(window.desk, window, sign_out=window.sign_out)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.restored.connect(restored)
        dialog.show()
        window.restore_dialog = dialog

    window.backup_action.triggered.connect(back_up_now)
    window.restore_action.triggered.connect(restore)


SERVER_BACKUPS = (
    "This desk works on the branch server ({where}). The branch's data is backed up on "
    "the server PC with PostgreSQL's own tools (pg_dump), and restored there with "
    "pg_restore, as the server guide describes. A desk keeps no copy of its own, so "
    "there is nothing to back up or restore at this PC."
)


class ServerBackupsNote(QDialog):
    """Why a server desk has no backups of its own, and where they are made."""

    def __init__(self, where: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverBackups")
        self.setWindowTitle("Backups are made on the branch server")
        self.text = plain_label(SERVER_BACKUPS.format(where=where))
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(420)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(heading("Backups are made on the branch server"))
        layout.addWidget(self.text)
        layout.addWidget(buttons)


def _explain_server_backups(window: MainWindow) -> None:
    """Back up now… and Restore… on a server desk: a short answer, not a greyed entry."""
    tip = "Backups of the branch server are made on the server PC"
    window.backup_action.setStatusTip(tip)
    window.restore_action.setStatusTip(tip)

    def explain() -> None:
        note = ServerBackupsNote(window.desk.files.where, window)
        note.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        note.open()
        window.server_backups_note = note

    window.backup_action.triggered.connect(explain)
    window.restore_action.triggered.connect(explain)


def add_quick_unlock_actions(window: MainWindow) -> None:
    """File ▸ Quick-unlock PIN… (everyone): a PIN that unlocks your own locked screen
    (the lock page offers it by itself; see ui/login.py and controllers/quick_unlock)."""
    from pharmdesk.ui.pin_dialog import PinDialog, clock_time

    window.pin_dialog = None
    window.pin_action = QAction("&Quick-unlock PIN…", window)
    window.pin_action.setStatusTip("Set a PIN that unlocks your own locked screen")

    def open_pin_dialog() -> None:
        import shiboken6

        open_now = window.pin_dialog
        if open_now is not None and shiboken6.isValid(open_now) and open_now.isVisible():
            open_now.raise_()  # one at a time
            open_now.activateWindow()
            return
        dialog = PinDialog(window.desk, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.pin_set.connect(
            lambda expires: window.statusBar().showMessage(
                "Your PIN is set: it unlocks your own locked screen until "
                f"{clock_time(expires, window.desk.clock.now())}.",
                8000,
            )
        )
        dialog.pin_removed.connect(
            lambda: window.statusBar().showMessage("Your quick-unlock PIN was removed.", 8000)
        )
        dialog.show()
        window.pin_dialog = dialog

    window.pin_action.triggered.connect(open_pin_dialog)
    window.file_menu.insertAction(window.file_menu_anchor, window.pin_action)
    window.session_actions.append(window.pin_action)
