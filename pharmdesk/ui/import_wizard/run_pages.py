"""The import wizard's last pages: the import in batches on a timer (the window stays
live), then what was done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWizardPage

from pharmdesk.errors import PharmDeskError
from pharmdesk.importing import ImportResult, ImportRun
from pharmdesk.ui.import_wizard.common import GUI_BATCH, UNEXPECTED, log
from pharmdesk.ui.widgets import error_label, plain_label
from pharmdesk.ui.wizard_page import CompletablePage

if TYPE_CHECKING:  # the wizard owns its pages; a page only names its type
    from pharmdesk.ui.import_wizard.wizard import ImportWizard


class ImportPage(CompletablePage):
    """Writes the file in batches; Stop (or the wizard's Cancel) stops between two."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Importing")
        self.setSubTitle(
            "Each batch of customers is saved as a whole. Stopping keeps what is "
            "already saved; importing the same file again adds the rest."
        )
        self.progress = QProgressBar()
        self.progress.setObjectName("importProgress")
        self.status = plain_label()
        self.stop_button = QPushButton("&Stop import")
        self.stop_button.clicked.connect(lambda: self.owner.stop_import())
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(row)
        layout.addStretch(1)
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._step)
        self.run: ImportRun | None = None
        self.ended = False

    def initializePage(self) -> None:
        table, settings = self.owner.table, self.owner.settings
        report = self.owner.report_page.report
        assert table is not None and settings is not None and report is not None
        self.run = ImportRun(
            self.owner.desk.call,
            table,
            settings,
            import_id=report.import_id,
            skip_rows=report.skipped_rows(),
            batch_size=GUI_BATCH,
        )
        self.ended = False
        self.progress.setRange(0, max(1, report.rows))
        self.progress.setValue(0)
        self.status.setText("Starting…")
        self.stop_button.setEnabled(True)
        self.timer.start()

    @property
    def running(self) -> bool:
        return self.run is not None and not self.ended

    def pause(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        if self.running:
            self.timer.start()

    def _step(self) -> None:
        assert self.run is not None
        try:
            more = self.run.step()
        except PharmDeskError as exc:
            self.owner.end_import(cancelled=True, problem=exc.message)
            return
        except Exception as exc:
            log.error("import failed: %s", type(exc).__name__)
            self.owner.end_import(cancelled=True, problem=UNEXPECTED)
            return
        counts = self.run.counts
        self.progress.setValue(counts.rows)
        self.status.setText(
            f"{counts.rows:,} of {self.progress.maximum():,} rows done: "
            f"{counts.created:,} customers imported."
        )
        if not more:
            self.owner.end_import(cancelled=False)

    def is_complete(self) -> bool:
        return self.ended


class DonePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Import finished")
        self.setSubTitle(
            "Every customer imported is in the customer list and in the audit log with this "
            "import's id."
        )
        self.summary = plain_label()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.error = error_label()
        self.show_button = QPushButton("Show in customer &list")
        self.show_button.clicked.connect(self.owner.show_in_list)
        row = QHBoxLayout()
        row.addWidget(self.show_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addLayout(row)
        layout.addStretch(1)

    def show_result(self, result: ImportResult, problem: str | None) -> None:
        counts = result.counts
        self.setTitle("Import stopped" if result.cancelled else "Import finished")
        lines = [
            f"<b>{counts.created:,}</b> customers imported "
            f"(import <code>{result.import_id}</code>).",
            f"{counts.duplicates:,} already on file or repeated, "
            f"{counts.likely_skipped:,} likely duplicates skipped, "
            f"{counts.errors:,} rows with errors skipped.",
        ]
        if result.cancelled:
            lines.append(
                f"Stopped after {counts.rows:,} rows: everything imported so far is saved. "
                "Import the same file again to add the rest; nobody is added twice."
            )
        self.summary.setText("<br>".join(lines))
        self.error.setVisible(problem is not None)
        self.error.setText(problem or "")
        self.show_button.setEnabled(counts.created > 0)
