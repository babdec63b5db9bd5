"""First run on a PC with no database: this PC's own database, or the branch server.

For its own database: branch, first admin, password, recovery key. The database is
created when the password page is accepted; the recovery key is then shown exactly once,
and the wizard cannot finish until the person confirms they have written it down (or
printed/saved it). For the branch server: its address and CA with a connection test
(``setup_server_page.py``); finishing remembers the server for this PC.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from pharmdesk.clock import Clock
from pharmdesk.controllers.passwords import RULE, check_new_password
from pharmdesk.controllers.session import create_database, validate_username
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams
from pharmdesk.ui.password_fields import StrengthMeter, strength_hint
from pharmdesk.ui.recovery_key import RecoveryKeyPanel
from pharmdesk.ui.setup_server_page import ServerPage
from pharmdesk.ui.widgets import error_label, plain_label

__all__ = ["FirstRunWizard", "strength_hint"]


MODE_PAGE, BRANCH_PAGE, PASSWORD_PAGE, RECOVERY_PAGE, SERVER_PAGE = range(5)
# A connection test still running when the screen closes is waited for (its connect
# timeout is 10 s).
TEST_WAIT_MS = 15_000


class ModePage(QWizardPage):
    """This PC's own database, or the branch server's."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Welcome to PharmDesk")
        self.setSubTitle("No database was found on this PC. How will this PC work?")
        self.single_pc = QRadioButton("This PC keeps its own customer list")
        self.single_pc.setObjectName("singlePc")
        self.single_pc.setChecked(True)
        self.branch_server = QRadioButton("This PC uses the branch server")
        self.branch_server.setObjectName("branchServer")
        layout = QVBoxLayout(self)
        layout.addWidget(self.single_pc)
        layout.addWidget(
            _note(
                "An encrypted database on this PC. You will be its first administrator and "
                "add the rest of the staff afterwards."
            )
        )
        layout.addSpacing(12)
        layout.addWidget(self.branch_server)
        layout.addWidget(
            _note(
                "The branch's customer list is kept on a PostgreSQL server on your network, "
                "shared by every desk. Your IT contact sets the server up first (see the "
                "server guide) and gives you its address."
            )
        )
        layout.addStretch(1)

    def nextId(self) -> int:
        return SERVER_PAGE if self.branch_server.isChecked() else BRANCH_PAGE


def _note(text: str) -> QWidget:
    label = plain_label(text)
    label.setWordWrap(True)
    label.setContentsMargins(24, 0, 0, 0)
    return label


class BranchPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("This PC's own database")
        self.setSubTitle(
            "You will be the database's first administrator; you can add the rest of the "
            "staff afterwards."
        )
        self.branch = QLineEdit()
        self.branch.setObjectName("branchName")
        self.branch.setPlaceholderText("e.g. Lekki Phase 1 branch")
        self.username = QLineEdit()
        self.username.setObjectName("adminUsername")
        self.username.setPlaceholderText("e.g. ada")
        self.full_name = QLineEdit()
        self.full_name.setObjectName("adminFullName")
        self.full_name.setPlaceholderText("e.g. Ada Okonkwo")
        self.error = error_label()
        form = QFormLayout(self)
        form.addRow("&Branch name", self.branch)
        form.addRow("Your &username", self.username)
        form.addRow("Your &full name", self.full_name)
        form.addRow(self.error)
        self.registerField("branchName*", self.branch)
        self.registerField("adminUsername*", self.username)
        self.registerField("adminFullName*", self.full_name)

    def validatePage(self) -> bool:
        try:
            validate_username(self.username.text())
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            self.username.setFocus()
            return False
        self.error.hide()
        return True


class PasswordPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Choose your password")
        self.setSubTitle(RULE)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("passwordRepeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength = StrengthMeter(self.password, [])
        self.error = error_label()
        form = QFormLayout(self)
        form.addRow("&Password", self.password)
        form.addRow("", self.strength)
        form.addRow("&Type it again", self.repeat)
        form.addRow(self.error)

    def initializePage(self) -> None:
        # The username is the first word the password must not lean on.
        self.strength.set_context([self.field("adminUsername") or ""])

    def validatePage(self) -> bool:
        password = self.password.text()
        try:
            if password != self.repeat.text():
                raise PharmDeskError(
                    "VALIDATION_ERROR", "The two passwords are different. Type them again."
                )
            check_new_password(password, username=str(self.field("adminUsername")))
            self._wizard.create_now(password)
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            self.password.setFocus()
            return False
        finally:
            self.password.clear()
            self.repeat.clear()
        return True


class RecoveryPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Your recovery key")
        self.setSubTitle(
            "If every administrator forgets their password, this key is the only way back "
            "into the database. It is shown only now. Write it down or print it, and keep "
            "it somewhere safe away from this PC."
        )
        self.panel = RecoveryKeyPanel()
        self.key_label = self.panel.key_label
        self.confirm = self.panel.confirm
        self.registerField("recoveryConfirmed*", self.confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)

    def nextId(self) -> int:
        return -1

    def initializePage(self) -> None:
        self.panel.show_key(self._wizard.recovery_key, str(self.field("branchName") or ""))


class FirstRunWizard(QWizard):
    def __init__(
        self,
        files: DatabaseFiles,
        *,
        clock: Clock | None = None,
        kdf: KdfParams = DEFAULT_KDF,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.files = files
        self._clock = clock
        self._kdf = kdf
        self.recovery_key = ""
        self.setWindowTitle("PharmDesk — First-time setup")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.mode_page = ModePage()
        self.branch_page = BranchPage()
        self.password_page = PasswordPage(self)
        self.recovery_page = RecoveryPage(self)
        self.server_page = ServerPage()
        self.setPage(MODE_PAGE, self.mode_page)
        self.setPage(BRANCH_PAGE, self.branch_page)
        self.setPage(PASSWORD_PAGE, self.password_page)
        self.setPage(RECOVERY_PAGE, self.recovery_page)
        self.setPage(SERVER_PAGE, self.server_page)
        self.setStartId(MODE_PAGE)
        self.currentIdChanged.connect(self._buttons_for)
        # Once the database exists there is no going back to change the password page.
        self.password_page.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create database")
        self.setMinimumSize(560, 440)

    def done(self, result: int) -> None:
        self.server_page.wait_for_test(TEST_WAIT_MS)
        super().done(result)

    def _buttons_for(self, page: int) -> None:
        """The recovery key page has no way back (the database exists by then); the
        server page keeps Back and Cancel like any page before a commit."""
        on_server = page == SERVER_PAGE
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, not on_server)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, not on_server)

    @property
    def server_url(self) -> str:
        """The branch server chosen and joined, or "" for this PC's own database."""
        return self.server_page.server_url

    @property
    def admin_username(self) -> str:
        return str(self.field("adminUsername")).strip().lower()

    def create_now(self, password: str) -> None:
        """Create the database (called once the password page is accepted)."""
        if self.recovery_key:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.recovery_key = create_database(
                self.files,
                admin=self.admin_username,
                full_name=str(self.field("adminFullName")),
                password=password,
                branch_name=str(self.field("branchName")),
                clock=self._clock,
                kdf=self._kdf,
            )
        finally:
            QGuiApplication.restoreOverrideCursor()
