"""Step 4 of enrollment: everything, the controller's warnings, the acknowledgement box."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWizard

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.enrollment.page_parts import (
    FREQUENCY_TEXT,
    escape_html,
    long_date,
    show_error,
)
from pharmdesk.ui.formatting import money
from pharmdesk.ui.widgets import error_label, rich_label
from pharmdesk.ui.wizard_page import CompletablePage

if TYPE_CHECKING:
    from pharmdesk.ui.enrollment.wizard import EnrollmentWizard


class ReviewPage(CompletablePage):
    """Step 4: everything, the controller's warnings, and the acknowledgement box."""

    def __init__(self, wizard: EnrollmentWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Review")
        self.setSubTitle("Check the details with the customer, then enroll.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Enroll")
        self.summary = rich_label()
        self.summary.setObjectName("reviewSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.warnings = rich_label()
        self.warnings.setObjectName("reviewWarnings")
        self.warnings.setWordWrap(True)
        self.acknowledge = QCheckBox(
            "I have read the allergy warning: enroll it for a pharmacist's review"
        )
        self.acknowledge.setObjectName("acknowledgeConflict")
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addWidget(self.acknowledge)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.acknowledge.toggled.connect(self._acknowledged)

    def initializePage(self) -> None:
        flow = self.owner.flow
        self.error.hide()
        customer = flow.customer or {}
        plan = flow.plan
        assert plan is not None
        deliveries = ", ".join(long_date(d) for d in flow.deliveries(3))
        rows = [
            ("Customer", f"{customer.get('name', '')} ({customer.get('id', '')})"),
            ("Plan", f"{plan.name} ({plan.id})"),
            ("Medications", ", ".join(plan.medications)),
            (
                "Price",
                f"{money(plan.price, self.owner.currency)} "
                f"{FREQUENCY_TEXT.get(plan.frequency, plan.frequency)}",
            ),
            ("Start date", long_date(flow.start_date)),
            ("Delivery", f"{flow.delivery_day or 'any day'}, {flow.delivery_time or 'any time'}"),
            ("First deliveries", deliveries),
        ]
        self.summary.setText(
            "<table cellpadding='3'>"
            + "".join(f"<tr><td><b>{k}</b></td><td>{escape_html(v)}</td></tr>" for k, v in rows)
            + "</table>"
        )
        self.acknowledge.blockSignals(True)
        self.acknowledge.setChecked(False)
        self.acknowledge.blockSignals(False)
        try:
            warnings = flow.check_conflicts()
        except PharmDeskError as exc:
            warnings = []
            show_error(self.error, exc)
        if warnings:
            self.warnings.setText("<br>".join("⚠ " + escape_html(w["message"]) for w in warnings))
            self.warnings.setProperty("state", "conflict" if flow.needs_acknowledgement else "note")
            self.warnings.show()
        else:
            self.warnings.hide()
        self.acknowledge.setVisible(flow.needs_acknowledgement)
        self.warnings.style().unpolish(self.warnings)
        self.warnings.style().polish(self.warnings)

    def _acknowledged(self, checked: bool) -> None:
        self.owner.flow.acknowledged = checked
        self.completeChanged.emit()

    def is_complete(self) -> bool:
        return self.owner.flow.can_enroll

    def validatePage(self) -> bool:
        try:
            self.owner.flow.enroll()
        except PharmDeskError as exc:
            show_error(self.error, exc)
            return False
        customer_id = self.owner.flow.customer_id
        if customer_id:
            self.owner.enrolled.emit(customer_id)
        return True
