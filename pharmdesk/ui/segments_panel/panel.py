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

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
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
from pharmdesk.ui.segments_panel.chooser import SegmentChooser, describe
from pharmdesk.ui.widgets import error_label, plain_label, results_or_empty

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

        self.chooser = SegmentChooser(self)
        # The chooser's parts by name, as the tests and the screenshots reach them.
        self.choice_buttons = self.chooser.choice_buttons
        self.condition = self.chooser.condition
        self.condition_labels = self.chooser.condition_labels
        self.completer = self.chooser.completer
        self.days = self.chooser.days
        self.min_spend = self.chooser.min_spend
        self.params = self.chooser.params
        self.param_pages = self.chooser.param_pages

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
        self.results, self.empty_state = results_or_empty(self.table)

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
        layout.addWidget(self.chooser)
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

        self._connect()
        self._update_buttons()

    def _connect(self) -> None:
        self.chooser.ask.connect(self.run)
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
        self.chooser.waiting.stop()
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
        return self.chooser.segment

    def value(self) -> Any:
        """The current segment's parameter; None when there is nothing to ask yet."""
        return self.chooser.value()

    def choose(self, segment: str) -> None:
        self.chooser.choose(segment)

    def show_condition(self, condition: str) -> None:
        self.choose(CONDITION)
        self.condition.setText(condition)
        self.run()

    def run(self) -> None:
        """Ask for the chosen segment: its chart and the first page of its customers."""
        self.chooser.waiting.stop()
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
        return describe(self.segment, self.value(), self.currency)

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
