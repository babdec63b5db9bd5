"""The Outbox tab's send run, off the GUI thread.

A modem that does not answer makes a send wait up to its timeout (10 s) per message;
that wait happens in a worker (``backup_runner.Job``), never in the window. The database
stays where it lives, in the GUI thread: each message is claimed there (its consent
checked at that moment, ``claimOutboxMessage``), handed to the worker to send, and its
outcome recorded there when the worker answers (``updateMessageStatus``). Those are the
same steps as ``controllers.reminders.sending.send_outbox``, one at a time.

Stop ends the run after the message in hand: a text the modem is already sending cannot
be called back, so it is recorded for what it was. A lock stops the run the same way;
the answer for the message in hand is recorded when the same person signs in again (in
time: a claim left longer than ``CLAIM_EXPIRES`` becomes failed, "check with the
customer", and is never resent by itself). After a sign-out it is left to that expiry.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from pharmdesk.controllers.reminders.sending import (
    SEND_LIMIT,
    UNEXPECTED,
    Outcome,
    SendRun,
    attempt,
    claim_next,
    record_modem_events,
    record_outcome,
)
from pharmdesk.errors import AUTH_FAILED, PharmDeskError
from pharmdesk.senders.base import Sender, SendError
from pharmdesk.senders.modem import DeliveryReport, GsmModem, Reply
from pharmdesk.ui.backup_runner import Job, Progress
from pharmdesk.ui.desk import DeskContext

log = logging.getLogger(__name__)

LOCKED_MID_SEND = (
    "PharmDesk was locked while a message was going out: sending stopped after it, and "
    "its result is recorded when you unlock. Press 'Send queued SMS' again for the rest."
)
# A modem's longest wait is its timeout; leave room for closing the port.
WAIT_ON_QUIT_MS = 15 * 1000


@dataclass
class SendSummary:
    """How a run ended, for the tab's result line."""

    run: SendRun
    delivered: int = 0
    replies: int = 0
    cancelled: bool = False
    error: str | None = None  # the run could not go on (the desk was locked, a refusal)
    notes: list[str] = field(default_factory=list)


class SendingRun(QObject):
    """Sends what is due on one channel, one message at a time, with the sending itself
    in a worker thread. ``progress(done, total)`` after each message; ``finished`` once,
    with a ``SendSummary``."""

    progress = Signal(int, int)
    finished = Signal(object)
    # The outcome of the message out at a lock, recorded after the person's return.
    recorded_late = Signal()

    def __init__(
        self,
        desk: DeskContext,
        sender: Sender,
        channel: str = "sms",
        *,
        total: int = 0,
        limit: int = SEND_LIMIT,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.transport = sender
        self.channel = channel
        self.limit = limit
        self.total = min(total, limit)
        self.summary = SendSummary(SendRun())
        self.job: Job | None = None
        self.running = False
        self._cancelled = False
        self._done = 0
        # The message in the worker's hands, and (after a lock) its unrecorded outcome.
        self._message: dict[str, Any] | None = None
        self._pending: tuple[dict[str, Any], Outcome, str] | None = None
        self._username = ""
        self._signed_out_seen = False
        desk.locked.connect(self._locked)
        desk.signed_out.connect(self._signed_out)
        desk.signed_in.connect(self._signed_in)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- control -----------------------------------------------------------------------------
    def start(self) -> None:
        self.running = True
        self._next()

    def cancel(self) -> None:
        """Stop after the message in hand (it is recorded for what it was)."""
        self._cancelled = True
        self.summary.cancelled = True

    def shutdown(self) -> None:
        """The application is quitting: let the message in hand finish and be recorded,
        then stop. Events are processed meanwhile: the worker's answer reaches this
        thread as an event, and the worker thread ends only after it."""
        self.cancel()
        deadline = time.monotonic() + WAIT_ON_QUIT_MS / 1000
        while self.job is not None and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            job = self.job
            if job is not None:
                job.wait(50)

    # -- the steps ---------------------------------------------------------------------------
    def _next(self) -> None:
        if self._cancelled or self._done >= self.limit:
            self._finish()
            return
        self._username = self.desk.username or ""
        try:
            message = claim_next(self.desk, self.channel, self.summary.run)
        except PharmDeskError as exc:
            self._finish(exc.message)
            return
        if message is None:
            self._read_modem()
            return
        self._message = message
        self._in_worker(lambda _progress: attempt(self.transport, message), self._sent)

    def _in_worker(self, work: Any, done: Any) -> None:
        job = Job(work, self)
        job.done.connect(done)
        self.job = job
        job.start()

    @Slot(object, str)
    def _sent(self, outcome: object, error: str) -> None:
        self._drop_job()
        message, self._message = self._message, None
        assert message is not None
        if error:  # the worker itself failed: the text may have gone out
            outcome = SendError(UNEXPECTED.format(name="worker"), temporary=False, link_down=True)
        self._record(message, outcome, self._username)

    def _record(self, message: dict[str, Any], outcome: Any, username: str) -> None:
        try:
            go_on = record_outcome(self.desk, message, outcome, self.summary.run)
        except PharmDeskError as exc:
            if (
                exc.code == AUTH_FAILED
                and self.desk.session is None
                and username
                and not self._signed_out_seen
            ):
                # Locked while the message was out: recorded at this person's return.
                self._pending = (message, outcome, username)
                self._finish(LOCKED_MID_SEND)
                return
            self._finish(exc.message)
            return
        self._done += 1
        self.total = max(self.total, self._done)
        self.progress.emit(self._done, self.total)
        if not go_on:
            self._finish()
            return
        QTimer.singleShot(0, self._next)  # let the window paint between two messages

    def _read_modem(self) -> None:
        """Delivery reports and replies (STOP, HELP) waiting in the modem, read in the
        worker too (the port may be slow to answer), recorded here."""
        if not isinstance(self.transport, GsmModem) or self.summary.run.stopped:
            self._finish()
            return
        modem = self.transport

        def poll(_progress: Progress) -> tuple[list[DeliveryReport], list[Reply]] | str:
            try:
                return modem.poll()
            except SendError as exc:
                return exc.message

        self._in_worker(poll, self._polled)

    @Slot(object, str)
    def _polled(self, result: object, error: str) -> None:
        self._drop_job()
        if error or isinstance(result, str) or not isinstance(result, tuple):
            self.summary.notes.append(
                "Delivery reports and replies could not be read from the modem now."
            )
            self._finish()
            return
        reports, replies = result
        try:
            self.summary.delivered, self.summary.replies = record_modem_events(
                self.desk, reports, replies
            )
        except PharmDeskError as exc:
            self._finish(exc.message)
            return
        self._finish()

    def _drop_job(self) -> None:
        job, self.job = self.job, None
        if job is not None:
            job.deleteLater()

    def _finish(self, error: str | None = None) -> None:
        if not self.running:
            return
        self.running = False
        self.summary.error = error
        try:
            self.transport.close()
        except Exception as exc:  # closing a port that has gone must not stop the report
            log.warning("could not close the sender: %s", type(exc).__name__)
        self.finished.emit(self.summary)

    # -- the desk ----------------------------------------------------------------------------
    @Slot()
    def _locked(self) -> None:
        self.cancel()
        if self.job is None:
            self._finish("PharmDesk was locked; sending stopped.")

    @Slot(str)
    def _signed_out(self, _username: str) -> None:
        # The person left: nobody's return records this send (the claim expires into
        # "failed, check with the customer").
        self._signed_out_seen = True
        self._pending = None
        self._locked()

    @Slot(str)
    def _signed_in(self, username: str) -> None:
        pending, self._pending = self._pending, None
        if pending is None or pending[2] != username:
            return
        message, outcome, _who = pending
        try:
            record_outcome(self.desk, message, outcome, self.summary.run)
        except PharmDeskError as exc:
            # Too late (the claim expired and was failed for staff to check): leave it.
            log.info("a send outcome could not be recorded after sign-in: %s", exc.code)
            return
        self.recorded_late.emit()
