"""Step 3 of enrollment: start date, delivery day and time; the first delivery shown live."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QFormLayout, QWizardPage

from pharmdesk.controllers.validation import WEEKDAYS
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.enrollment.page_parts import FREQUENCY_TEXT, long_date, show_error
from pharmdesk.ui.enrollment_flow import DELIVERY_TIMES, MAX_START_AHEAD
from pharmdesk.ui.widgets import DateEdit, error_label, rich_label

if TYPE_CHECKING:
    from pharmdesk.ui.enrollment.wizard import EnrollmentWizard


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
        text = f"First delivery: <b>{long_date(first)}</b>"
        if flow.plan is not None:
            text += f", then {FREQUENCY_TEXT.get(flow.plan.frequency, flow.plan.frequency)}"
        self.first.setText(text)

    def validatePage(self) -> bool:
        try:
            self.owner.flow.set_schedule(
                self.chosen_start(), self.day.currentData(), self.time.currentData()
            )
        except PharmDeskError as exc:
            show_error(self.error, exc)
            return False
        return True
