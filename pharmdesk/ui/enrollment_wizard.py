"""Enroll a customer in a plan: customer, plan, schedule, review, done.

The pages only collect fields and show what ``EnrollmentFlow`` says; the flow holds the
rules. Nothing is written before the review page's "Enroll" button, so cancelling at any
earlier step leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from pharmdesk.controllers.validation import WEEKDAYS
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.enrollment_flow import (
    DELIVERY_TIMES,
    MAX_START_AHEAD,
    EnrollmentFlow,
    PlanChoice,
)
from pharmdesk.ui.formatting import money, national_phone
from pharmdesk.ui.widgets import DateEdit, error_label, plain_label, rich_label
from pharmdesk.ui.wizard_page import CompletablePage

CUSTOMER_PAGE, PLAN_PAGE, SCHEDULE_PAGE, REVIEW_PAGE, DONE_PAGE = range(5)
SEARCH_DEBOUNCE_MS = 200
ID_ROLE = Qt.ItemDataRole.UserRole + 1
FREQUENCY_TEXT = {
    "weekly": "every week",
    "biweekly": "every two weeks",
    "monthly": "every month",
    "quarterly": "every three months",
}
STATUS_TEXT = {"active": "Active", "pendingReview": "Awaiting pharmacist review"}


def _long_date(day: dt.date) -> str:
    return day.strftime("%A %d %b %Y")


def _show_error(label: QLabel, exc: PharmDeskError) -> None:
    label.setText(exc.message)
    label.show()


class SearchLine(QLineEdit):
    """Enter runs a search that has not run yet; Enter again moves on (Next)."""

    search_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.searched: str | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.text() != self.searched:
            self.search_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class CustomerPage(CompletablePage):
    """Step 1 (skipped when started from a customer): find them as in the main table."""

    def __init__(self, wizard: EnrollmentWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Customer")
        self.setSubTitle(
            "Find the customer to enroll: a few letters of the name, phone digits or the CUST-id."
        )
        self.search = SearchLine()
        self.search.setObjectName("customerSearch")
        self.search.setPlaceholderText("Search customers")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search customers")
        self.results = QListWidget()
        self.results.setObjectName("customerResults")
        self.results.setAccessibleName("Matching customers")
        self.hint = plain_label("Type to search.")
        self.hint.setObjectName("emptySection")
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.search_now)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.search_requested.connect(self.search_now)
        self.results.currentItemChanged.connect(lambda *_: self.completeChanged.emit())
        self.results.itemDoubleClicked.connect(lambda _i: self.owner.next())

    def search_now(self) -> None:
        self._debounce.stop()
        self.error.hide()
        self.results.clear()
        self.search.searched = self.search.text()
        try:
            rows = self.owner.flow.search_customers(self.search.text())
        except PharmDeskError as exc:
            _show_error(self.error, exc)
            return
        for row in rows:
            phone = national_phone(row["phone"], self.owner.region)
            item = QListWidgetItem(f"{row['name']}  ·  {phone}  ·  {row['id']}")
            item.setData(ID_ROLE, row["id"])
            self.results.addItem(item)
        if rows:
            self.results.setCurrentRow(0)
            self.hint.setText(f"{len(rows)} shown. Pick one and press Next.")
        else:
            self.hint.setText(
                "No customer matches. Check the spelling or register the customer first."
                if self.search.text().strip()
                else "Type to search."
            )
        self.completeChanged.emit()

    def is_complete(self) -> bool:
        return self.results.currentItem() is not None

    def validatePage(self) -> bool:
        item = self.results.currentItem()
        if item is None:
            return False
        try:
            self.owner.flow.choose_customer(str(item.data(ID_ROLE)))
        except PharmDeskError as exc:
            _show_error(self.error, exc)
            return False
        return True


class PlanPage(CompletablePage):
    """Step 2: the active catalog, matching plans first, enrolled ones disabled."""

    def __init__(self, wizard: EnrollmentWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Plan")
        self.customer_label = rich_label()
        self.customer_label.setObjectName("wizardCustomer")
        self.customer_label.setWordWrap(True)
        self.filter = QLineEdit()
        self.filter.setObjectName("planFilter")
        self.filter.setPlaceholderText("Filter plans by name or medication")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter plans")
        self.list = QListWidget()
        self.list.setObjectName("planList")
        self.list.setAccessibleName("Plans")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(2)
        self.empty = plain_label()
        self.empty.setObjectName("emptySection")
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(self.customer_label)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.error)
        self.filter.textChanged.connect(lambda _t: self.fill())
        self.filter.installEventFilter(self)
        self.list.currentItemChanged.connect(lambda *_: self.completeChanged.emit())
        self.list.itemDoubleClicked.connect(lambda _i: self.owner.next())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the filter takes the first plan it shows (then a second Enter goes on):
        a typed filter never leaves the step with no plan chosen."""
        visible = self.filter.isVisible()
        if watched is self.filter and visible and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                first = self.first_selectable()
                current = self.list.currentItem()
                if first is not None and (current is None or current.isHidden()):
                    self.list.setCurrentItem(first)
                    self.list.setFocus()
                    return True
        return super().eventFilter(watched, event)

    def first_selectable(self) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.flags() & Qt.ItemFlag.ItemIsSelectable:
                return item
        return None

    def initializePage(self) -> None:
        flow = self.owner.flow
        self.error.hide()
        customer = flow.customer or {}
        conditions = ", ".join(customer.get("medicalConditions") or []) or "none recorded"
        self.setSubTitle("Choose the plan. Plans matching the customer's conditions come first.")
        self.customer_label.setText(
            f"<b>{_escape(customer.get('name', ''))}</b> ({_escape(customer.get('id', ''))})"
            f" — conditions: {_escape(conditions)}"
        )
        try:
            flow.load_catalog()
        except PharmDeskError as exc:
            _show_error(self.error, exc)
        self.fill()
        self.filter.setFocus()  # typing filters at once (Enter then takes the first plan)

    def _text(self, plan: PlanChoice) -> str:
        lines = [
            f"{plan.name} — {money(plan.price, self.owner.currency)}, "
            f"{FREQUENCY_TEXT.get(plan.frequency, plan.frequency)}"
        ]
        lines.append("    " + ", ".join(plan.medications))
        marks = []
        if plan.matches_condition:
            marks.append("matches condition")
        if plan.enrolled_as:
            marks.append(f"already enrolled ({plan.enrolled_as})")
        if marks:
            lines.append(
                "    ✓ " + " · ".join(marks) if plan.selectable else "    " + " · ".join(marks)
            )
        return "\n".join(lines)

    def fill(self) -> None:
        chosen = self.owner.flow.plan.id if self.owner.flow.plan else None
        self.list.clear()
        plans = self.owner.flow.plans(self.filter.text())
        for plan in plans:
            item = QListWidgetItem(self._text(plan))
            item.setData(ID_ROLE, plan.id)
            if not plan.selectable:
                item.setFlags(
                    item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable
                )
            self.list.addItem(item)
            if plan.id == chosen and plan.selectable:
                self.list.setCurrentItem(item)
        if not plans:
            self.empty.setText(
                "No plan matches the filter."
                if self.filter.text().strip()
                else "The catalog has no active plans. An admin can add them under Plans."
            )
            self.empty.show()
        else:
            self.empty.hide()
        self.completeChanged.emit()

    def plan_item(self, plan_id: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(ID_ROLE) == plan_id:
                return item
        return None

    def is_complete(self) -> bool:
        item = self.list.currentItem()
        return item is not None and bool(item.flags() & Qt.ItemFlag.ItemIsEnabled)

    def validatePage(self) -> bool:
        item = self.list.currentItem()
        if item is None:
            return False
        try:
            self.owner.flow.choose_plan(str(item.data(ID_ROLE)))
        except PharmDeskError as exc:
            _show_error(self.error, exc)
            return False
        return True


class SchedulePage(QWizardPage):
    """Step 3: start date, delivery day and time; the first delivery shown live."""

    def __init__(self, wizard: EnrollmentWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Schedule")
        self.setSubTitle("When should deliveries start, and when does the customer want them?")
        self.start = DateEdit()
        self.start.setObjectName("startDate")
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("ddd dd MMM yyyy")
        self.day = QComboBox()
        self.day.setObjectName("deliveryDay")
        self.day.addItem("Any day (deliver on the start date)", None)
        for name in WEEKDAYS:
            self.day.addItem(name, name)
        self.time = QComboBox()
        self.time.setObjectName("deliveryTime")
        self.time.addItem("Any time", None)
        for name in DELIVERY_TIMES:
            self.time.addItem(name.capitalize(), name)
        self.first = rich_label()
        self.first.setObjectName("firstDelivery")
        self.first.setWordWrap(True)
        self.error = error_label()
        form = QFormLayout(self)
        form.addRow("&Start date", self.start)
        form.addRow("Delivery &day", self.day)
        form.addRow("Time of da&y", self.time)
        form.addRow(self.first)
        form.addRow(self.error)
        self.start.dateChanged.connect(lambda _d: self.update_first())
        self.day.currentIndexChanged.connect(lambda _i: self.update_first())

    def initializePage(self) -> None:
        flow = self.owner.flow
        today = QDate(flow.today.year, flow.today.month, flow.today.day)
        self.start.setMinimumDate(today)
        self.start.setMaximumDate(today.addDays(MAX_START_AHEAD.days))
        start = flow.start_date
        self.start.setDate(QDate(start.year, start.month, start.day))
        self.day.setCurrentIndex(max(0, self.day.findData(flow.delivery_day)))
        self.time.setCurrentIndex(max(0, self.time.findData(flow.delivery_time)))
        self.update_first()

    def chosen_start(self) -> dt.date:
        value = self.start.date()
        return dt.date(value.year(), value.month(), value.day())

    def update_first(self) -> None:
        flow = self.owner.flow
        self.error.hide()
        first = flow.first_delivery(self.chosen_start(), self.day.currentData())
        text = f"First delivery: <b>{_long_date(first)}</b>"
        if flow.plan is not None:
            text += f", then {FREQUENCY_TEXT.get(flow.plan.frequency, flow.plan.frequency)}"
        self.first.setText(text)

    def validatePage(self) -> bool:
        try:
            self.owner.flow.set_schedule(
                self.chosen_start(), self.day.currentData(), self.time.currentData()
            )
        except PharmDeskError as exc:
            _show_error(self.error, exc)
            return False
        return True


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
        deliveries = ", ".join(_long_date(d) for d in flow.deliveries(3))
        rows = [
            ("Customer", f"{customer.get('name', '')} ({customer.get('id', '')})"),
            ("Plan", f"{plan.name} ({plan.id})"),
            ("Medications", ", ".join(plan.medications)),
            (
                "Price",
                f"{money(plan.price, self.owner.currency)} "
                f"{FREQUENCY_TEXT.get(plan.frequency, plan.frequency)}",
            ),
            ("Start date", _long_date(flow.start_date)),
            ("Delivery", f"{flow.delivery_day or 'any day'}, {flow.delivery_time or 'any time'}"),
            ("First deliveries", deliveries),
        ]
        self.summary.setText(
            "<table cellpadding='3'>"
            + "".join(f"<tr><td><b>{k}</b></td><td>{_escape(v)}</td></tr>" for k, v in rows)
            + "</table>"
        )
        self.acknowledge.blockSignals(True)
        self.acknowledge.setChecked(False)
        self.acknowledge.blockSignals(False)
        try:
            warnings = flow.check_conflicts()
        except PharmDeskError as exc:
            warnings = []
            _show_error(self.error, exc)
        if warnings:
            self.warnings.setText("<br>".join("⚠ " + _escape(w["message"]) for w in warnings))
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
            _show_error(self.error, exc)
            return False
        customer_id = self.owner.flow.customer_id
        if customer_id:
            self.owner.enrolled.emit(customer_id)
        return True


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
            f"<b>{_escape(customer.get('name', ''))}</b> is enrolled in "
            f"<b>{_escape(result.get('plan', {}).get('name', ''))}</b>.",
            f"Subscription: <b>{result.get('subscriptionId', '')}</b> — "
            f"{STATUS_TEXT.get(status, status)}",
        ]
        if next_delivery:
            lines.append(
                f"Next delivery: <b>{_long_date(dt.date.fromisoformat(next_delivery))}</b>"
            )
        if status == "pendingReview":
            lines.append("A pharmacist must review the allergy conflict before it starts.")
        self.result_label.setText("<br>".join(lines))


def _escape(text: str) -> str:
    from html import escape

    return escape(str(text))


class EnrollmentWizard(QWizard):
    """The five steps; ``enrolled`` fires after each successful enrollment."""

    enrolled = Signal(str)  # customer id
    profile_requested = Signal(str)  # customer id

    def __init__(
        self,
        desk: DeskContext,
        customer_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        settings: dict[str, Any] = desk.settings()
        self.currency = str(settings.get("currency", "NGN"))
        self.region = str(settings.get("defaultRegion", "NG"))
        self.flow = EnrollmentFlow(desk.call, desk.clock.today(), customer_id)
        self.setObjectName("enrollmentWizard")
        self.setWindowTitle("Enroll in plan")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.customer_page = CustomerPage(self)
        self.plan_page = PlanPage(self)
        self.schedule_page = SchedulePage(self)
        self.review_page = ReviewPage(self)
        self.done_page = DonePage(self)
        self.setPage(CUSTOMER_PAGE, self.customer_page)
        self.setPage(PLAN_PAGE, self.plan_page)
        self.setPage(SCHEDULE_PAGE, self.schedule_page)
        self.setPage(REVIEW_PAGE, self.review_page)
        self.setPage(DONE_PAGE, self.done_page)
        self.setStartId(PLAN_PAGE if customer_id is not None else CUSTOMER_PAGE)
        self.resize(640, 520)

    def another_plan(self) -> None:
        self.flow.another_plan()
        self.setStartId(PLAN_PAGE)
        self.restart()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Opened for a known customer it starts at the plan step: typing goes to the
        # filter, never to a button (Enter on a focused Cancel would throw it away).
        # After the show settles: the wizard moves the focus to a button of its own then.
        QTimer.singleShot(0, self._focus_first_field)

    def _focus_first_field(self) -> None:
        if self.currentPage() is self.plan_page and self.plan_page.filter.isVisible():
            self.plan_page.filter.setFocus()

    def open_customer_profile(self) -> None:
        customer_id = self.flow.customer_id
        if customer_id:
            self.profile_requested.emit(customer_id)
        self.accept()
