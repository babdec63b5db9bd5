"""Admin ▸ Back up now… and Admin ▸ Restore…

"Back up now" writes an encrypted, verified copy (with the vault: the same passwords and
recovery key open it) to a chosen file, showing progress and the final verification.
"Restore" first checks a backup with an admin account *of the backup*, then restores it
into a new location, or — after confirmation — in place of the current database, whose
files are moved aside (never deleted); PharmDesk then signs out so that everyone signs
in again on the restored database.

Both run registered jobs (``backup``, ``checkBackup``, ``restoreBackup``), checked and
bound by the session and run in a worker thread (``backup_runner.Job``) on a connection
of their own, so the window stays responsive; the dialogs never hold the key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers import backups
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.backup_runner import Job
from pharmdesk.ui.confirm import Ask, asking
from pharmdesk.ui.desk import BoundJob, DeskContext
from pharmdesk.ui.formatting import ago, plain_tooltip
from pharmdesk.ui.widgets import error_label, heading, plain_label

ChooseFile = Callable[[QWidget, str], str]  # (parent, proposed path) -> chosen, "" if none
FILE_FILTER = "PharmDesk backups (*.pdbak);;All files (*)"


def choose_save_file(parent: QWidget, proposed: str) -> str:
    name, _ = QFileDialog.getSaveFileName(parent, "Back up to", proposed, FILE_FILTER)
    return name


def choose_open_file(parent: QWidget, proposed: str) -> str:
    name, _ = QFileDialog.getOpenFileName(parent, "Restore from", proposed, FILE_FILTER)
    return name


def choose_new_database(parent: QWidget, proposed: str) -> str:
    name, _ = QFileDialog.getSaveFileName(
        parent, "Restore into", proposed, "PharmDesk database (*.db);;All files (*)"
    )
    return name


def _success_label() -> QLabel:
    label = plain_label()
    label.setObjectName("backupResult")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def breakable(path: str) -> str:
    """A path a word-wrapping label can break after each folder separator."""
    return path.replace("/", "/\u200b").replace("\\", "\\\u200b")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:,.1f} {unit}"


def last_backup_text(desk: DeskContext) -> str:
    """ "Last verified backup: 2 hours ago (18 Apr 2026 13:00), /media/usb/…"."""
    if desk.session is None:
        return ""
    status = desk.call("getBackupStatus")
    last = status["lastVerified"]
    if last is None:
        line = "Last verified backup: none yet."
    else:
        when = backups.parse_when(last["at"])
        local = when.astimezone().strftime("%d %b %Y %H:%M") if when else ""
        line = (
            f"Last verified backup: {ago(last['at'], desk.clock.now())} ({local}), "
            f"{breakable(str(last['file']))}"
        )
    folder = status["folder"]
    if folder:
        settings = desk.settings()
        line += (
            f"\nScheduled: every {settings['backupEveryHours']} hours into "
            f"{breakable(str(folder))}."
        )
    else:
        line += "\nScheduled backups are off: choose a backup folder in Admin ▸ Settings."
    return line


class _ProgressRow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stage = plain_label()
        self.stage.setObjectName("subtitle")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Progress")
        layout.addWidget(self.stage)
        layout.addWidget(self.bar)
        self.hide()

    def begin(self, text: str) -> None:
        self.stage.setText(text)
        self.bar.setRange(0, 0)
        self.show()

    def update_progress(self, stage: str, done: int, total: int) -> None:
        self.stage.setText(f"{stage}…")
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))


class BackupDialog(QDialog):
    """Back up now, to a chosen file."""

    backed_up = Signal(dict)

    def __init__(
        self,
        desk: DeskContext,
        parent: QWidget | None = None,
        *,
        choose_file: ChooseFile = choose_save_file,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.choose_file = choose_file
        self.job: Job | None = None
        self.setWindowTitle("Back up now")
        self.setMinimumWidth(560)

        self.last_label = plain_label()
        self.last_label.setObjectName("lastBackup")
        self.last_label.setWordWrap(True)
        self.last_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        intro = plain_label(
            "An encrypted copy of the whole database, checked after writing. The same staff "
            "passwords and recovery key open it. Keep it off this PC (a USB drive or a share)."
        )
        intro.setObjectName("subtitle")
        intro.setWordWrap(True)
        self.file_edit = QLineEdit(self._proposed_path())
        self.file_edit.setAccessibleName("Backup file")
        self.browse = QPushButton("&Choose…")
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse)
        form = QFormLayout()
        form.addRow("Back up &to:", file_row)
        caption = form.labelForField(file_row)
        if isinstance(caption, QLabel):
            caption.setBuddy(self.file_edit)
        self.progress = _ProgressRow()
        self.error = error_label()
        self.outcome = _success_label()
        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton(
            "&Back up", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.start_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Back up now"))
        layout.addWidget(intro)
        layout.addWidget(self.last_label)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.browse.clicked.connect(self._browse)
        desk.locked.connect(self._stop)
        desk.signed_out.connect(self._stop)
        self.start_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        self.refresh()

    def _stop(self, *_args: object) -> None:
        """Locked or signed out: the key must not outlive the session; the copy stops
        (audited as failed) and can be made again after sign-in."""
        if self.job is not None:
            self.job.cancel()

    def _proposed_path(self) -> str:
        settings = self.desk.settings() if self.desk.session else {}
        folder = settings.get("backupFolder")
        base = Path(str(folder)) if folder and Path(str(folder)).is_dir() else Path.home()
        name = backups.default_backup_name(
            str(settings.get("branchName", "")), self.desk.clock.today()
        )
        return str(base / name)

    def refresh(self) -> None:
        try:
            self.last_label.setText(last_backup_text(self.desk))
        except PharmDeskError as exc:
            self.last_label.setText(exc.message)

    def _browse(self) -> None:
        chosen = self.choose_file(self, self.file_edit.text())
        if chosen:
            if not chosen.endswith(backups.SUFFIX) and "." not in Path(chosen).name:
                chosen += backups.SUFFIX
            self.file_edit.setText(chosen)

    def start(self) -> None:
        if self.job is not None:
            return
        self.error.hide()
        self.outcome.hide()
        text = self.file_edit.text().strip()
        if not text:
            self._fail("Choose where to write the backup.")
            return
        target = Path(text).expanduser()
        if not target.is_absolute():
            self._fail("Give the full path of the backup file (or use Choose…).")
            return
        if target.exists():
            self._fail(f"{target} already exists; a backup never overwrites a file.")
            return
        if not target.parent.is_dir():
            self._fail(
                f"The folder {target.parent} does not exist. Plug in the backup drive or "
                "choose another folder."
            )
            return
        try:
            job = Job(self.desk.prepare_job("backup", {"file": str(target)}), self)
        except PharmDeskError as exc:
            self._fail(exc.message)
            return
        self.job = job
        self._busy(True)
        self.progress.begin("Starting the backup…")
        job.progress.connect(self.progress.update_progress)
        job.done.connect(self._finished)
        job.start()

    def _busy(self, busy: bool) -> None:
        for widget in (self.start_button, self.close_button, self.file_edit, self.browse):
            widget.setEnabled(not busy)

    def _fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        screen_fit.grow(self)

    def _finished(self, result: object, error: str) -> None:
        self.job = None
        self._busy(False)
        self.progress.hide()
        if error or not isinstance(result, dict):
            self._fail(error or "The backup failed.")
        else:
            rows = result.get("rowCounts", {})
            self.outcome.setText(
                "Backup written and verified: "
                f"{breakable(result['file'])} ({_size(int(result['bytes']))}). "
                f"Checked: the file reads back whole, the database opens with its key, "
                f"integrity and encryption checks pass, {rows.get('customer', 0):,} customers "
                f"and {rows.get('audit_entry', 0):,} audit entries match, the audit chain "
                "verifies."
            )
            self.outcome.show()
            self.file_edit.setText(self._proposed_path_after(result["file"]))
            self.backed_up.emit(result)
        self.refresh()
        screen_fit.grow(self)

    def _proposed_path_after(self, written: str) -> str:
        """A fresh name, so a second click never collides with the file just written."""
        path = Path(written)
        stamp = self.desk.clock.now().astimezone().strftime("%H%M%S")
        return str(path.with_name(f"{path.stem}-{stamp}{path.suffix}"))

    def reject(self) -> None:
        if self.job is not None:
            return  # the copy finishes (or fails) first; it never leaves half a file
        super().reject()


class RestoreDialog(QDialog):
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
        super().__init__(parent)
        self.desk = desk
        self.sign_out = sign_out or desk.sign_out
        self.ask = ask or asking("&Replace and sign out", "&Cancel")
        self.choose_file = choose_file
        self.choose_target = choose_target
        self.job: Job | None = None
        self._signing_out = False
        self.checked: dict[str, Any] | None = None
        self.setWindowTitle("Restore a backup")
        self.setMinimumWidth(600)

        intro = plain_label(
            "Sign in with an admin account of the backup (its passwords are the ones it "
            "was made with). The backup is checked before anything is changed."
        )
        intro.setObjectName("subtitle")
        intro.setWordWrap(True)
        self.file_edit = QLineEdit()
        self.file_edit.setAccessibleName("Backup file")
        self.file_edit.setPlaceholderText("The .pdbak file to restore")
        self.browse = QPushButton("&Choose…")
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse)
        self.username = QLineEdit(desk.username or "")
        self.username.setAccessibleName("Username in the backup")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password in the backup")
        form = QFormLayout()
        form.addRow("Backup &file:", file_row)
        caption = form.labelForField(file_row)
        if isinstance(caption, QLabel):
            caption.setBuddy(self.file_edit)
        form.addRow("&Username:", self.username)
        form.addRow("&Password:", self.password)

        self.new_place = QRadioButton("Into a &new location (this database stays as it is):")
        self.replace = QRadioButton("&Replace the current database")
        replace_note = plain_label(
            "Its files are kept beside it under a dated name, never deleted. PharmDesk "
            "signs out; everyone signs in again on the restored database."
        )
        replace_note.setObjectName("subtitle")
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

        self.report = _success_label()
        self.report.setObjectName("restoreReport")
        self.progress = _ProgressRow()
        self.error = error_label()
        self.outcome = _success_label()

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
    def _inputs(self) -> tuple[Path, str, str] | None:
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
        return source, username, self.password.text()

    def _fail(self, message: str, focus: QWidget | None = None) -> None:
        self.error.setText(message)
        self.error.show()
        screen_fit.grow(self)
        if focus is not None:
            focus.setFocus()

    def _prepare(self, name: str, params: dict[str, Any]) -> BoundJob | None:
        """The registered job ``name`` checked and bound; None (reason shown) if refused."""
        try:
            return self.desk.prepare_job(name, params)
        except PharmDeskError as exc:
            self._fail(exc.message)
            return None

    def _start(self, bound: BoundJob, done: Callable[[object, str], None]) -> None:
        self.job = Job(bound, self)
        self._busy(True)
        self.progress.begin("Starting…")
        self.job.progress.connect(self.progress.update_progress)
        self.job.done.connect(done)
        self.job.start()

    def _run(self, name: str, params: dict[str, Any], done: Callable[[object, str], None]) -> None:
        bound = self._prepare(name, params)
        if bound is not None:
            self._start(bound, done)

    def _busy(self, busy: bool) -> None:
        for widget in (
            self.check_button,
            self.restore_button,
            self.close_button,
            self.file_edit,
            self.browse,
            self.username,
            self.password,
        ):
            widget.setEnabled(not busy)

    def _job_done(self) -> None:
        self.job = None
        self._busy(False)
        self.progress.hide()

    def check(self) -> None:
        """The restore drill: verify the backup with the given account, change nothing."""
        if self.job is not None:
            return
        inputs = self._inputs()
        if inputs is None:
            return
        source, username, password = inputs
        params = {"file": str(source), "username": username, "password": password}
        self._run("checkBackup", params, self._checked)

    def _checked(self, result: object, error: str) -> None:
        self._job_done()
        if error or not isinstance(result, dict):
            self._fail(error or "The backup could not be checked.")
            return
        self.checked = result
        made = backups.parse_when(str(result["createdAt"]))
        last = backups.parse_when(result.get("lastAuditEntryAt"))
        self.report.setText(
            "The backup verifies. "
            f"Made {made.astimezone().strftime('%d %b %Y %H:%M') if made else '?'}; "
            f"{int(result['customers']):,} customer{'' if int(result['customers']) == 1 else 's'}; "
            "last audit entry "
            f"{last.astimezone().strftime('%d %b %Y %H:%M') if last else 'none'}; "
            f"schema {result['schemaRevision']}."
        )
        self.report.show()
        screen_fit.grow(self)

    def restore(self) -> None:
        if self.job is not None:
            return
        inputs = self._inputs()
        if inputs is None:
            return
        source, username, password = inputs
        params: dict[str, Any] = {"file": str(source), "username": username, "password": password}
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
        if self.job is not None or self._signing_out:
            return
        super().reject()
