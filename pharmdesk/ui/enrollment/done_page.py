"""Step 5 of enrollment: the subscription id and next delivery; another plan, or the profile."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWizardPage

from pharmdesk.ui.enrollment.page_parts import STATUS_TEXT, escape_html, long_date
from pharmdesk.ui.widgets import rich_label

if TYPE_CHECKING:
    from pharmdesk.ui.enrollment.wizard import EnrollmentWizard


class DonePage(QWizardPage):
    """Step 5: the subscription id and next delivery; another plan, or the profile."""

    def __init__(self, wizard: EnrollmentWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Enrolled")
        self.result_label = rich_label()
        self.result_label.setObjectName("enrollResult")
        self.result_label.setWordWrap(True)
        self.another_button = QPushButton("Enroll in &another plan")
        self.another_button.setObjectName("enrollAnother")
        self.profile_button = QPushButton("Open &profile")
        self.profile_button.setObjectName("openProfile")
        for button in (self.another_button, self.profile_button):
            button.setAutoDefault(False)  # Enter means Finish, even with the focus here
        buttons = QHBoxLayout()
        buttons.addWidget(self.another_button)
        buttons.addWidget(self.profile_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.result_label)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.another_button.clicked.connect(self.owner.another_plan)
        self.profile_button.clicked.connect(self.owner.open_customer_profile)

    def initializePage(self) -> None:
        result = self.owner.flow.result or {}
        customer = self.owner.flow.customer or {}
        status = result.get("status", "")
        next_delivery = result.get("nextDelivery")
        lines = [
            f"<b>{escape_html(customer.get('name', ''))}</b> is enrolled in "
            f"<b>{escape_html(result.get('plan', {}).get('name', ''))}</b>.",
            f"Subscription: <b>{result.get('subscriptionId', '')}</b> — "
            f"{STATUS_TEXT.get(status, status)}",
        ]
        if next_delivery:
            lines.append(f"Next delivery: <b>{long_date(dt.date.fromisoformat(next_delivery))}</b>")
        if status == "pendingReview":
            lines.append("A pharmacist must review the allergy conflict before it starts.")
        self.result_label.setText("<br>".join(lines))
