"""Admin ▸ Back up now…: an encrypted, verified copy (with the vault: the same passwords
and recovery key open it) to a chosen file, showing progress and the final verification."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers import backups
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.backup.job_dialog import (
    ChooseFile,
    JobDialog,
    add_file_row,
    breakable,
    choose_save_file,
)
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import ago
from pharmdesk.ui.widgets import heading, plain_label


def size_text(size: int) -> str:
    """``512 bytes``, ``3.4 MB``: a backup's size as a person reads it."""
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


class BackupDialog(JobDialog):
    """Back up now, to a chosen file."""

    backed_up = Signal(dict)

    def __init__(
        self,
        desk: DeskContext,
        parent: QWidget | None = None,
        *,
        choose_file: ChooseFile = choose_save_file,
    ) -> None:
        super().__init__(desk, parent)
        self.choose_file = choose_file
        self.setWindowTitle("Back up now")
        self.setMinimumWidth(560)

        self.last_label = plain_label(object_name="lastBackup")
        self.last_label.setWordWrap(True)
        self.last_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        intro = plain_label(
            "An encrypted copy of the whole database, checked after writing. The same staff "
            "passwords and recovery key open it. Keep it off this PC (a USB drive or a share).",
            "subtitle",
        )
        intro.setWordWrap(True)
        self.file_edit = QLineEdit(self._proposed_path())
        self.file_edit.setAccessibleName("Backup file")
        self.browse = QPushButton("&Choose…")
        form = QFormLayout()
        add_file_row(form, "Back up &to:", self.file_edit, self.browse)
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

    def inputs(self) -> Sequence[QWidget]:
        return (self.start_button, self.close_button, self.file_edit, self.browse)

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
        bound = self._prepare("backup", {"file": str(target)})
        if bound is not None:
            self._start(bound, self._finished, "Starting the backup…")

    def _finished(self, result: object, error: str) -> None:
        self._job_done()
        if error or not isinstance(result, dict):
            self._fail(error or "The backup failed.")
        else:
            rows = result.get("rowCounts", {})
            self.outcome.setText(
                "Backup written and verified: "
                f"{breakable(result['file'])} ({size_text(int(result['bytes']))}). "
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
