"""The import wizard's third page: the dry run, a batch per timer tick, and its report
(counts, the problem rows, the likely duplicates to import anyway) to decide on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWizard,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.importing import DryRun, DryRunReport, new_import_id, write_report
from pharmdesk.importing.plan import LIKELY
from pharmdesk.ui.import_wizard.common import GUI_BATCH, UNEXPECTED, log
from pharmdesk.ui.import_wizard.problems import MESSAGE_COLUMN, WRAP_ROWS, ProblemTableModel
from pharmdesk.ui.widgets import error_label, plain_label
from pharmdesk.ui.wizard_page import CompletablePage

if TYPE_CHECKING:  # the wizard owns its pages; a page only names its type
    from pharmdesk.ui.import_wizard.wizard import ImportWizard


class ReportPage(CompletablePage):
    """Runs the dry run when shown, then shows its counts and problem rows."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Check the report")
        self.setSubTitle(
            "Every row is checked as if typed into the customer form. Nothing is saved yet."
        )
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Import")
        self.progress = QProgressBar()
        self.progress.setObjectName("importProgress")
        self.status = plain_label()
        self.status.setWordWrap(True)
        self.summary = plain_label()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.model = ProblemTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("importProblems")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for column, width in enumerate((45, 135, 150, 130, 95, 300, 105)):
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(MESSAGE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.save_button = QPushButton("&Save report as CSV…")
        self.save_button.clicked.connect(self._save_report)
        self.error = error_label()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._step)
        self.dry_run: DryRun | None = None
        self.model.dataChanged.connect(lambda *_: self._show_summary())

    @property
    def report(self) -> DryRunReport | None:
        return self.dry_run.report if self.dry_run is not None else None

    def initializePage(self) -> None:
        table, settings = self.owner.table, self.owner.settings
        assert table is not None and settings is not None
        self.owner.import_id = new_import_id(self.owner.desk.clock.now())
        self.dry_run = DryRun(
            self.owner.desk.call,
            table,
            settings,
            import_id=self.owner.import_id,
            batch_size=GUI_BATCH,
        )
        self.model.set_problems([])
        self.error.hide()
        self.summary.clear()
        self.save_button.setEnabled(False)
        self.progress.setRange(0, max(1, table.estimated_rows()))
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText("Checking the rows…")
        self.timer.start()
        self.completeChanged.emit()

    def cleanupPage(self) -> None:
        self.timer.stop()
        self.dry_run = None

    def pause(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        if self.dry_run is not None and not self.dry_run.finished:
            self.timer.start()

    def _step(self) -> None:
        assert self.dry_run is not None
        try:
            more = self.dry_run.step()
        except PharmDeskError as exc:
            self.timer.stop()
            self.status.setText("The check stopped.")
            self.error.setText(exc.message)
            self.error.show()
            return
        except Exception as exc:  # a bug must not leave the page spinning forever
            self.timer.stop()
            log.error("import check failed: %s", type(exc).__name__)
            self.error.setText(UNEXPECTED)
            self.error.show()
            return
        report = self.dry_run.report
        self.progress.setMaximum(max(self.progress.maximum(), report.rows))
        self.progress.setValue(report.rows)
        if more:
            self.status.setText(f"Checking the rows… {report.rows:,} checked.")
            return
        self.timer.stop()
        self.progress.hide()
        self.status.setText(f"{self.owner.table.description if self.owner.table else ''}.")
        self.model.set_problems(report.problems)
        if len(report.problems) <= WRAP_ROWS:
            self.table.resizeRowsToContents()
        self.save_button.setEnabled(bool(report.problems))
        self._show_summary()
        self.completeChanged.emit()

    def to_import(self) -> int:
        report = self.report
        if report is None:
            return 0
        chosen = sum(1 for p in report.problems if p.outcome == LIKELY and p.import_anyway)
        return report.will_create + chosen

    def _show_summary(self) -> None:
        report = self.report
        if report is None or not self.dry_run or not self.dry_run.finished:
            return
        likely_text = (
            f"<br><b>{report.likely:,}</b> look like someone already on file: tick "
            "<i>Import anyway</i> for those who are new (a family sharing a phone), the others "
            "are skipped."
            if report.likely
            else ""
        )
        self.summary.setText(
            f"<b>{report.rows:,}</b> rows checked: <b>{report.will_create:,}</b> new customers "
            f"to import, <b>{report.duplicates:,}</b> already on file or repeated (skipped), "
            f"<b>{report.errors:,}</b> with errors (skipped: fix them in the file and import it "
            f"again).{likely_text}"
        )
        count = self.to_import()
        self.setButtonText(
            QWizard.WizardButton.CommitButton,
            f"&Import {count:,} customer{'s' if count != 1 else ''}",
        )
        self.completeChanged.emit()

    def is_complete(self) -> bool:
        return self.dry_run is not None and self.dry_run.finished and self.to_import() > 0

    def _save_report(self) -> None:
        report = self.report
        if report is None:
            return
        path = self.owner.choose_report(self)
        if not path:
            return
        try:
            write_report(Path(path), report.problems)
        except OSError:
            self.error.setText(
                f"The report could not be saved to {path}. Choose a folder you can write to."
            )
            self.error.show()
            return
        self.status.setText(f"Report saved to {path}.")
