"""Operations that change the database key, off the GUI thread, with progress.

Disabling a person re-encrypts the whole database (``PRAGMA rekey``): seconds for a small
branch, minutes at a million customers. The operation runs through the session as
always, in a background job (``backup_runner.Job``, the helper the backups use) while a
modal progress dialog shows how far the re-encryption has come; the window keeps
drawing. The dialog is modal, so nothing else uses the session meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from pharmdesk.errors import AUTH_FAILED, PharmDeskError
from pharmdesk.ui.backup_runner import Job, Progress
from pharmdesk.ui.desk import DeskContext

T = TypeVar("T")
STAGE = "Changing the database key"
PER_MILLE = 1000
WAITING = (
    "Changing the database key so that the old one opens nothing…\n"
    "If PharmDesk is open elsewhere on this PC, this waits for it a few seconds."
)


class KeyChangeProgress(QProgressDialog):
    """Modal, no cancel: a half-done rekey is finished or rolled back, never abandoned."""

    def __init__(self, parent: QWidget | None, text: str = WAITING) -> None:
        super().__init__(text, "", 0, PER_MILLE, parent)
        self.setObjectName("keyChangeProgress")
        self.setWindowTitle("Changing the database key")
        self.setCancelButton(None)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setValue(0)

    def show_progress(self, _stage: str, done: int, total: int) -> None:
        self.setMaximum(max(total, 1))
        self.setValue(min(done, total))


KeyProgress = Callable[[int, int], None]  # (bytes done, bytes in all), from the session


def run_with_key_progress(
    parent: QWidget,
    work: Callable[[KeyProgress], T],
    done: Callable[[T | None, str], None],
    text: str = WAITING,
) -> Job:
    """Run ``work(report)`` in the background behind a modal progress dialog;
    ``done(result, error)`` arrives in the GUI thread."""

    def job(progress: Progress) -> T:
        def report(done_bytes: int, total_bytes: int) -> None:
            # Bytes can exceed a Qt int: reported in thousandths.
            progress(STAGE, done_bytes * PER_MILLE // max(total_bytes, 1), PER_MILLE)

        return work(report)

    dialog = KeyChangeProgress(parent, text)
    runner = Job(job, parent)
    runner.progress.connect(dialog.show_progress)

    def finished(result: object, error: str) -> None:
        dialog.close()
        dialog.deleteLater()
        done(None if error else result, error)  # type: ignore[arg-type]

    runner.done.connect(finished)
    dialog.show()
    runner.start()
    return runner


def run_key_change(
    desk: DeskContext,
    parent: QWidget,
    operation: str,
    params: dict[str, Any],
    done: Callable[[dict[str, Any] | None, str], None],
) -> Job:
    """Run ``operation`` (one that may rekey) in the background."""
    session = desk.session
    if session is None:
        raise PharmDeskError(AUTH_FAILED, "The screen is locked. Sign in to continue.")

    def work(report: KeyProgress) -> dict[str, Any]:
        session.progress = report
        try:
            return desk.call(operation, params)
        finally:
            session.progress = None

    return run_with_key_progress(parent, work, done)
