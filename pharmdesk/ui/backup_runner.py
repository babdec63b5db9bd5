"""Backups off the GUI thread: the scheduled backup while the app runs, and the jobs of
the backup dialogs.

Every job here is a registered one (``controllers.backups``: ``backup``, ``dueBackup``,
``checkBackup``, ``restoreBackup``), checked and bound by the session
(``DeskContext.prepare_job``) in the GUI thread, then run in a worker. The window never
holds the key or opens the store: the job opens its own connection to the same file
(SQLCipher connections are used from one thread at a time) and closes it when done.
SQLite's WAL lets the front desk keep saving while the copy reads its snapshot.

``BackgroundBackups`` lives in the main window's status bar: a check soon after every
sign-in (a backup missed while the PC was off runs then) and every few minutes; a small
progress bar while a copy runs; a warning label when the folder is missing or the drive
full (the next check retries); a reminder when the last verified backup is older than
the ``backupReminderDays`` setting. Locking or signing out stops a running copy (the key
must not outlive the session); it is audited as failed and retried after the next
sign-in.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QProgressBar, QStatusBar

from pharmdesk.controllers import backups
from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import ago, plain_tooltip
from pharmdesk.ui.widgets import plain_label

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
CHECK_MS = 5 * 60 * 1000
STARTUP_MS = 5 * 1000  # let the window draw first
RETRY_AFTER = dt.timedelta(minutes=15)
WAIT_ON_SIGN_OUT_MS = 60 * 1000
STOPPED = "The backup was stopped because PharmDesk was locked; it runs again after sign-in."
UNEXPECTED = (
    "The backup stopped unexpectedly ({name}); nothing was changed. Try again; if it happens "
    "again, run 'pharmdesk backup' in a terminal to see why."
)


class Stopped(PharmDeskError):
    def __init__(self) -> None:
        super().__init__(DATABASE_ERROR, STOPPED)


class _Worker(QObject):
    progress = Signal(str, int, int)
    finished = Signal(object, str)  # the job's result, or None and an error message

    def __init__(self, job: Callable[[Progress], Any], stop: threading.Event) -> None:
        super().__init__()
        self.job = job
        self.stop = stop

    def _report(self, stage: str, done: int, total: int) -> None:
        if self.stop.is_set():
            raise Stopped()
        self.progress.emit(stage, done, total)

    def run(self) -> None:
        try:
            result = self.job(self._report)
        except PharmDeskError as exc:
            self.finished.emit(None, exc.message)
            return
        except Exception as exc:  # the screen must always hear back, or it waits forever
            log.error("backup job failed: %s", type(exc).__name__)
            self.finished.emit(None, UNEXPECTED.format(name=type(exc).__name__))
            return
        self.finished.emit(result, "")


class Job(QObject):
    """One job in its own thread. ``done(result, error)`` arrives in the GUI thread."""

    progress = Signal(str, int, int)
    done = Signal(object, str)

    def __init__(self, job: Callable[[Progress], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stop = threading.Event()
        self._thread = QThread()
        self.worker = _Worker(job, self.stop)
        self.worker.moveToThread(self._thread)
        self.worker.progress.connect(self.progress)
        # The worker's thread ends its own event loop when the job is over (quit() is
        # thread-safe). Left to the queued ``_finished`` below, a ``wait()`` from the GUI
        # thread (sign-out, quit) would block the very queue that delivers it: wait()
        # timed out, and Qt aborted the process for destroying a running thread.
        self.worker.finished.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self.worker.finished.connect(self._finished)
        self._thread.started.connect(self.worker.run)
        self.running = False

    def start(self) -> None:
        self.running = True
        self._thread.start()

    def cancel(self) -> None:
        self.stop.set()

    def wait(self, milliseconds: int) -> bool:
        return self._thread.wait(milliseconds)

    @Slot(object, str)
    def _finished(self, result: object, error: str) -> None:
        self._thread.quit()
        self._thread.wait()
        self.running = False
        self.done.emit(result, error)


def warning_text(outcome: backups.ScheduledOutcome) -> str:
    """Short enough for the status bar; the tooltip has the whole message."""
    if outcome.error == backups.FOLDER_MISSING:
        return "⚠ Backup drive not found — will retry (hover for details)"
    if outcome.error == "DISK_FULL":
        return "⚠ Backup drive full — will retry (hover for details)"
    return "⚠ Backup failed — will retry (hover for details)"


class BackgroundBackups(QObject):
    """The scheduled backup while the window is open, and its status-bar line."""

    finished = Signal(object)  # a ScheduledOutcome, for the window and tests

    def __init__(
        self,
        desk: DeskContext,
        status_bar: QStatusBar,
        parent: QObject | None = None,
        *,
        check_ms: int = CHECK_MS,
        startup_ms: int = STARTUP_MS,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.status_bar = status_bar
        self.startup_ms = startup_ms
        self.job: Job | None = None
        self.retry_after: dt.datetime | None = None
        self.last_outcome: backups.ScheduledOutcome | None = None

        self.progress = QProgressBar()
        self.progress.setObjectName("backupProgress")
        self.progress.setMaximumWidth(140)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Backup progress")
        self.progress.hide()
        self.activity = plain_label("Backing up…")
        self.activity.setObjectName("backupActivity")
        self.activity.hide()
        self.warning = plain_label()
        self.warning.setObjectName("backupWarning")
        self.warning.setWordWrap(False)
        self.warning.hide()
        self.reminder = plain_label()
        self.reminder.setObjectName("backupReminder")
        self.reminder.hide()
        for widget in (self.warning, self.reminder, self.activity, self.progress):
            status_bar.addPermanentWidget(widget)

        self.soon = QTimer(self)  # the first check after a sign-in
        self.soon.setSingleShot(True)
        self.soon.timeout.connect(self.check)
        self.timer = QTimer(self)
        self.timer.setInterval(check_ms)
        self.timer.timeout.connect(self.check)
        desk.signed_in.connect(self._signed_in)
        desk.locked.connect(self._ended)
        desk.signed_out.connect(self._signed_out)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- session ------------------------------------------------------------------------------
    def start(self) -> None:
        """The window is up with someone signed in: check soon (a missed backup runs)."""
        self.timer.start()
        self.soon.start(self.startup_ms)

    @Slot(str)
    def _signed_in(self, _username: str) -> None:
        self.retry_after = None
        self.start()

    def _ended(self) -> None:
        self.timer.stop()
        self.soon.stop()
        self.reminder.hide()
        if self.job is not None:
            self.job.cancel()

    @Slot(str)
    def _signed_out(self, _username: str) -> None:
        self._ended()
        if self.job is not None:
            self.job.wait(WAIT_ON_SIGN_OUT_MS)

    def shutdown(self) -> None:
        self.timer.stop()
        self.soon.stop()
        if self.job is not None:
            self.job.cancel()
            self.job.wait(WAIT_ON_SIGN_OUT_MS)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    # -- checking -------------------------------------------------------------------------------
    def status(self) -> dict[str, Any] | None:
        if self.desk.session is None:
            return None
        try:
            return self.desk.call("getBackupStatus")
        except PharmDeskError as exc:
            log.warning("backup status unavailable: %s", exc.code)
            return None

    def refresh_reminder(self, status: dict[str, Any] | None = None) -> None:
        status = status if status is not None else self.status()
        if status is None or not status["overdue"]:
            self.reminder.hide()
            return
        last = status["lastVerified"]
        if last is None:
            text = "No verified backup yet"
        else:
            text = f"Last verified backup: {ago(last['at'], self.desk.clock.now())}"
        self.reminder.setText(text)
        self.reminder.setToolTip(
            f"The last verified backup is older than {status['reminderDays']} days. An admin "
            "can back up now (Admin ▸ Back up now…) or set a backup folder in Settings."
        )
        self.reminder.show()

    @Slot()
    def check(self, force: bool = False) -> bool:
        """Start the scheduled backup when one is due; returns whether one started."""
        if self.running or self.desk.session is None:
            return False
        status = self.status()
        self.refresh_reminder(status)
        if status is None or not (status["due"] or force):
            return False
        now = self.desk.clock.now()
        if not force and self.retry_after is not None and now < self.retry_after:
            return False
        try:
            job = Job(self.desk.prepare_job("dueBackup"), self)
        except PharmDeskError:
            return False
        job.progress.connect(self._progress)
        job.done.connect(self._done)
        self.job = job
        self.activity.setText("Backing up…")
        self.activity.show()
        self.progress.setRange(0, 0)
        self.progress.show()
        job.start()
        return True

    @Slot(str, int, int)
    def _progress(self, stage: str, done: int, total: int) -> None:
        self.activity.setText(f"Backup: {stage.lower()}…")
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    @Slot(object, str)
    def _done(self, result: object, error: str) -> None:
        job, self.job = self.job, None
        stopped = job is not None and job.stop.is_set()
        self.progress.hide()
        self.activity.hide()
        if isinstance(result, backups.ScheduledOutcome):
            outcome = result
        else:
            outcome = backups.ScheduledOutcome("failed", error or "The backup failed.")
        self.last_outcome = outcome
        if stopped:
            self.retry_after = None  # it runs again after the next sign-in
        elif outcome.status == "failed":
            self.retry_after = self.desk.clock.now() + RETRY_AFTER
            self.warning.setText(warning_text(outcome))
            self.warning.setToolTip(plain_tooltip(outcome.message))
            self.warning.setAccessibleDescription(outcome.message)
            self.warning.show()
        elif outcome.status == "success":
            self.retry_after = None
            self.warning.hide()
            self.status_bar.showMessage("Backup written and verified.", 8000)
        if self.desk.session is not None:
            self.refresh_reminder()
        self.finished.emit(outcome)

    def note_manual_backup(self) -> None:
        """A backup made from the dialog: the reminder may go."""
        self.warning.hide()
        self.refresh_reminder()
