"""Enroll a customer in a plan: customer, plan, schedule, review, done.

The pages only collect fields and show what ``EnrollmentFlow`` says; the flow holds the
rules. Nothing is written before the review page's "Enroll" button, so cancelling at any
earlier step leaves the database as it was.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget, QWizard

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.enrollment.customer_page import CustomerPage
from pharmdesk.ui.enrollment.done_page import DonePage
from pharmdesk.ui.enrollment.plan_page import PlanPage
from pharmdesk.ui.enrollment.review_page import ReviewPage
from pharmdesk.ui.enrollment.schedule_page import SchedulePage
from pharmdesk.ui.enrollment_flow import EnrollmentFlow

CUSTOMER_PAGE, PLAN_PAGE, SCHEDULE_PAGE, REVIEW_PAGE, DONE_PAGE = range(5)


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
