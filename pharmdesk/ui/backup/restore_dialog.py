"""Admin ▸ Restore…: check a backup with an admin account *of the backup*, then restore
it into a new location, or — after confirmation — in place of the current database,
whose files are moved aside (never deleted); PharmDesk then signs out so that everyone
signs in again on the restored database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers import backups
from pharmdesk.ui import screen_fit
from pharmdesk.ui.backup.job_dialog import (
    ChooseFile,
    JobDialog,
    add_file_row,
    breakable,
    choose_new_database,
    choose_open_file,
    result_label,
)
from pharmdesk.ui.confirm import Ask, asking
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import plain_tooltip
from pharmdesk.ui.widgets import heading, plain_label


def _local_time(value: str | None) -> str | None:
    """A time of the backup as the desk's clock shows it (None: the backup has none)."""
    when = backups.parse_when(value)
    return when.astimezone().strftime("%d %b %Y %H:%M") if when else None


class RestoreDialog(JobDialog):
    """Check a backup, then restore it into a new location or in place of this one."""

    restored = Signal(dict)

    def __init__(
        self,
        desk: DeskContext,
        parent: QWidget | None = None,
        *,
        sign_out: Callable[[], None] | None = None,
        ask: Ask | None = None,
        choose_file: ChooseFile = choose_open_file,
        choose_target: ChooseFile = choose_new_database,
    ) -> None:
        super().__init__(desk, parent)
        self.sign_out = sign_out or desk.sign_out
        self.ask = ask or asking("&Replace and sign out", "&Cancel")
        self.choose_file = choose_file
        self.choose_target = choose_target
        self._signing_out = False
        self.checked: dict[str, Any] | None = None
        self.setWindowTitle("Restore a backup")
        self.setMinimumWidth(600)

        intro = plain_label(
            "Sign in with an admin account of the backup (its passwords are the ones it "
            "was made with). The backup is checked before anything is changed.",
            "subtitle",
        )
        intro.setWordWrap(True)
        self.file_edit = QLineEdit()
        self.file_edit.setAccessibleName("Backup file")
        self.file_edit.setPlaceholderText("The .pdbak file to restore")
        self.browse = QPushButton("&Choose…")
        self.username = QLineEdit(desk.username or "")
        self.username.setAccessibleName("Username in the backup")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password in the backup")
        form = QFormLayout()
        add_file_row(form, "Backup &file:", self.file_edit, self.browse)
        form.addRow("&Username:", self.username)
        form.addRow("&Password:", self.password)

        self.new_place = QRadioButton("Into a &new location (this database stays as it is):")
        self.replace = QRadioButton("&Replace the current database")
        replace_note = plain_label(
            "Its files are kept beside it under a dated name, never deleted. PharmDesk "
            "signs out; everyone signs in again on the restored database.",
            "subtitle",
        )
        replace_note.setWordWrap(True)
        replace_note.setContentsMargins(24, 0, 0, 0)
        self.new_place.setChecked(True)
        self.where = QButtonGroup(self)
        self.where.addButton(self.new_place)
        self.where.addButton(self.replace)
        self.replace.setEnabled(desk.may("restoreBackup"))
        self.target_edit = QLineEdit(self._proposed_target())
        self.target_edit.setAccessibleName("New database file")
        self.target_browse = QPushButton("C&hoose…")
        target_row = QHBoxLayout()
        target_row.setContentsMargins(24, 0, 0, 0)
        target_row.addWidget(self.target_edit, 1)
        target_row.addWidget(self.target_browse)
        self.replace.setToolTip(plain_tooltip(f"The current database: {desk.files.db}"))

        self.report = result_label("restoreReport")
        self.buttons = QDialogButtonBox()
        self.check_button = self.buttons.addButton(
            "Chec&k backup", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.restore_button = self.buttons.addButton(
            "&Restore", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Restore a backup"))
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.new_place)
        layout.addLayout(target_row)
        layout.addWidget(self.replace)
        layout.addWidget(replace_note)
        layout.addWidget(self.report)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.browse.clicked.connect(self._browse)
        self.target_browse.clicked.connect(self._browse_target)
        self.check_button.clicked.connect(self.check)
        self.restore_button.clicked.connect(self.restore)
        self.close_button.clicked.connect(self.reject)
        self.new_place.toggled.connect(self._where_changed)
        self.file_edit.textChanged.connect(self._forget_check)

    def inputs(self) -> Sequence[QWidget]:
        return (
            self.check_button,
            self.restore_button,
            self.close_button,
            self.file_edit,
            self.browse,
            self.username,
            self.password,
        )

    def _proposed_target(self) -> str:
        db = self.desk.files.db
        stamp = self.desk.clock.now().astimezone().strftime("%Y-%m-%d")
        return str(db.parent / f"restored-{stamp}" / db.name)

    def _where_changed(self, new_place: bool) -> None:
        self.target_edit.setEnabled(new_place)
        self.target_browse.setEnabled(new_place)

    def _forget_check(self) -> None:
        self.checked = None
        self.report.hide()

    def _browse(self) -> None:
        chosen = self.choose_file(self, self.file_edit.text() or str(Path.home()))
        if chosen:
            self.file_edit.setText(chosen)

    def _browse_target(self) -> None:
        chosen = self.choose_target(self, self.target_edit.text())
        if chosen:
            self.target_edit.setText(chosen)

    # -- running ------------------------------------------------------------------------------
    def _inputs(self) -> dict[str, Any] | None:
        """The backup file and the account of the backup, as job params (None: a message
        says what is missing)."""
        self.error.hide()
        self.outcome.hide()
        source = Path(self.file_edit.text().strip()).expanduser()
        if not self.file_edit.text().strip() or not source.is_file():
            self._fail("Choose the backup file (.pdbak) to restore.", self.file_edit)
            return None
        username = self.username.text().strip()
        if not username:
            self._fail("Type the username of an admin account of the backup.", self.username)
            return None
        if not self.password.text():
            self._fail("Type that account's password.", self.password)
            return None
        return {"file": str(source), "username": username, "password": self.password.text()}

    def check(self) -> None:
        """The restore drill: verify the backup with the given account, change nothing."""
        if self.job is not None:
            return
        params = self._inputs()
        if params is None:
            return
        bound = self._prepare("checkBackup", params)
        if bound is not None:
            self._start(bound, self._checked)

    def _checked(self, result: object, error: str) -> None:
        self._job_done()
        if error or not isinstance(result, dict):
            self._fail(error or "The backup could not be checked.")
            return
        self.checked = result
        customers = int(result["customers"])
        self.report.setText(
            "The backup verifies. "
            f"Made {_local_time(str(result['createdAt'])) or '?'}; "
            f"{customers:,} customer{'' if customers == 1 else 's'}; "
            f"last audit entry {_local_time(result.get('lastAuditEntryAt')) or 'none'}; "
            f"schema {result['schemaRevision']}."
        )
        self.report.show()
        screen_fit.grow(self)

    def restore(self) -> None:
        if self.job is not None:
            return
        params = self._inputs()
        if params is None:
            return
        if self.replace.isChecked():
            if not self.ask(
                "Replace the current database?",
                "PharmDesk will sign out, put the backup in place of the current database "
                f"({self.desk.files.db}) and keep the current files beside it under a dated "
                "name. Everything entered since the backup was made will not be in the "
                "restored database. Everyone then signs in again.",
            ):
                return
            params.update(db=str(self.desk.files.db), replace=True)
        else:
            target_text = self.target_edit.text().strip()
            target = Path(target_text).expanduser()
            if not target_text or not target.is_absolute():
                self._fail("Give the full path of the new database file.", self.target_edit)
                return
            if target.resolve() == self.desk.files.db.resolve():
                self._fail(
                    "That is the current database; choose 'Replace the current database' "
                    "to restore in its place.",
                    self.target_edit,
                )
                return
            params.update(db=str(target), replace=False)
        # Checked and bound while signed in (the restore is an admin's job), then run.
        bound = self._prepare("restoreBackup", params)
        if bound is None:
            return
        if params["replace"]:
            # Signing out closes every other window; this one stays to show the restore.
            self._signing_out = True
            try:
                self.sign_out()
            finally:
                self._signing_out = False
        self._start(bound, self._restored)

    def _restored(self, result: object, error: str) -> None:
        self._job_done()
        if error or not isinstance(result, dict):
            message = error or "The backup could not be restored."
            if self.replace.isChecked():
                message += " The current database was not changed; sign in again to continue."
            self._fail(message)
            return
        moved = result.get("movedAside") or []
        text = f"Restored into {breakable(str(result['restoredTo']))}."
        if moved:
            text += f" The previous database was kept as {Path(moved[0]).name} beside it."
            text += " Sign in again to continue on the restored database."
        else:
            text += f' Open it with: pharmdesk --db "{result["restoredTo"]}"'
        self.outcome.setText(text)
        self.outcome.show()
        screen_fit.grow(self)
        self.restore_button.setEnabled(not moved)
        self.password.clear()
        self.restored.emit(result)

    def reject(self) -> None:
        if self._signing_out:
            return  # signing out closes other windows; this one shows the restore
        super().reject()
