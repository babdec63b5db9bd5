"""Duplicate customers: the pairs of records that look like one person, for pharmacists and
admins (Customers ▸ Find duplicates…).

Opening the window scans the branch in a worker thread (the ``scanDuplicateCustomers``
job, through the same ``Job`` runner as the backups) with a progress bar; then the pairs
are read a page at a time with ``findDuplicateCustomers``, highest score first, with
their reasons. Choosing a pair shows both records side by side, the values that differ
in bold; Merge… opens the merge dialog of the customer record (which value to keep for
each field, and why), the one way to merge. Merging is offered only when the person may
run ``mergeCustomers``; otherwise the button says why it is off. Stored text is shown as
plain text everywhere.
"""

from __future__ import annotations

import time
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.backup_runner import Job
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.duplicate_pairs import PairComparison, PairTableModel
from pharmdesk.ui.record.merge_dialog import MergeDialog
from pharmdesk.ui.widgets import error_label, heading, plain_label, results_or_empty, row_table

MERGE = "mergeCustomers"
STOP_WAIT = 30.0  # seconds a closing window waits for a scan to stop (it checks often)

NOT_YOURS_TIP = "Your role may not merge customers. Ask a pharmacist or an admin."


class DuplicatesEntry(QObject):
    """Customers ▸ Find duplicates… on the main window (shown to those who may use it) and
    the one duplicates window it opens."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: DuplicatesDialog | None = None
        self.action = QAction("Find &duplicates…", window)
        self.action.setStatusTip("Customers who may be on file twice: compare and merge them")
        self.action.setToolTip("Find customers on file twice (pharmacists and admins)")
        self.action.triggered.connect(self.open)
        window.customers_menu.addAction(self.action)
        window.session_actions.append(self.action)
        window.desk.signed_in.connect(lambda _user: self.apply_role())
        window.desk.role_changed.connect(lambda _role: self.apply_role())
        self.apply_role()

    def apply_role(self) -> None:
        self.action.setVisible(self.window.desk.may("findDuplicateCustomers"))

    def open(self) -> None:
        open_now = self.dialog
        if open_now is not None and shiboken6.isValid(open_now) and open_now.isVisible():
            open_now.raise_()
            open_now.activateWindow()
            return
        dialog = DuplicatesDialog(self.window.desk, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open_profile.connect(self.window.open_profile)
        dialog.merged.connect(lambda _kept: self.window.model.reload())
        dialog.show()
        dialog.scan()
        self.dialog = dialog


class DuplicatesDialog(QDialog):
    """The duplicates window: scan, list, compare, merge."""

    open_profile = Signal(str)
    merged = Signal(str)  # the id kept

    def __init__(self, desk: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.merge_dialog: MergeDialog | None = None
        self.job: Job | None = None
        self._closing = False
        self.setObjectName("duplicatesDialog")
        self.setWindowTitle("Duplicate customers")
        self.resize(1100, 680)
        self.model = PairTableModel(desk.caller("findDuplicateCustomers"), self)
        self.table = row_table(self.model, "pairTable", fit_columns=True)
        self.table.setWordWrap(False)
        self.stack, self.empty = results_or_empty(
            self.table,
            "No likely duplicates: no two customers share a phone or a date of birth "
            "with the same or a similar name.",
        )
        self.comparison = PairComparison()
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("duplicatesSplit")
        split.addWidget(self.stack)
        # The two records scroll on a short screen; the buttons stay in view.
        self.comparison_scroll = QScrollArea()
        self.comparison_scroll.setWidgetResizable(True)
        self.comparison_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.comparison_scroll.setWidget(self.comparison)
        split.addWidget(self.comparison_scroll)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)

        self.status = plain_label("", "subtitle")
        self.progress = QProgressBar()
        self.progress.setObjectName("scanProgress")
        self.progress.setAccessibleName("Scan progress")
        self.progress.setMaximumWidth(260)
        self.scan_button = QPushButton("&Scan again")
        self.scan_button.setObjectName("scanAgain")
        self.error = error_label()
        self.open_a = QPushButton("Open &customer")
        self.open_b = QPushButton("Open &duplicate")
        self.merge_button = QPushButton("&Merge…")
        self.merge_button.setObjectName("mergePair")
        self.close_button = QPushButton("Close")

        top = QHBoxLayout()
        top.addWidget(heading("Possible duplicate customers"))
        top.addStretch(1)
        top.addWidget(self.progress)
        top.addWidget(self.scan_button)
        actions = QHBoxLayout()
        for button in (self.open_a, self.open_b):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.merge_button)
        actions.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(split, 1)
        layout.addLayout(actions)

        self.scan_button.clicked.connect(self.scan)
        self.close_button.clicked.connect(self.close)
        self.open_a.clicked.connect(lambda: self._open("a"))
        self.open_b.clicked.connect(lambda: self._open("b"))
        self.merge_button.clicked.connect(self.merge_current)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        self.table.doubleClicked.connect(lambda _i: self._open("a"))
        # Bound methods: Qt drops the connections when this window is deleted.
        desk.locked.connect(self._forget)
        desk.signed_out.connect(self._signed_out)
        self._selected()

    # -- merging offered? ------------------------------------------------------------------
    def merge_available(self) -> bool:
        return self.desk.may(MERGE)

    def _merge_tip(self) -> str:
        if not self.desk.may(MERGE):
            return NOT_YOURS_TIP
        return "Merge the two records into the one you keep (the other is archived)"

    # -- scanning --------------------------------------------------------------------------
    def scan(self) -> None:
        """Make the list in a worker thread, then show its first page."""
        if self.job is not None and self.job.running:
            return
        self._closing = False
        self.error.hide()
        try:
            job = Job(self.desk.prepare_job("scanDuplicateCustomers"), self)
        except PharmDeskError as exc:
            self._failed(exc.message)
            return
        job.progress.connect(self._progress)
        job.done.connect(self._scanned)
        self.job = job
        self.scan_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText("Looking for customers on file twice…")
        job.start()

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.status.setText(f"{stage}: {done:,} of {total:,}…")
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _scanned(self, result: object, error: str) -> None:
        self.job = None
        self.scan_button.setEnabled(True)
        self.progress.hide()
        if self._closing or not self.isVisible():
            return  # closed (or locked) while it ran: it was stopped on purpose
        if error or not isinstance(result, dict):
            self._failed(error or "The scan stopped; nothing was changed. Try again.")
            return
        self.reload()

    def reload(self) -> None:
        try:
            self.model.load()
        except PharmDeskError as exc:
            self._failed(exc.message)
            return
        total = self.model.total
        self.stack.setCurrentWidget(self.table if total else self.empty)
        self.status.setText(
            f"{total:,} possible duplicate {'pair' if total == 1 else 'pairs'}, "
            "most certain first. Choose one to compare the two records."
            if total
            else ""
        )
        if total:
            self.table.selectRow(0)
        self._selected()

    def _failed(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.status.setText("")

    # -- the chosen pair -------------------------------------------------------------------
    def current_pair(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    def _selected(self) -> None:
        pair = self.current_pair()
        self.comparison.show_pair(pair)
        self.open_a.setEnabled(pair is not None)
        self.open_b.setEnabled(pair is not None)
        available = self.merge_available()
        self.merge_button.setEnabled(pair is not None and available)
        self.merge_button.setToolTip(self._merge_tip())

    def _open(self, side: str) -> None:
        pair = self.current_pair()
        if pair is not None:
            self.open_profile.emit(pair[side]["id"])

    def merge_current(self) -> None:
        """The merge dialog for the chosen pair, keeping the older record (``a``; its Swap
        turns that round); once merged, the list is made again."""
        pair = self.current_pair()
        if pair is None or not self.merge_available():
            return
        try:
            dialog = MergeDialog(self.desk, pair["a"]["id"], pair["b"]["id"], self)
        except PharmDeskError as exc:
            self._failed(exc.message)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.merged.connect(lambda _mrg: self._merged(dialog.keep_id))
        self.merge_dialog = dialog
        dialog.show()

    def _merged(self, kept: str) -> None:
        self.error.hide()
        self.merged.emit(kept)
        self.scan()  # the list is made again in the worker (the records changed)

    def _stop_scan(self) -> None:
        """A scan still running stops at its next progress report (the worker thread must
        end before this window goes)."""
        job = self.job
        if job is None or not job.running:
            return
        self._closing = True
        job.cancel()
        # The worker's answer reaches the runner through this thread's event loop, and
        # only then does its thread end: let events run until it has.
        deadline = time.monotonic() + STOP_WAIT
        while job.running and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            job.wait(10)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop_scan()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self._stop_scan()
        super().done(result)

    @Slot(str)
    def _signed_out(self, _username: str) -> None:
        self._forget()

    @Slot()
    def _forget(self) -> None:
        """Locked or signed out: no patient stays on screen."""
        if self.job is not None:
            self.job.cancel()
        self.model.clear()
        self.comparison.show_pair(None)
        self.close()
