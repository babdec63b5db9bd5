"""What the backup and restore dialogs share: a file row, the progress of a running
job, its error and outcome lines, and the rule that a running job keeps the dialog open."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.backup_runner import Job
from pharmdesk.ui.desk import BoundJob, DeskContext
from pharmdesk.ui.widgets import error_label, plain_label

ChooseFile = Callable[[QWidget, str], str]  # (parent, proposed path) -> chosen, "" if none
JobDone = Callable[[object, str], None]  # (result, error message or "")
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


def breakable(path: str) -> str:
    """A path a word-wrapping label can break after each folder separator."""
    return path.replace("/", "/\u200b").replace("\\", "\\\u200b")


def result_label(object_name: str = "backupResult") -> QLabel:
    """A selectable, wrapping line for what a job found (hidden until there is one)."""
    label = plain_label(object_name=object_name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def add_file_row(form: QFormLayout, caption: str, edit: QLineEdit, browse: QPushButton) -> None:
    """A path field with its Choose… button as one form row; Alt+letter goes to the field."""
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(browse)
    form.addRow(caption, row)
    label = form.labelForField(row)
    if isinstance(label, QLabel):
        label.setBuddy(edit)


class ProgressRow(QWidget):
    """The stage a running job has reached, over a progress bar (hidden when idle)."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stage = plain_label(object_name="subtitle")
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


class JobDialog(QDialog):
    """A dialog that runs one registered job at a time and shows how it goes.

    Subclasses lay out ``progress``, ``error`` and ``outcome`` and say which widgets a
    running job disables (``inputs``).
    """

    def __init__(self, desk: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.job: Job | None = None
        self.progress = ProgressRow()
        self.error = error_label()
        self.outcome = result_label()

    def inputs(self) -> Sequence[QWidget]:
        """The buttons and fields that wait while a job runs."""
        raise NotImplementedError

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

    def _start(self, bound: BoundJob, done: JobDone, stage: str = "Starting…") -> None:
        self.job = Job(bound, self)
        self._busy(True)
        self.progress.begin(stage)
        self.job.progress.connect(self.progress.update_progress)
        self.job.done.connect(done)
        self.job.start()

    def _busy(self, busy: bool) -> None:
        for widget in self.inputs():
            widget.setEnabled(not busy)

    def _job_done(self) -> None:
        self.job = None
        self._busy(False)
        self.progress.hide()

    def reject(self) -> None:
        if self.job is not None:
            return  # the job finishes (or fails) first; it never leaves half a file
        super().reject()
