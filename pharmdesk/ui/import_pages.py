"""The import wizard's first pages: the file, its columns (the guessed mapping, to
correct), and the dry-run report to decide on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.importing import (
    FIELDS,
    DryRun,
    DryRunReport,
    branch_settings,
    check_mapping,
    guess_mapping,
    new_import_id,
    open_table,
    write_report,
)
from pharmdesk.importing.plan import LIKELY
from pharmdesk.ui.import_problems import MESSAGE_COLUMN, WRAP_ROWS, ProblemTableModel
from pharmdesk.ui.record_table import RecordColumn, RecordTableModel
from pharmdesk.ui.widgets import error_label, plain_label, tab_order
from pharmdesk.ui.wizard_page import CompletablePage

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the wizard owns its pages; a page only names its type
    from pharmdesk.ui.import_wizard import ImportWizard

FILE_PAGE, MAPPING_PAGE, REPORT_PAGE, IMPORT_PAGE, DONE_PAGE = range(5)
GUI_BATCH = 100  # rows per timer tick: well under a second, so the window stays live
PREVIEW_ROWS = 8
FILE_FILTER = "Customer lists (*.csv *.xlsx *.xlsm *.txt *.tsv);;All files (*)"
UNEXPECTED = (
    "Something went wrong and the work stopped. What was imported stays; import the same "
    "file again to add the rest. If it happens again, contact your IT person."
)
ChooseFile = Callable[[QWidget], str | None]


def choose_customer_file(parent: QWidget) -> str | None:
    path, _filter = QFileDialog.getOpenFileName(parent, "Import customers", "", FILE_FILTER)
    return path or None


def choose_report_file(parent: QWidget) -> str | None:
    path, _filter = QFileDialog.getSaveFileName(
        parent, "Save the import report", "import-report.csv", "CSV files (*.csv)"
    )
    return path or None


class FilePage(CompletablePage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Choose the file")
        self.setSubTitle(
            "A list of customers saved as CSV (from any program) or as an Excel workbook "
            "(.xlsx). Nothing is saved until you have seen the report and chosen Import."
        )
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("importFile")
        self.path_edit.setPlaceholderText("The file to import, e.g. customers.xlsx")
        self.path_edit.setAccessibleName("File to import")
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(self._browse)
        self.error = error_label()
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse)
        hint = plain_label(
            "The first row (or a row near the top) should name the columns: Name, Phone, "
            "Email, Address, Date of birth, Allergies, Conditions, Notes, Consent. You can "
            "correct how they are read on the next page."
        )
        hint.setObjectName("subtitle")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.path_edit.textChanged.connect(lambda _t: self.completeChanged.emit())
        self.path_edit.textChanged.connect(lambda _t: self.error.hide())

    def _browse(self) -> None:
        path = self.owner.choose_file(self)
        if path:
            self.path_edit.setText(path)

    def is_complete(self) -> bool:
        return bool(self.path_edit.text().strip())

    def validatePage(self) -> bool:
        try:
            table = open_table(self.path_edit.text().strip())
            table.preview(PREVIEW_ROWS)  # a file damaged below its header says so here
            self.owner.table = table
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return False
        return True


def cell_text(index: int) -> Callable[[dict[str, Any]], str]:
    def text(record: dict[str, Any]) -> str:
        cells = record["cells"]
        return str(cells[index]) if index < len(cells) else ""

    return text


class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Check the columns")
        self.setSubTitle(
            "PharmDesk guessed which customer detail each column holds. Correct any that "
            "are wrong; set a column to Ignore to leave it out."
        )
        self.read_as = plain_label()
        self.read_as.setObjectName("subtitle")
        self.combos: list[QComboBox] = []
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setColumnStretch(1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        scroll.setMinimumHeight(150)
        self.preview = QTableView()
        self.preview.setObjectName("importPreview")
        self.preview.verticalHeader().hide()
        self.preview.setTabKeyNavigation(False)  # Tab leaves the preview
        self.preview.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.preview_model = RecordTableModel([], parent=self)
        self.preview.setModel(self.preview_model)
        self.error = error_label()
        preview_title = plain_label("The first rows, as they will be read:")
        preview_title.setObjectName("sectionTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_as)
        layout.addWidget(scroll, 3)
        layout.addWidget(preview_title)
        layout.addWidget(self.preview, 2)
        layout.addWidget(self.error)
        self._rows: list[tuple[str, ...]] = []

    def initializePage(self) -> None:
        table = self.owner.table
        assert table is not None
        self.read_as.setText(f"{table.path.name}: read as {table.description}.")
        self._rows = [row.values for row in table.preview(PREVIEW_ROWS)]
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.combos = []
        for title, column in (("Column in the file", 0), ("Example", 1), ("Customer detail", 2)):
            label = plain_label(title)
            label.setObjectName("sectionTitle")
            self.grid.addWidget(label, 0, column)
        for index, (header, field) in enumerate(
            zip(table.headers, guess_mapping(table.headers), strict=True)
        ):
            example = next((r[index] for r in self._rows if r[index].strip()), "")
            name = plain_label(header or f"(column {index + 1}, no title)")
            sample = plain_label(example[:60])
            sample.setObjectName("subtitle")
            combo = QComboBox()
            combo.setAccessibleName(f"Customer detail for column {header or index + 1}")
            combo.addItem("Ignore", None)
            for key, label_text in FIELDS.items():
                combo.addItem(label_text, key)
            combo.setCurrentIndex(max(0, combo.findData(field)) if field else 0)
            combo.currentIndexChanged.connect(self._mapping_changed)
            self.grid.addWidget(name, index + 1, 0)
            self.grid.addWidget(sample, index + 1, 1)
            self.grid.addWidget(combo, index + 1, 2)
            self.combos.append(combo)
        tab_order(*self.combos, self.preview)  # made after the preview, read before it
        self._mapping_changed()

    def mapping(self) -> tuple[str | None, ...]:
        return tuple(combo.currentData() for combo in self.combos)

    def _mapping_changed(self, *_args: Any) -> None:
        table = self.owner.table
        assert table is not None
        self.error.hide()
        mapping = self.mapping()
        columns = []
        for index, header in enumerate(table.headers):
            field = mapping[index]
            title = f"{header or index + 1}\n→ {FIELDS[field] if field else 'ignored'}"
            columns.append(RecordColumn(title, cell_text(index)))
        self.preview_model = RecordTableModel(
            columns, [{"cells": r} for r in self._rows], parent=self
        )
        self.preview.setModel(self.preview_model)
        self.preview.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )

    def validatePage(self) -> bool:
        table = self.owner.table
        assert table is not None
        try:
            check_mapping(table.headers, self.mapping())
            self.owner.settings = branch_settings(
                self.owner.desk.call, self.mapping(), self.owner.today()
            )
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return False
        return True


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
