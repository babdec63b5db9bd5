"""The main window's status bar: the customer count, who is signed in, the branch, which
database the desk works on (this PC's file or the branch server), and an admin's warning
when no recovery key opens the database."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QStatusBar

from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.widgets import plain_label


def store_text(files: DatabaseFiles) -> str:
    """The mode and where the data is: the server's host:port/database (never the login
    or a password), or this PC's file."""
    if files.server is not None:
        return f"Branch server {files.where}"
    return f"This PC: {files.db}"


def store_tooltip(files: DatabaseFiles) -> str:
    if files.server is not None:
        return (
            f"Branch server mode: this desk works on the customer list kept by the branch "
            f"server ({files.where}); the other desks of the branch see the same list."
        )
    return f"Single-PC mode: the customer list is kept in the encrypted file {files.db}."


def window_title(files: DatabaseFiles) -> str:
    if files.server is not None:
        return f"PharmDesk — branch server {files.where}"
    return "PharmDesk"


class DeskStatus:
    """The permanent parts of the status bar; messages go to the bar itself."""

    def __init__(self, bar: QStatusBar, desk: DeskContext) -> None:
        self._desk = desk
        self.count_label = plain_label()
        self.count_label.setObjectName("countLabel")
        self.user_label = plain_label()
        self.user_label.setObjectName("userLabel")
        self.branch_label = plain_label()
        self.branch_label.setObjectName("branchLabel")
        self.store_label = plain_label(store_text(desk.files))
        self.store_label.setObjectName("storeLabel")
        self.store_label.setToolTip(store_tooltip(desk.files))
        bar.addWidget(self.count_label, 1)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.branch_label)
        bar.addPermanentWidget(self.store_label)
        # An admin is told, until one is made, that no recovery key opens this database.
        self.no_recovery_key = QPushButton("⚠ No recovery key: make one")
        self.no_recovery_key.setObjectName("noRecoveryKey")
        self.no_recovery_key.setFlat(True)
        self.no_recovery_key.hide()
        bar.addPermanentWidget(self.no_recovery_key)

    def show_recovery_warning(self) -> None:
        """Shown to an admin who may make a recovery key while none opens the database
        (the key file is read here, once per sign-in or role change). A server desk
        without sign-in keys of its own has no recovery key to make."""
        desk = self._desk
        applies = desk.files.server is None or desk.files.vault.exists()
        missing = applies and desk.is_admin and not desk.has_recovery_key()
        self.no_recovery_key.setVisible(missing and desk.may("replaceRecoveryKey"))
