"""A subscription's controls: one row per plan in the profile, and the dialogs behind them.

Each row shows the plan as the customer has it (name, medications, status, next delivery,
an overdue delivery in red) and only the buttons its status allows:

- active: Pause… and Cancel…; paused: Resume and Cancel…;
- awaiting review: its allergy warnings, and for pharmacists and admins Approve… and
  Reject… (each with a required reason, ``reviewCustomerPlan``); front-desk staff see
  "awaiting pharmacist review" and no buttons (DESIGN.md, clinical governance);
- cancelled, or an archived customer: nothing to press.

The rows only ask; ``ProfileDialog`` runs the operations and re-reads the profile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers.allergy_check import allergy_conflicts
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.form_dialog import FormDialog
from pharmdesk.ui.formatting import day
from pharmdesk.ui.widgets import DateEdit, heading, plain_label, rich_label

ACTIVE, PAUSED, PENDING_REVIEW, CANCELLED = "active", "paused", "pendingReview", "cancelled"
STATUS_TEXT = {
    ACTIVE: "Active",
    PENDING_REVIEW: "Awaiting pharmacist review",
    PAUSED: "Paused",
    CANCELLED: "Cancelled",
}
DEFAULT_PAUSE_DAYS = 14
BUTTON_WIDTH = 120


def can_review(desk: DeskContext) -> bool:
    """Whether this person decides held enrollments (the registry's roles for
    reviewCustomerPlan: pharmacists and admins)."""
    return desk.may("reviewCustomerPlan")


def is_overdue(plan: dict[str, Any], today: dt.date) -> bool:
    nxt = plan.get("nextDelivery")
    return plan.get("status") == ACTIVE and bool(nxt) and dt.date.fromisoformat(str(nxt)) < today


def delivery_text(plan: dict[str, Any], today: dt.date) -> str:
    """What the row says about the next delivery, in words that fit the status."""
    nxt = plan.get("nextDelivery")
    status = plan.get("status")
    if status == CANCELLED or not nxt:
        return "No further deliveries" if status == CANCELLED else "Next delivery not set"
    due = dt.date.fromisoformat(str(nxt))
    if status == PAUSED:
        # A pause with a resume date moved the next delivery to it; without one, a date
        # that has passed means "as soon as someone resumes it".
        return (
            f"Next delivery {day(nxt)}, when the pause ends"
            if due >= today
            else "Next delivery when resumed"
        )
    if status == PENDING_REVIEW:
        return f"First delivery {day(nxt)} once approved"
    if due < today:
        days = (today - due).days
        return f"Next delivery {day(nxt)} — overdue {days} day{'s' if days != 1 else ''}"
    if due == today:
        return f"Next delivery {day(nxt)} (today)"
    return f"Next delivery {day(nxt)}"


def conflict_lines(allergies: list[str], medications: list[str]) -> list[str]:
    """The allergy warnings for a held plan, computed as enrollment computes them."""
    return [w["message"] for w in allergy_conflicts(allergies, medications)]


class PlanRow(QFrame):
    """One subscription in the profile, with the buttons its status allows."""

    pause = Signal(dict)
    resume = Signal(dict)
    cancel = Signal(dict)
    review = Signal(dict, bool)  # plan, approve

    def __init__(
        self,
        plan: dict[str, Any],
        *,
        today: dt.date,
        allergies: list[str],
        reviewer: bool,
        writable: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        status = str(plan["status"])
        self.setObjectName("planRow")
        self.setProperty("status", status)
        self.buttons: dict[str, QPushButton] = {}

        self.name = plain_label(f"{plan['name']}  ·  {plan['subscriptionId']}")
        self.name.setObjectName("planName")
        self.status = plain_label(STATUS_TEXT.get(status, status))
        self.status.setObjectName("planStatus")
        self.status.setProperty("status", status)
        self.medications = plain_label(", ".join(plan["medications"]))
        self.medications.setObjectName("planMedications")
        self.medications.setWordWrap(True)
        self.delivery = plain_label(delivery_text(plan, today))
        self.delivery.setObjectName("planDelivery")
        self.delivery.setProperty("overdue", "true" if is_overdue(plan, today) else "false")

        title = QHBoxLayout()
        title.setSpacing(10)
        title.addWidget(self.name)
        title.addWidget(self.status)
        title.addStretch(1)
        details = QVBoxLayout()
        details.setSpacing(2)
        details.addLayout(title)
        details.addWidget(self.medications)
        details.addWidget(self.delivery)
        if status == PENDING_REVIEW:
            lines = conflict_lines(allergies, list(plan["medications"]))
            self.conflicts = plain_label(
                "\n".join(f"⚠ {line}" for line in lines)
                or "No conflict with the allergies on file now; it still needs a decision."
            )
            self.conflicts.setObjectName("planConflicts")
            self.conflicts.setWordWrap(True)
            details.addWidget(self.conflicts)
            if not reviewer:
                wait = plain_label(
                    "Awaiting pharmacist review: a pharmacist or admin must approve it before "
                    "any delivery."
                )
                wait.setObjectName("reviewWait")
                wait.setWordWrap(True)
                details.addWidget(wait)

        actions = QVBoxLayout()
        actions.setSpacing(4)
        if writable:
            for key, text, signal_args in self._actions(status, reviewer):
                button = QPushButton(text)
                button.setObjectName(key)
                button.setMinimumWidth(BUTTON_WIDTH)  # the rows' buttons line up
                button.setAccessibleName(f"{text.replace('&', '').rstrip('…')} {plan['name']}")
                button.clicked.connect(signal_args)
                actions.addWidget(button)
                self.buttons[key] = button
        actions.addStretch(1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(details, 1)
        layout.addLayout(actions)

    def _actions(self, status: str, reviewer: bool) -> list[tuple[str, str, Callable[[], None]]]:
        plan = self.plan
        if status == ACTIVE:
            return [
                ("pausePlan", "&Pause…", lambda: self.pause.emit(plan)),
                ("cancelPlan", "Cancel pla&n…", lambda: self.cancel.emit(plan)),
            ]
        if status == PAUSED:
            return [
                ("resumePlan", "Res&ume", lambda: self.resume.emit(plan)),
                ("cancelPlan", "Cancel pla&n…", lambda: self.cancel.emit(plan)),
            ]
        if status == PENDING_REVIEW and reviewer:
            return [
                ("approvePlan", "&Approve…", lambda: self.review.emit(plan, True)),
                ("rejectPlan", "Re&ject…", lambda: self.review.emit(plan, False)),
            ]
        return []


# -- dialogs ------------------------------------------------------------------------------------


class PauseDialog(FormDialog):
    """Pause a plan, until a date (deliveries restart by themselves) or until resumed."""

    paused = Signal(dict)  # pauseCustomerPlan's answer

    def __init__(
        self, desk: DeskContext, plan: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__("&Pause plan", "confirmPause", parent)
        self.desk = desk
        self.plan = plan
        self.setObjectName("pauseDialog")
        self.setWindowTitle(f"Pause {plan['name']}")
        tomorrow = desk.clock.today() + dt.timedelta(days=1)
        self.until = QCheckBox("&Resume automatically on")
        self.until.setObjectName("pauseUntil")
        self.until.setChecked(True)
        self.resume_date = DateEdit()
        self.resume_date.setObjectName("resumeDate")
        self.resume_date.setCalendarPopup(True)
        self.resume_date.setDisplayFormat("dd MMM yyyy")
        self.resume_date.setAccessibleName("Resume date")
        self.resume_date.setMinimumDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
        start = desk.clock.today() + dt.timedelta(days=DEFAULT_PAUSE_DAYS)
        self.resume_date.setDate(QDate(start.year, start.month, start.day))
        row = QHBoxLayout()
        row.addWidget(self.until)
        row.addWidget(self.resume_date)
        row.addStretch(1)
        form = QFormLayout()
        form.addRow("Plan", plain_label(f"{plan['name']} ({plan['subscriptionId']})"))
        form.addRow("Until", row)
        self.finish(form)
        self.until.toggled.connect(self._explain)
        self.resume_date.dateChanged.connect(lambda _d: self._explain())
        self._explain()
        self.resize(460, self.sizeHint().height())

    def chosen_date(self) -> dt.date | None:
        if not self.until.isChecked():
            return None
        value = self.resume_date.date()
        return dt.date(value.year(), value.month(), value.day())

    def _explain(self) -> None:
        self.resume_date.setEnabled(self.until.isChecked())
        chosen = self.chosen_date()
        if chosen is None:
            self.set_note("No deliveries until someone presses Resume on the customer's profile.")
        else:
            self.set_note(
                f"No deliveries until {chosen.strftime('%d %b %Y')}; the plan restarts by "
                "itself that day (the first delivery falls on the preferred delivery day)."
            )

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"subscriptionId": self.plan["subscriptionId"]}
        chosen = self.chosen_date()
        if chosen is not None:
            params["resumeDate"] = chosen.isoformat()
        return params

    def save(self) -> None:
        self.error.hide()
        try:
            answer = self.desk.call("pauseCustomerPlan", self.params())
        except PharmDeskError as exc:
            self.show_refusal(exc, {"resumeDate": self.resume_date})
            return
        self.answer = answer
        self.paused.emit(answer)
        self.accept()


class ReviewDialog(FormDialog):
    """A pharmacist's decision on a held enrollment: approve or reject, with a reason."""

    reviewed = Signal(dict)  # reviewCustomerPlan's answer

    def __init__(
        self,
        desk: DeskContext,
        plan: dict[str, Any],
        approve: bool,
        *,
        customer_name: str,
        conflicts: list[str],
        parent: QWidget | None = None,
    ) -> None:
        verb = "Approve" if approve else "Reject"
        super().__init__(f"&{verb}", "confirmReview", parent)
        self.desk = desk
        self.plan = plan
        self.approve = approve
        self.setObjectName("reviewDialog")
        self.setWindowTitle(f"{verb} {plan['name']} for {customer_name}")
        warning = rich_label(
            "<br>".join(f"⚠ {escape(line)}" for line in conflicts)
            or "No conflict with the allergies on file now."
        )
        warning.setObjectName("reviewConflicts")
        warning.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reviewReason")
        self.reason.setTabChangesFocus(True)
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText(
            "e.g. Discussed with the prescriber; no previous reaction to cephalosporins"
            if approve
            else "e.g. Penicillin allergy confirmed; prescriber asked for an alternative"
        )
        self.reason.setFixedHeight(90)
        form = QFormLayout()
        form.addRow("Customer", plain_label(customer_name))
        form.addRow("Plan", plain_label(f"{plan['name']} ({plan['subscriptionId']})"))
        form.addRow("Medications", _wrapped(", ".join(plan["medications"])))
        form.addRow("Warnings", warning)
        form.addRow("&Reason (required)", self.reason)
        self.finish(form, top=heading(f"{verb} this enrollment?"))
        self.set_note(
            "Approving starts deliveries (a first delivery that has passed moves to today)."
            if approve
            else "Rejecting cancels the enrollment; no delivery is made."
        )
        self.resize(560, self.sizeHint().height())

    def save(self) -> None:
        self.error.hide()
        reason = self.reason.toPlainText().strip()
        if not reason:
            self.error.setText(
                "Write the reason for your decision: it is kept with the subscription's "
                "history and in the audit log."
            )
            self.error.show()
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        try:
            answer = self.desk.call(
                "reviewCustomerPlan",
                {
                    "subscriptionId": self.plan["subscriptionId"],
                    "approve": self.approve,
                    "reason": reason,
                },
            )
        except PharmDeskError as exc:
            self.show_refusal(exc, {"reason": self.reason})
            return
        self.answer = answer
        self.reviewed.emit(answer)
        self.accept()


def _wrapped(text: str) -> QLabel:
    label = plain_label(text)
    label.setWordWrap(True)
    return label
