"""The audit log viewer (admins): who did what, when, to whom; is the chain intact.

A separate window (Admin ▸ Audit log…), not a main-window tab: only admins open it. The
log comes newest first, a keyset page at a time (``AuditLogModel``); filters by staff
member, customer, action and branch-local dates apply as they change. Every page shown is
itself an ``auditView`` entry (``fetchAuditLog`` writes it). "Verify chain" recomputes
every hash; "Export CSV…" writes the whole filtered log (every page, not only the rows
loaded) atomically, after an ``export`` entry says who exported what.

Entries hold patient data (names in field changes, reasons), so the window forgets
everything and closes when the screen locks or the person signs out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.audit_view.detail import entry_html
from pharmdesk.ui.audit_view.export import default_export_name, write_export
from pharmdesk.ui.audit_view.filters import AuditFilters
from pharmdesk.ui.audit_view.messages import count_text, empty_text, verdict
from pharmdesk.ui.audit_view.model import AuditLogModel, Entry
from pharmdesk.ui.confirm import Ask, ask_yes_no
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.patient_table import PatientTableView
from pharmdesk.ui.theme import MUTED
from pharmdesk.ui.widgets import error_label, heading, plain_label, results_or_empty

COLUMN_WIDTHS = (150, 90, 140, 230)  # "What" holds "CUST-12 shown among 19 others"


ChooseFile = Callable[[str], str]  # suggested path -> chosen path ("" = cancelled)


class AuditLogWindow(QDialog):
    """The audit log: filters on top, entries and the selected entry's detail below."""

    def __init__(
        self,
        desk: DeskContext,
        *,
        ask: Ask = ask_yes_no,
        choose_file: ChooseFile | None = None,
        parent: QWidget | None = None,
    ) -> None:
        # Admins only: a refusal (PERMISSION_DENIED, itself audited) raises to the caller
        # before any window exists, so none is left half-built.
        staff = desk.call("listStaff", {})["staff"]
        super().__init__(parent)
        self.desk = desk
        self.ask = ask
        self.choose_file = choose_file or self._choose_file
        self.setObjectName("auditLogWindow")
        self.setWindowTitle("Audit log")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.region = str(desk.settings().get("defaultRegion", "NG"))

        self.model = AuditLogModel(desk.caller("fetchAuditLog"), self)
        self.model.region = self.region
        self.model.staff_names = {s["username"]: s["fullName"] for s in staff}

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Audit log"))
        intro = plain_label(
            "Every sign-in, view and change, newest first. Looking at the log is recorded too."
        )
        intro.setObjectName("subtitle")
        layout.addWidget(intro)

        self.filter_rows = AuditFilters(desk.call, staff)
        layout.addWidget(self.filter_rows)
        # The filter widgets by name, as the tests and the screenshots reach them.
        self.staff_filter = self.filter_rows.staff_filter
        self.action_filter = self.filter_rows.action_filter
        self.customer_filter = self.filter_rows.customer_filter
        self.from_date = self.filter_rows.from_date
        self.to_date = self.filter_rows.to_date
        self.clear_filters_button = self.filter_rows.clear_button

        # -- entries and the selected one ---------------------------------------------------
        self.table = PatientTableView("auditTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        for column, width in enumerate(COLUMN_WIDTHS):
            self.table.setColumnWidth(column, width)
        self.results, self.empty_state = results_or_empty(self.table)
        self.detail = QTextBrowser()
        self.detail.setObjectName("auditDetail")
        self.detail.setAccessibleName("Selected entry")
        self.detail.setOpenLinks(False)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.results)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([680, 420])
        layout.addWidget(splitter, 1)

        self.count_label = plain_label()
        self.count_label.setObjectName("auditCount")
        layout.addWidget(self.count_label)
        self.error = error_label()
        layout.addWidget(self.error)

        # -- verify and export ----------------------------------------------------------------
        actions = QHBoxLayout()
        self.verify_button = QPushButton("&Verify chain")
        self.verify_button.setObjectName("verifyChain")
        self.verify_button.setToolTip(
            "Recompute every entry's seal: shows whether any entry was changed, removed or "
            "reordered since it was written"
        )
        self.verify_result = plain_label()
        self.verify_result.setObjectName("verifyResult")
        self.verify_result.setWordWrap(True)
        self.verify_result.hide()
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setObjectName("exportCsv")
        self.export_button.setToolTip("Write every entry matching the filters to a CSV file")
        self.notice = plain_label()
        self.notice.setObjectName("auditNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        actions.addWidget(self.verify_button)
        actions.addStretch(1)
        actions.addWidget(self.export_button)
        actions.addWidget(self.close_button)
        layout.addWidget(self.verify_result)
        layout.addWidget(self.notice)
        layout.addLayout(actions)

        self.filter_rows.changed.connect(self.apply_filters)
        self.filter_rows.failed.connect(self._show_error)
        self.verify_button.clicked.connect(self.verify_chain)
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.close_button.clicked.connect(self.close)
        self.model.loaded.connect(self._update_count)
        self.model.rowsInserted.connect(lambda *_: self._update_count())
        self.model.failed.connect(self._show_error)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.model.modelReset.connect(self._show_selected)
        desk.locked.connect(self.forget)
        desk.signed_out.connect(self._signed_out)

        self.resize(1180, 700)
        self.apply_filters()

    # -- filters --------------------------------------------------------------------------------
    def current_filters(self) -> dict[str, Any]:
        """The filters as fetchAuditLog params (absent = any)."""
        return self.filter_rows.current()

    def apply_filters(self) -> None:
        self.filter_rows.stop_waiting()
        if self.desk.session is None:
            return
        self.error.hide()
        self.notice.hide()
        self.model.set_filters(self.current_filters())
        if self.model.rowCount() > 0:
            self.table.selectRow(0)

    def clear_filters(self) -> None:
        self.filter_rows.clear()

    # -- showing ------------------------------------------------------------------------------
    def _update_count(self) -> None:
        shown = self.model.rowCount()
        if shown == 0:
            self.empty_state.setText(empty_text(self.model.filters))
            self.results.setCurrentIndex(1)
            self.count_label.setText("")
            return
        self.results.setCurrentIndex(0)
        self.count_label.setText(count_text(shown, self.model.filters, self.model.has_more))

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _show_notice(self, message: str) -> None:
        self.notice.setText(message)
        self.notice.show()

    def selected_entry(self) -> Entry | None:
        index = self.table.currentIndex()
        return self.model.entry(index.row()) if index.isValid() else None

    def _show_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            self.detail.setHtml(
                f"<p style='color:{MUTED}'>Select an entry to see everything it records.</p>"
            )
            return
        self.detail.setHtml(entry_html(entry, self.model.staff_names, self.region))

    # -- verify ------------------------------------------------------------------------------
    def verify_chain(self) -> None:
        """Recompute the chain; green when intact, red naming (and selecting) the first bad
        entry."""
        self.error.hide()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a long log takes a while
        try:
            answer = self.desk.call("verifyAuditLog", {})
        except PharmDeskError as exc:
            self._show_error(exc.message)
            return
        finally:
            QApplication.restoreOverrideCursor()
        bad = None if answer["ok"] else answer["firstBadEntry"]
        if bad is None:
            self.model.set_bad_entry(None)
            self._set_verify(*verdict(answer, None))
            return
        bad = str(bad)
        entry = self._find_entry(bad)
        if entry is not None:
            self.model.refresh_entry(entry)
        self._set_verify(*verdict(answer, entry))
        self.model.set_bad_entry(bad)
        row = self.model.row_of(bad)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(
                self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter
            )
            self._show_selected()

    def _find_entry(self, entry_id: str) -> Entry | None:
        """The entry as the database holds it now (a row loaded earlier may since have gone):
        one more audited page, of one entry."""
        number = int(entry_id.split("-")[1])
        try:
            answer = self.desk.call("fetchAuditLog", {"limit": 1, "beforeId": f"AUD-{number + 1}"})
        except PharmDeskError:
            return None
        found = answer["entries"]
        return found[0] if found and found[0]["id"] == entry_id else None

    def _set_verify(self, state: str, text: str) -> None:
        self.verify_result.setProperty("state", state)
        self.verify_result.setText(text.strip())
        self.verify_result.style().unpolish(self.verify_result)
        self.verify_result.style().polish(self.verify_result)
        self.verify_result.show()

    # -- export -------------------------------------------------------------------------------
    def _choose_file(self, suggested: str) -> str:
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Export the audit log",
            suggested,
            "CSV files (*.csv)",
            options=QFileDialog.Option.DontConfirmOverwrite,  # we ask ourselves, once
        )
        return name

    def export_csv(self, path: Path | None = None) -> Path | None:
        """Write every entry matching the filters to a CSV file; returns where, or None."""
        self.error.hide()
        self.notice.hide()
        filters = self.model.filters
        if path is None:
            folder = QStandardPaths.writableLocation(
                QStandardPaths.StandardLocation.DocumentsLocation
            ) or str(Path.home())
            suggested = Path(folder) / default_export_name(
                filters, self.desk.clock.today().isoformat()
            )
            chosen = self.choose_file(str(suggested))
            if not chosen:
                return None
            path = Path(chosen).expanduser()
        if path.suffix.lower() != ".csv":
            path = path.with_name(path.name + ".csv")
        if not path.parent.is_dir():
            self._show_error(f"The folder {path.parent} does not exist. Choose another one.")
            return None
        replace = False
        if path.exists():
            if not self.ask("Replace file?", f"{path.name} already exists. Replace it?"):
                self._show_error("Nothing was written. Choose another file name.")
                return None
            replace = True
        self.export_button.setEnabled(False)
        try:
            return self._export(path, filters, replace)
        finally:
            self.export_button.setEnabled(True)

    def _export(self, path: Path, filters: dict[str, Any], replace: bool) -> Path | None:
        def progress(done: int) -> None:
            self._show_notice(f"Reading the log: {done:,} entries…")
            QApplication.processEvents()  # a long log: the window keeps answering

        outcome = write_export(
            self.desk.call, path, filters, replace=replace, region=self.region, progress=progress
        )
        if outcome.failed:
            self.notice.hide()
            self._show_error(outcome.message)
        else:
            self._show_notice(outcome.message)
        return outcome.path

    # -- lock ----------------------------------------------------------------------------------
    def forget(self) -> None:
        """Locked or signed out: drop every entry, the search and the detail, and close."""
        self.filter_rows.stop_waiting()
        self.model.clear()
        self.customer_filter.reset()
        self.detail.clear()
        self.verify_result.clear()
        self.verify_result.hide()
        self.notice.clear()
        self.error.clear()
        self.close()

    def _signed_out(self, _username: str) -> None:
        self.forget()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.model.clear()
        self.customer_filter.reset()
        self.detail.clear()
        super().closeEvent(event)


def show_audit_log(
    desk: DeskContext, parent: QMainWindow, current: AuditLogWindow | None
) -> AuditLogWindow | None:
    """Open the viewer (or bring the open one forward); a refusal goes to the status bar."""
    if current is not None and shiboken6.isValid(current) and current.isVisible():
        current.raise_()
        current.activateWindow()
        return current
    try:
        window = AuditLogWindow(desk, parent=parent)
    except PharmDeskError as exc:
        parent.statusBar().showMessage(exc.message, 8000)
        return None
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window
