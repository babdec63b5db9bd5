"""First run, "This PC uses the branch server": the server's address, the branch CA, a
connection test, and saving the choice so this PC opens that server from then on.

The test runs in a worker thread (a server that does not answer takes the connect
timeout) and answers three questions, each on its own line: does the server answer, is
the connection verified against the branch CA, and does the database hold PharmDesk data
of a version this PharmDesk works with (``controllers/server_join.py``). Finishing joins
the desk (the CA is pinned for that server); the app then remembers the address in this
PC's settings (``remember_server``), and ``--db`` and ``PHARMDESK_DB`` still win over it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
    QWizardPage,
)

from pharmdesk.controllers import server_join
from pharmdesk.controllers.server_join import ConnectionCheck
from pharmdesk.errors import DATABASE_ERROR, PharmDeskError, validation
from pharmdesk.ui.backup_runner import Job
from pharmdesk.ui.widgets import error_label, plain_label

log = logging.getLogger(__name__)

SERVER_KEY = "branchServer/url"
MARKS = {"ok": "✔", "warn": "⚠", "bad": "✖", "unknown": "·"}


def joined_server(settings: QSettings) -> str | None:
    """The branch server this PC opens by default (saved at first run), if any."""
    value = settings.value(SERVER_KEY)
    return str(value) if value else None


def remember_server(settings: QSettings, url: str) -> None:
    settings.setValue(SERVER_KEY, url)
    settings.sync()


def _check(url: str, ca: Path | None, fingerprint: str) -> ConnectionCheck:
    """The connection test in the worker; anything unforeseen is still a clear answer."""
    try:
        return server_join.check_connection(url, ca, fingerprint)
    except PharmDeskError:
        raise
    except Exception as exc:
        log.warning("connection test failed: %s", type(exc).__name__)
        raise PharmDeskError(
            DATABASE_ERROR,
            f"The connection could not be tested ({type(exc).__name__}). Check the address "
            "and try again.",
        ) from None


def _buddy(text: str, field: QWidget) -> QLabel:
    """A form label whose Alt+letter moves to ``field`` (for rows holding a layout)."""
    label = QLabel(text)
    label.setBuddy(field)
    return label


class ServerPage(QWizardPage):
    """The server's address and CA, "Test connection", and Finish to join."""

    tested = Signal(object)  # the ConnectionCheck, or None when the test could not run

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("This PC uses the branch server")
        self.setSubTitle(
            "Enter what your IT contact set up on the server PC (see the server guide). "
            "Test the connection, then finish: this PC will open the branch server from "
            "now on."
        )
        self.server_url = ""
        self.last_check: ConnectionCheck | None = None
        self._checked_for: tuple[str, ...] | None = None
        self.job: Job | None = None

        self.host = self._field("serverHost", "e.g. 192.168.1.10 or pharmacy-server")
        self.port = self._field("serverPort", "5432")
        self.port.setText("5432")
        self.port.setMaximumWidth(90)
        self.database = self._field("serverDatabase", "e.g. pharmdesk_lekki")
        self.login = self._field("serverLogin", "only if your IT contact gave this PC one")
        self.ca_file = self._field("caFile", "branch-ca.crt, copied from the server")
        self.browse = QPushButton("&Browse…")
        self.browse.setObjectName("browseCa")
        self.fingerprint = self._field("caFingerprint", "e.g. 3A:7F:… as the server printed it")
        self.test_button = QPushButton("&Test connection")
        self.test_button.setObjectName("testConnection")
        self.error = error_label()

        self.answers: dict[str, tuple[QLabel, QLabel]] = {}
        results = QWidget()
        results.setObjectName("connectionResults")
        grid = QGridLayout(results)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(2, 1)
        for row, (key, title) in enumerate(
            (
                ("reached", "Reachable"),
                ("secure", "Secure connection"),
                ("database", "PharmDesk database"),
            )
        ):
            mark = plain_label(MARKS["unknown"])
            mark.setObjectName(f"{key}Mark")
            answer = plain_label("Not tested yet.")
            answer.setObjectName(f"{key}Answer")
            answer.setWordWrap(True)
            top = Qt.AlignmentFlag.AlignTop
            grid.addWidget(mark, row, 0, top)
            grid.addWidget(plain_label(f"{title}:"), row, 1, top)
            grid.addWidget(answer, row, 2)
            self.answers[key] = (mark, answer)

        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(self.browse)
        port_row = QHBoxLayout()
        port_row.addWidget(self.port)
        port_row.addStretch(1)
        form = QFormLayout(self)
        form.addRow("Server &address", self.host)
        form.addRow(_buddy("&Port", self.port), port_row)
        form.addRow("&Database", self.database)
        form.addRow("Server &login (optional)", self.login)
        form.addRow(_buddy("Branch &CA file", self.ca_file), ca_row)
        form.addRow("CA &fingerprint", self.fingerprint)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        form.addRow(test_row)
        form.addRow(results)
        form.addRow(self.error)

        self.test_button.clicked.connect(self.test_connection)
        self.browse.clicked.connect(self._choose_ca)
        for edit in (self.host, self.port, self.database, self.login, self.ca_file):
            edit.textChanged.connect(self._inputs_changed)
        self.fingerprint.textChanged.connect(self._inputs_changed)

    def _field(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _inputs(self) -> tuple[str, ...]:
        edits = (self.host, self.port, self.database, self.login, self.ca_file, self.fingerprint)
        return tuple(e.text().strip() for e in edits)

    def _inputs_changed(self) -> None:
        self.completeChanged.emit()

    def _choose_ca(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "The branch CA certificate", "", "Certificates (*.crt *.pem);;All files (*)"
        )
        if path:
            self.ca_file.setText(path)

    # -- the test --------------------------------------------------------------------------------
    def _url(self) -> str:
        return server_join.server_url(
            self.host.text(), self.port.text(), self.database.text(), self.login.text()
        )

    def _ca(self) -> Path | None:
        text = self.ca_file.text().strip()
        if not text:
            if self.fingerprint.text().strip():
                raise validation("Give the branch CA file the fingerprint belongs to.", "caFile")
            return None
        if not self.fingerprint.text().strip():
            raise validation(
                "Enter the CA's fingerprint as the server printed it: it proves the file "
                "comes from your branch server.",
                "fingerprint",
            )
        return Path(text).expanduser()

    def test_connection(self) -> bool:
        """Start the test; returns False when the inputs are refused before dialling."""
        if self.job is not None and self.job.running:
            return True
        try:
            url, ca = self._url(), self._ca()
        except PharmDeskError as exc:
            self._show_error(exc.message)
            return False
        self.error.hide()
        fingerprint = self.fingerprint.text()
        inputs = self._inputs()
        for mark, answer in self.answers.values():
            mark.setText(MARKS["unknown"])
            answer.setText("Testing…")
        self.test_button.setEnabled(False)
        job = Job(lambda _progress: _check(url, ca, fingerprint), self)
        job.done.connect(lambda result, error: self._tested(inputs, result, error))
        self.job = job
        job.start()
        return True

    def _tested(self, inputs: tuple[str, ...], result: object, error: str) -> None:
        self.test_button.setEnabled(True)
        if not isinstance(result, ConnectionCheck):
            for mark, answer in self.answers.values():
                mark.setText(MARKS["unknown"])
                answer.setText("Not tested.")
            self._show_error(error or "The connection could not be tested.")
            self.last_check = None
            self.tested.emit(None)
            return
        self.last_check = result
        self._checked_for = inputs
        for key, found in (
            ("reached", result.reached),
            ("secure", result.secure),
            ("database", result.database),
        ):
            mark, answer = self.answers[key]
            mark.setText(MARKS[found.state])
            mark.setProperty("state", found.state)
            answer.setText(found.text)
        self.completeChanged.emit()
        self.tested.emit(result)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def wait_for_test(self, milliseconds: int) -> None:
        """The screen is closing: a test still dialling ends first (at most the connect
        timeout), so its thread never outlives the page."""
        deadline = time.monotonic() + milliseconds / 1000
        while self.job is not None and self.job.running and time.monotonic() < deadline:
            # The answer reaches the page through the event loop: keep it turning.
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    # -- finishing ------------------------------------------------------------------------------
    def isComplete(self) -> bool:
        """Finish once a test of exactly these inputs reached a usable server."""
        check = self.last_check
        return check is not None and check.can_save and self._checked_for == self._inputs()

    def validatePage(self) -> bool:
        try:
            url, ca = self._url(), self._ca()
            if ca is not None:
                server_join.join(url, ca, self.fingerprint.text())
        except PharmDeskError as exc:
            self._show_error(exc.message)
            return False
        self.server_url = url
        return True

    def nextId(self) -> int:
        return -1
