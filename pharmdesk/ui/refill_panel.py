"""The refill queue: customers with a delivery due within N days, overdue first.

A main-window tab over ``getCustomersWithUpcomingRefills``. Rows arrive a page at a time
(``canFetchMore``/``fetchMore``) in the operation's own order: earliest next delivery,
then name, then id, so overdue customers head the list. From a row staff record the
delivery (the plan's next delivery moves on and the row leaves the queue when that is
past the window) or copy the phone number to call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from itertools import groupby
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import national_phone
from pharmdesk.ui.models.columns import header_data
from pharmdesk.ui.order_dialog import OrderDialog
from pharmdesk.ui.paged_model import PAGE_SIZE, AnyIndex, PagedCustomerModel
from pharmdesk.ui.pdf import write_pdf
from pharmdesk.ui.theme import DANGER, DANGER_BACKGROUND, brush
from pharmdesk.ui.widgets import error_label, plain_label, results_or_empty, row_table

DEFAULT_DAYS = 7
MAX_DAYS = 365
OVERDUE_COLOUR = DANGER  # the delivery date, its sheet line and its row
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
HEADERS = ("Next delivery", "When", "Customer", "Phone", "Plans due")

TIME_TITLES = {
    "morning": "Morning",
    "afternoon": "Afternoon",
    "evening": "Evening",
    None: "Any time",
}

Fetch = Callable[[dict[str, Any]], dict[str, Any]]
ChoosePath = Callable[[QWidget, str], Path | None]


def first_due(row: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(row["upcomingRefills"][0]["nextDelivery"])


def when_text(due: dt.date, today: dt.date) -> str:
    days = (due - today).days
    if days < 0:
        return f"Overdue {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "Due today"
    if days == 1:
        return "Tomorrow"
    return f"In {days} days"


def run_sheet_html(sheet: dict[str, Any], region: str) -> str:
    """The printable run-sheet: one table per delivery date and time of day."""
    today = dt.date.fromisoformat(sheet["today"])
    days = sheet["days"]
    parts = [
        "<h2>Delivery run-sheet</h2>",
        f"<p>Due on or before {today + dt.timedelta(days=days):%A %d %b %Y} "
        f"(printed {today:%d %b %Y}), overdue included: {len(sheet['deliveries'])} "
        "deliveries.</p>",
    ]
    if sheet.get("truncated"):
        parts.append("<p><b>Only the first deliveries are listed: choose fewer days.</b></p>")
    if not sheet["deliveries"]:
        parts.append("<p>No deliveries due.</p>")

    def by_date(row: dict[str, Any]) -> str:
        return str(row["nextDelivery"])

    for date_text, date_rows in groupby(sheet["deliveries"], key=by_date):
        due = dt.date.fromisoformat(date_text)
        late = (
            f" — <span style='color:{OVERDUE_COLOUR}'>{when_text(due, today)}</span>"
            if due < today
            else ""
        )
        parts.append(f"<h3>{due:%A %d %b %Y}{late}</h3>")
        for time, rows in groupby(date_rows, key=lambda r: r["deliveryTime"]):
            parts.append(f"<h4>{TIME_TITLES.get(time, time)}</h4>")
            lines = "".join(
                "<tr>"
                f"<td>{escape(r['name'])}<br>{escape(r['customerId'])}"
                + (
                    f"<br><i>or collected by {escape(', '.join(r['collectedBy']))}</i>"
                    if r.get("collectedBy")
                    else ""
                )
                + "</td>"
                f"<td>{escape(national_phone(r['phone'], region))}</td>"
                f"<td>{escape(r.get('address') or '—')}</td>"
                f"<td>{escape(r['planName'])} ({escape(r['subscriptionId'])})<br>"
                f"{escape(', '.join(r['medications']))}</td>"
                "<td>&#9744;</td>"
                "</tr>"
                for r in rows
            )
            parts.append(
                "<table border='1' cellspacing='0' cellpadding='4' width='100%'>"
                "<tr><th width='20%'>Customer</th><th width='13%'>Phone</th>"
                "<th width='27%'>Address</th><th width='34%'>Plan</th>"
                f"<th width='6%'>Done</th></tr>{lines}</table>"
            )
    parts.append("<p style='color:#555'>Confidential patient information — PharmDesk.</p>")
    return "".join(parts)


def choose_pdf_path(parent: QWidget, suggested: str) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, "Save run-sheet as PDF", suggested, "PDF (*.pdf)")
    return Path(name) if name else None


class RefillQueueModel(PagedCustomerModel):
    """The queue's customers, one page at a time."""

    def __init__(self, fetch: Fetch, today: Callable[[], dt.date], parent: QObject | None = None):
        super().__init__(parent)
        self._fetch = fetch
        self._today = today
        self._days = DEFAULT_DAYS
        self.region = "NG"

    @property
    def days(self) -> int:
        return self._days

    def request(self, page: int) -> dict[str, Any]:
        return self._fetch({"days": self._days, "page": page, "limit": PAGE_SIZE})

    def load(self, days: int | None = None) -> None:
        """A new first page (for ``days``, or the current window)."""
        if days is not None:
            self._days = days
        self.load_first_page()

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def overdue(self, row: dict[str, Any]) -> bool:
        return first_due(row) < self._today()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            due = first_due(row)
            if column == 0:
                return due.strftime("%a %d %b %Y")
            if column == 1:
                return when_text(due, self._today())
            if column == 2:
                return f"{row['name']} ({row['id']})"
            if column == 3:
                return national_phone(row["phone"], self.region)
            return ", ".join(
                f"{r['planName']} ({dt.date.fromisoformat(r['nextDelivery']):%d %b})"
                for r in row["upcomingRefills"]
            )
        if role == Qt.ItemDataRole.ForegroundRole and self.overdue(row):
            return brush(OVERDUE_COLOUR)
        if role == Qt.ItemDataRole.BackgroundRole and self.overdue(row):
            return brush(DANGER_BACKGROUND)
        if role == ROW_ROLE:
            return row
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_data(HEADERS, section, orientation, role)


class RefillPanel(QWidget):
    """The "Refills" tab: days selector, the queue, Record delivery and Call."""

    delivery_recorded = Signal(str)  # customer id

    def __init__(
        self,
        desk: DeskContext,
        parent: QWidget | None = None,
        choose_path: ChoosePath = choose_pdf_path,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.choose_path = choose_path
        self.setObjectName("refillPanel")
        self.model = RefillQueueModel(
            desk.caller("getCustomersWithUpcomingRefills"), desk.clock.today, self
        )
        self.days = QSpinBox()
        self.days.setObjectName("refillDays")
        self.days.setRange(0, MAX_DAYS)
        self.days.setValue(DEFAULT_DAYS)
        self.days.setSuffix(" days")
        self.days.setAccessibleName("Days ahead")
        self.record_button = QPushButton("&Record delivery…")
        self.record_button.setObjectName("recordDelivery")
        self.call_button = QPushButton("&Call (copy phone)")
        self.call_button.setObjectName("callCustomer")
        self.run_sheet_button = QPushButton("Run-&sheet (PDF)…")
        self.run_sheet_button.setObjectName("runSheet")
        self.run_sheet_button.setToolTip(
            "Save the deliveries due in this window as a printable PDF, by date and time"
        )
        self.count = plain_label()
        self.count.setObjectName("countLabel")
        # Overdue rows have their own background: no alternating colours.
        self.table = row_table(self.model, "refillTable", alternating=False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for column, width in enumerate((130, 110, 240, 130)):
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.stack, self.empty = results_or_empty(self.table)
        self.error = error_label()

        top = QHBoxLayout()
        label = plain_label("Deliveries due within")
        label.setBuddy(self.days)
        top.addWidget(label)
        top.addWidget(self.days)
        top.addWidget(self.count, 1)
        top.addWidget(self.call_button)
        top.addWidget(self.record_button)
        top.addWidget(self.run_sheet_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.error)

        self.days.valueChanged.connect(lambda value: self.model.load(value))
        self.model.loaded.connect(self._update_state)
        self.model.rowsInserted.connect(lambda *_: self._update_state())
        self.model.failed.connect(self._show_error)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(lambda _i: self.record_delivery())
        self.record_button.clicked.connect(self.record_delivery)
        self.call_button.clicked.connect(self.copy_phone)
        self.run_sheet_button.clicked.connect(self.save_run_sheet)
        self._update_buttons()

    # -- Panel ------------------------------------------------------------------------------
    def activate(self) -> None:
        if self.desk.session is not None:
            self.model.region = str(self.desk.settings().get("defaultRegion", "NG"))
        self.model.load(self.days.value())

    def clear(self) -> None:
        self.model.clear()
        self.count.setText("")
        self.error.hide()
        self._update_buttons()

    # -- state --------------------------------------------------------------------------------
    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _update_state(self) -> None:
        self.error.hide()
        total = self.model.total
        overdue = sum(1 for row in self.model.rows() if self.model.overdue(row))
        text = f"{total:,} customer{'s' if total != 1 else ''} due"
        if overdue:
            text += f" · {overdue} overdue (shown in red)"
        self.count.setText(text)
        days = self.model.days
        window = "today" if days == 0 else f"in the next {days} day{'s' if days != 1 else ''}"
        self.empty.setText(f"No deliveries due {window}.\nChoose more days to look further ahead.")
        self.stack.setCurrentIndex(0 if self.model.rowCount() else 1)
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectRow(0)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_row = self.current_row() is not None
        self.record_button.setEnabled(has_row)
        self.call_button.setEnabled(has_row)

    def current_row(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    # -- actions ------------------------------------------------------------------------------
    def order_dialog(self, row: dict[str, Any]) -> OrderDialog:
        """The record-delivery dialog for a row, its earliest plan chosen."""
        refills = [
            {
                "subscriptionId": r["subscriptionId"],
                "planId": r["planId"],
                "planName": r["planName"],
                "nextDelivery": r["nextDelivery"],
            }
            for r in row["upcomingRefills"]
        ]
        dialog = OrderDialog(
            self.desk,
            row["id"],
            row["name"],
            refills,
            refills[0]["subscriptionId"],
            self,
        )
        dialog.recorded.connect(lambda _answer: self._recorded(row["id"]))
        return dialog

    def record_delivery(self) -> None:
        row = self.current_row()
        if row is None:
            return
        try:
            dialog = self.order_dialog(row)
        except PharmDeskError as exc:
            self._show_error(exc.message)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        self.dialog = dialog

    def _recorded(self, customer_id: str) -> None:
        self.model.load()
        self.delivery_recorded.emit(customer_id)

    def copy_phone(self) -> None:
        row = self.current_row()
        if row is None:
            return
        self.desk.copy_text(national_phone(row["phone"], self.model.region))
        self.count.setText(f"Copied {row['name']}'s phone number")

    def save_run_sheet(self) -> None:
        path = self.choose_path(self, f"run-sheet-{self.desk.clock.today().isoformat()}.pdf")
        if path is not None:
            self.write_run_sheet(path)

    def write_run_sheet(self, path: Path) -> None:
        """Read the sheet (audited as a print) and write it as a PDF."""
        try:
            sheet = self.desk.call("getRefillRunSheet", {"days": self.days.value()})
        except PharmDeskError as exc:
            self._show_error(exc.message)
            return
        doc = QTextDocument()
        doc.setHtml(run_sheet_html(sheet, self.model.region))
        try:
            write_pdf(path, doc)
        except OSError as exc:
            self._show_error(
                f"The run-sheet could not be saved ({exc.strerror or 'disk error'}). Check "
                "the folder exists and the drive has space."
            )
            return
        self.count.setText(f"Run-sheet saved: {len(sheet['deliveries'])} deliveries")
