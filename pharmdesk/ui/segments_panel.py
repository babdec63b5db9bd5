"""The Segments tab: customers by condition, with refills coming up, or of high value.

Choose a segment and its one parameter; the chart above the table shows the segment at a
glance (``getSegmentSummary``) and the table lists its customers a page at a time
(``SegmentTableModel``). From here a pharmacist exports the campaign audience (consented
customers only) and staff record consent the customers confirmed. Nothing loads until the
tab is looked at: every list shown is an audit entry, and a tab nobody opened was not
"shown" to anyone.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.campaign_export import CampaignExportDialog
from pharmdesk.ui.charts import CHART_HEIGHT, SegmentChart
from pharmdesk.ui.confirm import Ask, ask_yes_no
from pharmdesk.ui.consent import BulkConsentDialog
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import CURRENCY_SYMBOLS, money
from pharmdesk.ui.patient_table import PatientTableView
from pharmdesk.ui.segment_model import CONDITION, HIGH_VALUE, REFILLS, SegmentTableModel
from pharmdesk.ui.widgets import error_label, plain_label

PARAM_DEBOUNCE_MS = 400
DEFAULT_DAYS = 7
DEFAULT_MIN_SPEND = 100_000
MAX_MIN_SPEND = 2_000_000_000
SEGMENT_TITLES = {
    CONDITION: "By condition",
    REFILLS: "Upcoming refills",
    HIGH_VALUE: "High value",
}
COLUMN_WIDTHS = {"ID": 90, "Name": 210, "Phone": 130, "Email": 200, "Next refill": 150}


class SegmentsPanel(QWidget):
    """A main-window tab (``MainWindow.add_panel``): activate() on sign-in, clear() on lock."""

    open_profile = Signal(str)  # a customer id

    def __init__(
        self, desk: DeskContext, *, ask: Ask = ask_yes_no, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.ask = ask
        self.setObjectName("segmentsPanel")
        self._signed_in = False
        self._stale = True
        self.summary: dict[str, Any] | None = None
        self.currency = "NGN"
        self.model = SegmentTableModel(desk.call, self)

        # -- which segment ---------------------------------------------------------------------
        self.choices = QButtonGroup(self)
        choice_row = QHBoxLayout()
        choice_row.addWidget(plain_label("Segment:"))
        self.choice_buttons: dict[str, QRadioButton] = {}
        for segment, title in SEGMENT_TITLES.items():
            button = QRadioButton(title)
            button.setObjectName(f"segment-{segment}")
            self.choices.addButton(button)
            self.choice_buttons[segment] = button
            choice_row.addWidget(button)
        choice_row.addStretch(1)
        self.choice_buttons[CONDITION].setChecked(True)

        # -- its parameter ---------------------------------------------------------------------
        self.condition = QLineEdit()
        self.condition.setObjectName("condition")
        self.condition.setPlaceholderText("Part of a condition, e.g. diabetes — then press Enter")
        self.condition.setAccessibleName("Condition")
        self.condition.setClearButtonEnabled(True)
        self.condition_labels = QStringListModel(self)
        self.completer = QCompleter(self.condition_labels, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.condition.setCompleter(self.completer)
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("showCondition")
        condition_page = self._param_page("Condition:", self.condition, self.show_button)

        self.days = QSpinBox()
        self.days.setObjectName("days")
        self.days.setRange(0, 365)
        self.days.setValue(DEFAULT_DAYS)
        self.days.setSuffix(" days")
        self.days.setAccessibleName("Refills due within days")
        self.days.setToolTip("0 days: due today (overdue refills are always included)")
        days_page = self._param_page("Due within the next", self.days)

        self.min_spend = QSpinBox()
        self.min_spend.setObjectName("minSpend")
        self.min_spend.setRange(0, MAX_MIN_SPEND)
        self.min_spend.setSingleStep(10_000)
        self.min_spend.setGroupSeparatorShown(True)
        self.min_spend.setValue(DEFAULT_MIN_SPEND)
        self.min_spend.setAccessibleName("Minimum spend")
        self.min_spend.setMinimumWidth(150)
        spend_page = self._param_page("Spent at least", self.min_spend)

        self.params = QStackedWidget()
        self.param_pages = {CONDITION: 0, REFILLS: 1, HIGH_VALUE: 2}
        for page in (condition_page, days_page, spend_page):
            self.params.addWidget(page)
        self.params.setSizePolicy(
            self.params.sizePolicy().horizontalPolicy(), self.params.sizePolicy().Policy.Fixed
        )

        # -- what it shows ---------------------------------------------------------------------
        self.count_label = plain_label()
        self.count_label.setObjectName("segmentCount")
        self.total_label = plain_label()
        self.total_label.setObjectName("segmentTotal")
        self.error = error_label()
        self.chart = SegmentChart()
        self.table = PatientTableView(
            "segmentTable", QAbstractItemView.SelectionMode.ExtendedSelection
        )
        self.table.setModel(self.model)
        self.empty_state = plain_label()
        self.empty_state.setObjectName("emptyState")
        self.empty_state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_state.setWordWrap(True)
        self.results = QStackedWidget()
        self.results.addWidget(self.table)
        self.results.addWidget(self.empty_state)

        self.export_button = QPushButton("&Export campaign audience…")
        self.export_button.setObjectName("exportCampaign")
        self.consent_button = QPushButton("Record &consent for selected…")
        self.consent_button.setObjectName("bulkConsent")
        self.consent_button.setToolTip(
            "Only for customers who told you they agree to marketing messages"
        )
        self.open_button = QPushButton("&Open profile")
        self.open_button.setObjectName("openProfile")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addLayout(choice_row)
        layout.addWidget(self.params)
        counts = QHBoxLayout()
        counts.addWidget(self.count_label)
        counts.addSpacing(16)
        counts.addWidget(self.total_label)
        counts.addStretch(1)
        layout.addLayout(counts)
        layout.addWidget(self.error)
        # The person moves the chart/list split (remembered per person by the main window).
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("segmentsSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.chart)
        self.splitter.addWidget(self.results)
        # Chart and list share the height evenly at first (on a small screen too).
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([CHART_HEIGHT, CHART_HEIGHT])
        layout.addWidget(self.splitter, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.open_button)
        actions.addStretch(1)
        actions.addWidget(self.consent_button)
        actions.addWidget(self.export_button)
        layout.addLayout(actions)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(PARAM_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.run)
        self._connect()
        self._update_buttons()

    @staticmethod
    def _param_page(caption: str, editor: QWidget, extra: QWidget | None = None) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(plain_label(caption))
        row.addWidget(editor, 1 if isinstance(editor, QLineEdit) else 0)
        if extra is not None:
            row.addWidget(extra)
        if not isinstance(editor, QLineEdit):
            row.addStretch(1)
        return page

    def _connect(self) -> None:
        self.choices.buttonToggled.connect(self._segment_toggled)
        self.condition.returnPressed.connect(self.run)
        self.show_button.clicked.connect(self.run)
        self.completer.activated.connect(lambda _text: self.run())
        self.days.valueChanged.connect(lambda _v: self._debounce.start())
        self.min_spend.valueChanged.connect(lambda _v: self._debounce.start())
        self.chart.condition_clicked.connect(self.show_condition)
        self.table.open_requested.connect(self._open_index)
        self.open_button.clicked.connect(lambda: self._open_index(self.table.currentIndex()))
        self.export_button.clicked.connect(self.export_campaign)
        self.consent_button.clicked.connect(self.record_consent)
        self.model.loaded.connect(self._update_counts)
        self.model.rowsInserted.connect(lambda *_: self._update_counts())
        self.model.failed.connect(self._show_error)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

    # -- Panel protocol ------------------------------------------------------------------------
    def activate(self) -> None:
        """Signed in: load now if the tab is on screen, else when it is first shown."""
        self._signed_in = True
        self._stale = True
        settings = self.desk.settings()
        self.currency = str(settings.get("currency", "NGN"))
        self.model.region = str(settings.get("defaultRegion", "NG"))
        self.model.currency = self.currency
        self.min_spend.setPrefix(CURRENCY_SYMBOLS.get(self.currency, self.currency + " "))
        may_export = self.desk.may("getCampaignAudience")
        self.export_button.setEnabled(may_export)
        self.export_button.setToolTip(
            "Write the customers who agreed to marketing to a CSV file"
            if may_export
            else "Only a pharmacist or an admin can export a campaign audience"
        )
        if self.isVisible():
            self.refresh()

    def clear(self) -> None:
        """Locked or signed out: forget the rows, the chart and the condition names."""
        self._signed_in = False
        self._debounce.stop()
        self.model.clear()
        self.chart.clear()
        self.summary = None
        self.condition_labels.setStringList([])
        self.count_label.clear()
        self.total_label.clear()
        self.error.hide()
        self._update_buttons()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._signed_in and self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Reload the condition names and the current segment."""
        self._stale = False
        try:
            labels = self.desk.call("listRecordedLabels", {"kind": "conditions"})["labels"]
        except PharmDeskError as exc:
            self._show_error(exc.message)
            labels = []
        self.condition_labels.setStringList([str(label) for label in labels])
        self.run()

    # -- choosing ---------------------------------------------------------------------------------
    @property
    def segment(self) -> str:
        for segment, button in self.choice_buttons.items():
            if button.isChecked():
                return segment
        return CONDITION

    def value(self) -> Any:
        """The current segment's parameter; None when there is nothing to ask yet."""
        if self.segment == CONDITION:
            return self.condition.text().strip() or None
        if self.segment == REFILLS:
            return self.days.value()
        return self.min_spend.value()

    def choose(self, segment: str) -> None:
        self.choice_buttons[segment].setChecked(True)

    def show_condition(self, condition: str) -> None:
        self.choose(CONDITION)
        self.condition.setText(condition)
        self.run()

    def _segment_toggled(self, button: QRadioButton, checked: bool) -> None:
        if not checked:
            return
        self.params.setCurrentIndex(self.param_pages[self.segment])
        self.run()
        if self.segment == CONDITION:
            self.condition.setFocus()

    def run(self) -> None:
        """Ask for the chosen segment: its chart and the first page of its customers."""
        self._debounce.stop()
        if not self._signed_in or self.desk.session is None:
            return
        self.error.hide()
        segment, value = self.segment, self.value()
        self._load_summary(segment)
        self.model.today = self.desk.clock.today()
        self.model.show_segment(segment, value)
        self._resize_columns()

    def _load_summary(self, segment: str) -> None:
        params: dict[str, Any] = {"segment": segment}
        if segment == REFILLS:
            params["days"] = self.days.value()
        elif segment == HIGH_VALUE:
            params["minSpend"] = self.min_spend.value()
        same_conditions = (
            segment == CONDITION
            and self.summary is not None
            and self.summary["segment"] == CONDITION
        )
        try:
            # The top conditions do not change with the search: asked once per sign-in.
            if not same_conditions:
                self.summary = self.desk.call("getSegmentSummary", params)
        except PharmDeskError as exc:
            self.summary = None
            self.chart.clear()
            self._show_error(exc.message)
            return
        assert self.summary is not None
        if segment == CONDITION:
            self.chart.show_conditions(self.summary["conditions"], self.condition.text())
        elif segment == REFILLS:
            self.chart.show_refills(self.summary)
        else:
            self.chart.show_spend(self.summary, self.currency)

    def _resize_columns(self) -> None:
        for column, spec in enumerate(self.model.columns):
            width = COLUMN_WIDTHS.get(spec.title)
            if width:
                self.table.setColumnWidth(column, width)
            else:
                self.table.horizontalHeader().setSectionResizeMode(
                    column, QHeaderView.ResizeMode.Interactive
                )
                self.table.resizeColumnToContents(column)

    # -- what the panel says ----------------------------------------------------------------------
    def description(self) -> str:
        """The segment in words, for the count and the export dialog."""
        segment, value = self.segment, self.value()
        if segment == CONDITION:
            return f"a condition matching '{value}'"
        if segment == REFILLS:
            if value == 0:
                return "a refill due today or overdue"
            return f"a refill due within {value} {'day' if value == 1 else 'days'} (or overdue)"
        return f"spent at least {money(int(value), self.currency)}"

    def _update_counts(self) -> None:
        segment, total = self.model.segment, self.model.total
        self.total_label.clear()
        if self.model.value is None:
            self.count_label.setText("")
            self.empty_state.setText(
                "Type part of a condition (for example diabetes) and press Enter,\n"
                "or click a bar in the chart."
            )
        else:
            noun = "customer" if total == 1 else "customers"
            self.count_label.setText(f"{total:,} {noun} with {self.description()}")
            self.empty_state.setText(f"No customer with {self.description()}.")
            if segment == HIGH_VALUE and self.summary and self.summary["segment"] == HIGH_VALUE:
                self.total_label.setText(
                    f"Total spent: {money(int(self.summary['totalSpent']), self.currency)}"
                )
        self.results.setCurrentIndex(0 if self.model.rowCount() > 0 else 1)
        self._update_buttons()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _update_buttons(self) -> None:
        has_rows = self.model.rowCount() > 0
        selected = self.selected_customers()
        self.open_button.setEnabled(bool(self.table.currentIndex().isValid() and has_rows))
        self.consent_button.setEnabled(bool(selected))
        self.consent_button.setText(
            f"Record &consent for {len(selected):,} selected…"
            if len(selected) > 1
            else "Record &consent for selected…"
        )

    def selected_customers(self) -> list[tuple[str, str]]:
        """(id, name) of the selected rows, in table order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        chosen = []
        for row in rows:
            record = self.model.record(row)
            if record is not None:
                chosen.append((str(record["id"]), str(record["name"])))
        return chosen

    def select_rows(self, rows: list[int]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in rows:
            selection.select(self.model.index(row, 0), flags)

    # -- acting -----------------------------------------------------------------------------------
    def _open_index(self, index: QModelIndex) -> None:
        customer_id = self.model.customer_id(index.row()) if index.isValid() else None
        if customer_id is not None:
            self.open_profile.emit(customer_id)

    def export_dialog(self) -> CampaignExportDialog | None:
        """The export dialog for the current segment (None, with a message, when refused)."""
        value = self.value()
        if value is None:
            self._show_error("Choose a condition first, then export its campaign audience.")
            return None
        try:
            return CampaignExportDialog(
                self.desk, self.segment, value, self.description(), ask=self.ask, parent=self
            )
        except PharmDeskError as exc:
            self._show_error(exc.message)
            return None

    def export_campaign(self) -> None:
        dialog = self.export_dialog()
        if dialog is not None:
            dialog.exec()
            if dialog.written is not None:
                self.count_label.setText(
                    f"{self.count_label.text()} — {len(dialog.audience.rows):,} exported to "
                    f"{dialog.written.name}"
                )

    def consent_dialog(self) -> BulkConsentDialog | None:
        chosen = self.selected_customers()
        if not chosen:
            return None
        return BulkConsentDialog(self.desk, chosen, self)

    def record_consent(self) -> None:
        dialog = self.consent_dialog()
        if dialog is not None and dialog.exec():
            self.count_label.setText(
                f"Marketing consent recorded for {len(dialog.recorded):,} "
                f"{'customer' if len(dialog.recorded) == 1 else 'customers'}."
            )
