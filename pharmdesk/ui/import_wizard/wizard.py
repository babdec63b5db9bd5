"""Import customers from a CSV or Excel file: file, columns, dry-run report, import, done.

The pages drive ``pharmdesk.importing`` (the same objects as ``pharmdesk import``): the
dry run and the import run a batch per timer tick in the GUI thread, where the database
connection lives, so the window keeps answering and Cancel is seen between two batches.
Nothing is written before the report page's "Import" button; after it, each batch is
one transaction, so stopping keeps exactly the batches done (and importing the same
file again adds only the rest).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QWidget, QWizard

from pharmdesk.errors import AUTH_FAILED, PharmDeskError
from pharmdesk.importing import ImportResult, ImportSettings, TableFile
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.import_wizard.common import (
    IMPORT_PAGE,
    ChooseFile,
    choose_customer_file,
    choose_report_file,
)
from pharmdesk.ui.import_wizard.file_page import FilePage
from pharmdesk.ui.import_wizard.mapping_page import MappingPage
from pharmdesk.ui.import_wizard.report_page import ReportPage
from pharmdesk.ui.import_wizard.run_pages import DonePage, ImportPage


class ImportWizard(QWizard):
    """The Import wizard; ``imported`` says how many customers were created, and
    ``show_customers`` asks the main window to list the newest customers first."""

    imported = Signal(int)
    show_customers = Signal()

    def __init__(
        self,
        desk: DeskContext,
        parent: QWidget | None = None,
        *,
        choose_file: ChooseFile = choose_customer_file,
        choose_report: ChooseFile = choose_report_file,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.choose_file = choose_file
        self.choose_report = choose_report
        self.owner_name = desk.username
        self.table: TableFile | None = None
        self.settings: ImportSettings | None = None
        self.import_id = ""
        self.outcome: ImportResult | None = None
        self.setWindowTitle("Import customers")
        self.setObjectName("importWizard")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.report_page = ReportPage(self)
        self.import_page = ImportPage(self)
        self.done_page = DonePage(self)
        for page_id, page in enumerate(
            (self.file_page, self.mapping_page, self.report_page, self.import_page, self.done_page)
        ):
            self.setPage(page_id, page)
        self.resize(1000, 660)
        desk.locked.connect(self._pause)
        desk.signed_in.connect(self._resume)

    def today(self) -> Any:
        return self.desk.clock.local_date(self.desk.clock.now())

    # -- lock: a running check or import waits for its owner to sign in again ------------
    def _pause(self) -> None:
        self.report_page.pause()
        self.import_page.pause()

    def _resume(self, username: str) -> None:
        if username == self.owner_name:
            self.report_page.resume()
            self.import_page.resume()

    # -- ending the import ------------------------------------------------------------------
    def end_import(self, *, cancelled: bool, problem: str | None = None) -> None:
        """Stop writing, record the summary entry, and show the Done page."""
        page = self.import_page
        page.timer.stop()
        run = page.run
        if run is None or page.ended:
            return
        page.ended = True
        try:
            if self.desk.username != self.owner_name:
                # Closed while someone else is signed in: the summary must not carry
                # their name. The customers and their own entries are saved.
                raise PharmDeskError(
                    AUTH_FAILED,
                    "The import stopped when another person signed in. What was imported "
                    "is saved; import the same file again to add the rest.",
                )
            self.outcome = run.finish(cancelled=cancelled)
        except PharmDeskError as exc:
            # The customers are saved and each one's entry is written; only the summary
            # entry is missing (a lock or a full disk). Say so rather than hide it.
            self.outcome = run.result
            self.outcome.cancelled = cancelled
            problem = problem or exc.message
        page.stop_button.setEnabled(False)
        if self.outcome.counts.created:
            self.imported.emit(self.outcome.counts.created)
        self.done_page.show_result(self.outcome, problem)
        page.completeChanged.emit()
        if self.currentId() == IMPORT_PAGE:
            self.next()

    def stop_import(self) -> None:
        if self.import_page.running:
            self.end_import(cancelled=True)

    def show_in_list(self) -> None:
        self.show_customers.emit()
        self.accept()

    def reject(self) -> None:
        """Cancel: between two batches (the timer runs one at a time), never inside one."""
        self.report_page.timer.stop()
        if self.import_page.running:
            self.end_import(cancelled=True)
            return  # the Done page says what was saved; Finish closes it
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.report_page.timer.stop()
        if self.import_page.running:
            self.end_import(cancelled=True)
        super().closeEvent(event)
