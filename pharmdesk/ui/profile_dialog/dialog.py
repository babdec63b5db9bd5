"""A customer's profile: allergies first, then identity, stats, plans, orders, notes.

Opening it calls ``viewProviderCustomerDetails`` once, which writes one ``view`` audit
entry. The dialog keeps only what that call returned. Each plan is a row with the
controls its status allows (pause, resume, cancel; a pharmacist's approve or reject);
after any change made here the profile re-reads itself and ``changed`` tells the main
window, so the customer list and the refill queue show it too.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.ui.confirm import Ask, asking
from pharmdesk.ui.consent import ConsentToggle
from pharmdesk.ui.consent_grid import ConsentGrid
from pharmdesk.ui.customer_form.form import CustomerForm
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.enrollment.wizard import EnrollmentWizard
from pharmdesk.ui.formatting import local_date, money
from pharmdesk.ui.order_dialog import OrderDialog
from pharmdesk.ui.pdf import write_pdf
from pharmdesk.ui.profile_dialog.document import profile_html
from pharmdesk.ui.profile_dialog.header import ProfileHeader, empty_section, section_title
from pharmdesk.ui.profile_dialog.plans import PlansSection
from pharmdesk.ui.record.record_panel import RecordPanel
from pharmdesk.ui.record_table import RecordColumn, RecordTableModel
from pharmdesk.ui.send_log import SendLog
from pharmdesk.ui.widgets import plain_label

CANCEL_PROMPT = asking("Cancel &plan", "&Keep plan")


def _table(model: RecordTableModel) -> QTableView:
    view = QTableView()
    view.setTabKeyNavigation(False)  # Tab leaves the list; the arrows move in it
    view.setModel(model)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.setAlternatingRowColors(True)
    rows = max(1, min(model.rowCount(), 5))
    view.setMinimumHeight(view.horizontalHeader().sizeHint().height() + rows * 30 + 4)
    return view


class ProfileDialog(QDialog):
    """Everything about one customer, read from one audited ``view``."""

    changed = Signal(str)  # customer id: something about this customer was changed here

    def __init__(
        self,
        desk: DeskContext,
        customer_id: str,
        parent: QWidget | None = None,
        *,
        ask: Ask = CANCEL_PROMPT,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.customer_id = customer_id
        self.ask = ask
        self.details = desk.call("viewProviderCustomerDetails", {"customerId": customer_id})
        settings = desk.settings()
        self.currency = str(settings.get("currency", "NGN"))
        self.region = str(settings.get("defaultRegion", "NG"))
        self.setObjectName("profileDialog")
        self.body = QWidget()
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setObjectName("edit")
        self.print_button = QPushButton("&Print…")
        self.print_button.setObjectName("print")
        self.pdf_button = QPushButton("Save as P&DF…")
        self.pdf_button.setObjectName("savePdf")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for button in (self.edit_button, self.print_button, self.pdf_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.edit_button.clicked.connect(self.edit)
        self.print_button.clicked.connect(self.print_profile)
        self.pdf_button.clicked.connect(self.save_pdf)
        # The body scrolls: a customer with many plans still fits a laptop screen.
        self.body_scroll = QScrollArea()
        self.body_scroll.setObjectName("profileScroll")
        self.body_scroll.setWidgetResizable(True)
        self.body_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body_scroll.setWidget(self.body)
        self._outer = QVBoxLayout(self)
        self._outer.addWidget(self.body_scroll, 1)
        self._outer.addWidget(self.buttons)
        self._add_plan_buttons()
        self._show_details()
        height = self.body.sizeHint().height() + self.buttons.sizeHint().height() + 40
        self.resize(840, min(820, max(520, height)))

    # -- layout ------------------------------------------------------------------------------
    def _show_details(self) -> None:
        self.setWindowTitle(f"{self.details['name']} — {self.details['id']}")
        # The old body goes later: a button in it may be the one whose click got us here.
        old = self.body_scroll.takeWidget()
        self.body = QWidget()
        self._build(self.body)
        self.body_scroll.setWidget(self.body)
        if old is not None:
            old.deleteLater()
        self.edit_button.setEnabled(not self.details.get("archived"))

    def refresh(self) -> None:
        """Read the customer again (another audited view) and redraw."""
        self.details = self.desk.call(
            "viewProviderCustomerDetails", {"customerId": self.customer_id}
        )
        self._show_details()

    def _build(self, body: QWidget) -> None:
        d = self.details
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)

        self.header = ProfileHeader(
            self.desk, d, currency=self.currency, region=self.region, parent=body
        )
        # The header's parts by name, as the tests and the screenshots reach them.
        self.allergy_banner = self.header.allergy_banner
        self.name_label = self.header.name_label
        self.phone_text = self.header.phone_text
        self.copy_phone = self.header.copy_phone
        self.conditions_label = self.header.conditions_label
        self.cards = self.header.cards
        layout.addWidget(self.header)

        layout.addWidget(section_title("Plans"))
        self.plans = PlansSection(
            self.desk, d, today=self.desk.clock.today(), ask=self.ask, host=self, parent=body
        )
        self.plans.changed.connect(self._changed)
        self.plans.refused.connect(self._plan_refused)
        self.plan_error = self.plans.plan_error
        self.plan_rows = self.plans.plan_rows
        layout.addWidget(self.plans)

        order_columns = [
            RecordColumn("Order", lambda r: r["orderId"]),
            RecordColumn("Date", lambda r: local_date(r["date"])),
            RecordColumn("Total", lambda r: money(r["total"], self.currency), numeric=True),
            RecordColumn("Status", lambda r: str(r["status"]).capitalize()),
        ]
        self.orders_model = RecordTableModel(order_columns, d["recentOrders"], parent=self)
        layout.addWidget(section_title("Recent orders"))
        layout.addWidget(
            _table(self.orders_model) if d["recentOrders"] else empty_section("No orders yet.")
        )

        layout.addWidget(section_title("Payer, family and carers"))
        self.record_panel = RecordPanel(self.desk, d, parent=body)
        self.record_panel.changed.connect(self._changed)
        layout.addWidget(self.record_panel)

        notes = plain_label(d.get("notes") or "No notes.")
        notes.setObjectName("notes")
        notes.setWordWrap(True)
        layout.addWidget(section_title("Notes"))
        layout.addWidget(notes)

        self.consent_label = plain_label(self._consent_text())
        self.consent_label.setObjectName("consent")
        layout.addWidget(self.consent_label)
        self.consent_toggle = ConsentToggle(self.desk, d, parent=body)
        self.consent_toggle.changed.connect(lambda _consent: self._changed())
        layout.addWidget(self.consent_toggle)

        layout.addWidget(section_title("Consent by purpose and channel"))
        self.consent_grid = ConsentGrid(self.desk, d, parent=body)
        self.consent_grid.changed.connect(self._changed)
        layout.addWidget(self.consent_grid)

        layout.addWidget(section_title("Reminders and messages sent"))
        self.send_log = SendLog(self.desk, self.customer_id, parent=body)
        layout.addWidget(self.send_log)

        layout.addStretch(1)

    def _consent_text(self) -> str:
        d = self.details
        if d.get("marketingConsentRecordedAt"):
            state = "gave" if d["marketingConsent"] else "withdrew"
            return (
                f"Marketing consent: customer {state} consent "
                f"({local_date(d['marketingConsentRecordedAt'])}, recorded by "
                f"{d.get('marketingConsentRecordedBy')})"
            )
        return "Marketing consent: not given (never asked)"

    # -- actions -----------------------------------------------------------------------------
    def _changed(self) -> None:
        """Something was written from here: re-read, and tell whoever lists this customer."""
        self.refresh()
        self.changed.emit(self.customer_id)

    def _plan_refused(self, message: str) -> None:
        """A refused plan change (changed at another desk meanwhile, say): say so, re-read."""
        self.refresh()
        self.plan_error.setText(message)
        self.plan_error.show()

    def edit(self) -> None:
        form = CustomerForm(self.desk, self.details, self)
        form.saved.connect(lambda _cid: self._changed())
        form.setWindowModality(Qt.WindowModality.WindowModal)
        form.show()
        self.form = form

    def document(self) -> QTextDocument:
        doc = QTextDocument()
        doc.setHtml(profile_html(self.details, self.currency, self.region))
        return doc

    def print_profile(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec():
            self._print_to(printer, "profile")

    def save_pdf(self) -> None:
        suggested = f"{self.details['id']}-profile.pdf"
        name, _ = QFileDialog.getSaveFileName(self, "Save profile as PDF", suggested, "PDF (*.pdf)")
        if not name:
            return
        try:
            self.write_pdf(Path(name))
        except OSError as exc:
            QMessageBox.warning(
                self,
                "PDF not saved",
                f"The PDF could not be saved ({exc.strerror or 'disk error'}). Check the "
                "folder exists and the drive has space, then try again.",
            )

    def write_pdf(self, path: Path) -> None:
        # Audited first: if the audit entry cannot be written, nothing is saved.
        self.desk.call("recordPrint", {"customerId": self.customer_id, "document": "profilePdf"})
        write_pdf(path, self.document())

    def _print_to(self, printer: QPrinter, document: str) -> None:
        # Audited first: if the audit entry cannot be written, nothing is printed.
        self.desk.call("recordPrint", {"customerId": self.customer_id, "document": document})
        self.document().print_(printer)

    def _add_plan_buttons(self) -> None:
        """The Enroll in plan and Record order buttons; both re-read the profile after."""
        self.enroll_button = QPushButton("Enroll in p&lan…")
        self.enroll_button.setObjectName("enrollInPlan")
        self.order_button = QPushButton("&Record order…")
        self.order_button.setObjectName("openOrder")
        for button in (self.enroll_button, self.order_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
            button.setEnabled(not self.details.get("archived"))
        self.enroll_button.clicked.connect(self.enroll_in_plan)
        self.order_button.clicked.connect(self.record_order)

    def enroll_in_plan(self) -> None:
        wizard = EnrollmentWizard(self.desk, self.customer_id, self)
        wizard.enrolled.connect(lambda _cid: self._changed())
        # "Open profile" at the end: this dialog is that profile.
        wizard.profile_requested.connect(lambda _cid: self.raise_())
        wizard.setWindowModality(Qt.WindowModality.WindowModal)
        wizard.show()
        self.wizard = wizard

    def order_dialog(self) -> OrderDialog:
        """The order dialog for this customer, its plans offered (the earliest due first)."""
        subscriptions = [
            {
                "subscriptionId": p["subscriptionId"],
                "planId": p["id"],
                "planName": p["name"],
                "nextDelivery": p.get("nextDelivery"),
            }
            for p in self.details["plans"]
            if p["status"] in ("active", "paused")
        ]
        due = next((s["subscriptionId"] for s in subscriptions if s["nextDelivery"]), None)
        dialog = OrderDialog(
            self.desk,
            self.customer_id,
            self.details["name"],
            subscriptions,
            due,
            self,
            payer=self.details.get("payer"),
        )
        dialog.recorded.connect(lambda _answer: self._changed())
        return dialog

    def record_order(self) -> None:
        dialog = self.order_dialog()
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        self.order = dialog
