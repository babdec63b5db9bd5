"""The profile's plans: a row per plan with the controls its status allows, and what
those controls do (pause, resume, cancel; a pharmacist's approve or reject)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.confirm import Ask
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.plan_controls import (
    PauseDialog,
    PlanRow,
    ReviewDialog,
    can_review,
    conflict_lines,
)
from pharmdesk.ui.profile_dialog.header import empty_section
from pharmdesk.ui.widgets import error_label


class PlansSection(QWidget):
    """The plan rows of one customer. ``changed`` after a change made here; ``refused``
    (with the message) when a change was refused, e.g. changed at another desk meanwhile.
    The pause and review dialogs belong to ``host`` (the profile): this section is rebuilt
    when the profile re-reads itself, and a dialog must outlive that."""

    changed = Signal()
    refused = Signal(str)

    def __init__(
        self,
        desk: DeskContext,
        details: dict[str, Any],
        *,
        today: dt.date,
        ask: Ask,
        host: QWidget,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.details = details
        self.ask = ask
        self.host = host
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.plan_error = error_label()
        self.plan_error.setObjectName("planError")
        layout.addWidget(self.plan_error)
        self.plan_rows = [self._plan_row(plan, today) for plan in details["plans"]]
        for row in self.plan_rows:
            layout.addWidget(row)
        if not self.plan_rows:
            layout.addWidget(empty_section("Not enrolled in any plan."))

    def _plan_row(self, plan: dict[str, Any], today: dt.date) -> PlanRow:
        row = PlanRow(
            plan,
            today=today,
            allergies=list(self.details.get("allergies") or []),
            reviewer=can_review(self.desk),
            writable=not self.details.get("archived"),
        )
        row.pause.connect(self.pause_plan)
        row.resume.connect(self.resume_plan)
        row.cancel.connect(self.cancel_plan)
        row.review.connect(self.review_plan)
        return row

    def pause_plan(self, plan: dict[str, Any]) -> None:
        dialog = PauseDialog(self.desk, plan, self.host)
        dialog.paused.connect(lambda _answer: self.changed.emit())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        self.pause_dialog = dialog

    def resume_plan(self, plan: dict[str, Any]) -> None:
        """Resume at once: nothing to choose (a passed delivery date moves to today)."""
        try:
            self.desk.call("resumeCustomerPlan", {"subscriptionId": plan["subscriptionId"]})
        except PharmDeskError as exc:
            self.refused.emit(exc.message)
            return
        self.changed.emit()

    def cancel_plan(self, plan: dict[str, Any]) -> None:
        question = (
            f"Cancel {plan['name']} ({plan['subscriptionId']}) for {self.details['name']}?\n\n"
            "This stops future deliveries and cannot be undone; to restart later, enroll "
            "the customer again."
        )
        if not self.ask("Cancel plan?", question):
            return
        try:
            self.desk.call("cancelCustomerPlan", {"subscriptionId": plan["subscriptionId"]})
        except PharmDeskError as exc:
            self.refused.emit(exc.message)
            return
        self.changed.emit()

    def review_plan(self, plan: dict[str, Any], approve: bool) -> None:
        dialog = ReviewDialog(
            self.desk,
            plan,
            approve,
            customer_name=self.details["name"],
            conflicts=conflict_lines(
                list(self.details.get("allergies") or []), list(plan["medications"])
            ),
            parent=self.host,
        )
        dialog.reviewed.connect(lambda _answer: self.changed.emit())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        self.review_dialog = dialog
