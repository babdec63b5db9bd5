"""The enrollment wizard clicked through as a person would, checked against the database."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QWizard
from sqlalchemy import func, select

from pharmdesk.store.schema import AuditEntry, Subscription
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.enrollment.wizard import (
    CUSTOMER_PAGE,
    DONE_PAGE,
    PLAN_PAGE,
    REVIEW_PAGE,
    SCHEDULE_PAGE,
    EnrollmentWizard,
)

NEXT = QWizard.WizardButton.NextButton
COMMIT = QWizard.WizardButton.CommitButton
CANCEL = QWizard.WizardButton.CancelButton
FINISH = QWizard.WizardButton.FinishButton


def _plan(desk: DeskContext, name: str, medications: list[str], frequency: str = "monthly") -> str:
    params = {"name": name, "medications": medications, "frequency": frequency, "price": 18500}
    return str(desk.call("addPlan", params)["planId"])


@pytest.fixture
def catalog(signed_in_desk: DeskContext) -> dict[str, str]:
    return {
        "hypertension": _plan(signed_in_desk, "Hypertension Care", ["Amlodipine 5mg"]),
        "diabetes": _plan(signed_in_desk, "Diabetes Care Monthly", ["Metformin 500mg"]),
        "chest": _plan(signed_in_desk, "Chest Infection Pack", ["Amoxicillin 500mg"], "weekly"),
    }


def _customer(desk: DeskContext, name: str, phone: str, **extra: Any) -> str:
    params = {"name": name, "phone": phone, **extra}
    return str(desk.call("addProviderCustomer", params)["customerId"])


def _wizard(qtbot, desk: DeskContext, customer_id: str | None = None) -> EnrollmentWizard:
    wizard = EnrollmentWizard(desk, customer_id)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    return wizard


def _click(qtbot, wizard: EnrollmentWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isVisible() and button.isEnabled(), which
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _pick_plan(qtbot, wizard: EnrollmentWizard, plan_id: str) -> None:
    item = wizard.plan_page.plan_item(plan_id)
    assert item is not None
    rect = wizard.plan_page.list.visualItemRect(item)
    qtbot.mouseClick(wizard.plan_page.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _subscriptions(desk: DeskContext) -> int:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        return int(tx.scalar(select(func.count()).select_from(Subscription)) or 0)


def _audit(desk: DeskContext, action: str) -> list[AuditEntry]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def test_click_through_from_search_to_done(
    qtbot, signed_in_desk: DeskContext, catalog: dict[str, str]
) -> None:
    desk = signed_in_desk
    kemi = _customer(
        desk,
        "Kemi Bello",
        "08031112222",
        medicalConditions=["Diabetes Type 2"],
        noKnownAllergies=True,
    )
    _customer(desk, "Tunde Adeyemi", "08031113333")
    wizard = _wizard(qtbot, desk)
    enrolled: list[str] = []
    wizard.enrolled.connect(enrolled.append)
    assert wizard.currentId() == CUSTOMER_PAGE
    assert not wizard.button(NEXT).isEnabled()  # nobody chosen yet

    page = wizard.customer_page
    page.search.setFocus()
    qtbot.keyClicks(page.search, "kemi")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.results.count() == 1
    assert "Kemi Bello" in page.results.item(0).text()
    assert "0803 111 2222" in page.results.item(0).text()
    assert wizard.currentId() == CUSTOMER_PAGE  # the first Enter searched
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # the second one moves on

    assert wizard.currentId() == PLAN_PAGE
    plans = wizard.plan_page
    texts = [plans.list.item(i).text() for i in range(plans.list.count())]
    assert texts[0].startswith("Diabetes Care Monthly — ₦18,500, every month")
    assert "matches condition" in texts[0]
    assert "Metformin 500mg" in texts[0]
    qtbot.keyClicks(plans.filter, "amlo")
    assert plans.list.count() == 1
    plans.filter.clear()
    assert plans.list.count() == 3
    _pick_plan(qtbot, wizard, catalog["diabetes"])
    _click(qtbot, wizard, NEXT)

    assert wizard.currentId() == SCHEDULE_PAGE
    schedule = wizard.schedule_page
    assert schedule.start.date() == QDate(2026, 4, 18)
    assert schedule.start.minimumDate() == QDate(2026, 4, 18)  # not before today
    assert schedule.start.maximumDate() == QDate(2027, 4, 19)  # within a year
    assert "Saturday 18 Apr 2026" in schedule.first.text()
    schedule.start.setDate(QDate(2026, 4, 22))  # picked from the calendar
    schedule.day.setFocus()
    qtbot.keyClicks(schedule.day, "Monday")
    assert schedule.day.currentData() == "Monday"
    assert "Monday 27 Apr 2026" in schedule.first.text()  # live
    assert "then every month" in schedule.first.text()
    schedule.time.setCurrentIndex(schedule.time.findData("afternoon"))
    _click(qtbot, wizard, NEXT)

    assert wizard.currentId() == REVIEW_PAGE
    review = wizard.review_page
    summary = review.summary.text()
    for part in (
        "Kemi Bello",
        "Diabetes Care Monthly",
        "₦18,500 every month",
        "Wednesday 22 Apr 2026",
        "Monday, afternoon",
        "Monday 27 Apr 2026",
    ):
        assert part in summary
    assert review.warnings.isHidden() and review.acknowledge.isHidden()
    assert _subscriptions(desk) == 0  # nothing written before Enroll
    assert wizard.button(COMMIT).text() == "&Enroll"
    _click(qtbot, wizard, COMMIT)

    assert wizard.currentId() == DONE_PAGE
    assert enrolled == [kemi]
    done = wizard.done_page.result_label.text()
    assert "SUB-1" in done and "Monday 27 Apr 2026" in done and "Active" in done
    details = desk.call("viewProviderCustomerDetails", {"customerId": kemi})
    [plan] = details["plans"]
    assert (plan["id"], plan["subscriptionId"], plan["status"], plan["nextDelivery"]) == (
        catalog["diabetes"],
        "SUB-1",
        "active",
        "2026-04-27",
    )
    [entry] = _audit(desk, "enroll")
    assert entry.entity_id == kemi
    _click(qtbot, wizard, FINISH)
    assert not wizard.isVisible()


def test_an_allergy_conflict_needs_the_box_ticked_and_is_audited(
    qtbot, signed_in_desk: DeskContext, catalog: dict[str, str]
) -> None:
    desk = signed_in_desk
    ada = _customer(desk, "Ada Obi", "08031114444", allergies=["Penicillin"])
    wizard = _wizard(qtbot, desk, ada)
    assert wizard.currentId() == PLAN_PAGE  # started from the customer
    _pick_plan(qtbot, wizard, catalog["chest"])
    _click(qtbot, wizard, NEXT)
    _click(qtbot, wizard, NEXT)
    review = wizard.review_page
    assert wizard.currentId() == REVIEW_PAGE
    assert review.warnings.isVisible()
    assert "Amoxicillin 500mg" in review.warnings.text()
    assert review.acknowledge.isVisible()
    assert not wizard.button(COMMIT).isEnabled()
    qtbot.mouseClick(review.acknowledge, Qt.MouseButton.LeftButton)
    assert wizard.button(COMMIT).isEnabled()
    qtbot.mouseClick(review.acknowledge, Qt.MouseButton.LeftButton)  # untick: off again
    assert not wizard.button(COMMIT).isEnabled()
    review.acknowledge.setFocus()
    qtbot.keyClick(review.acknowledge, Qt.Key.Key_Space)
    _click(qtbot, wizard, COMMIT)
    assert wizard.currentId() == DONE_PAGE
    assert "Awaiting pharmacist review" in wizard.done_page.result_label.text()
    [plan] = desk.call("viewProviderCustomerDetails", {"customerId": ada})["plans"]
    assert plan["status"] == "pendingReview"
    ack, enroll = _audit(desk, "enroll")
    assert ack.user == "admin" and ack.entity_id == ada
    assert "acknowledgeConflicts" in str(ack.detail)
    assert "pendingReview" in str(enroll.detail)


@pytest.mark.parametrize("page", [CUSTOMER_PAGE, PLAN_PAGE, SCHEDULE_PAGE, REVIEW_PAGE])
def test_cancel_at_any_step_writes_nothing(
    qtbot, signed_in_desk: DeskContext, catalog: dict[str, str], page: int
) -> None:
    desk = signed_in_desk
    _customer(desk, "Ada Obi", "08031114444", allergies=["Penicillin"])
    wizard = _wizard(qtbot, desk)
    wizard.customer_page.search.setText("ada")
    wizard.customer_page.search_now()
    if page > CUSTOMER_PAGE:
        _click(qtbot, wizard, NEXT)
    if page > PLAN_PAGE:
        _pick_plan(qtbot, wizard, catalog["chest"])
        _click(qtbot, wizard, NEXT)
    if page > SCHEDULE_PAGE:
        _click(qtbot, wizard, NEXT)
        qtbot.mouseClick(wizard.review_page.acknowledge, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == page
    _click(qtbot, wizard, CANCEL)
    assert not wizard.isVisible()
    assert _subscriptions(desk) == 0
    assert _audit(desk, "enroll") == []


def test_enrolled_plans_are_disabled_and_enroll_in_another(
    qtbot, signed_in_desk: DeskContext, catalog: dict[str, str]
) -> None:
    desk = signed_in_desk
    bisi = _customer(desk, "Bisi Ade", "08031115555", noKnownAllergies=True)
    desk.call("addCustomerPlan", {"customerId": bisi, "planId": catalog["hypertension"]})
    wizard = _wizard(qtbot, desk, bisi)
    item = wizard.plan_page.plan_item(catalog["hypertension"])
    assert item is not None
    assert "already enrolled (SUB-1)" in item.text()
    assert not item.flags() & Qt.ItemFlag.ItemIsEnabled
    _pick_plan(qtbot, wizard, catalog["hypertension"])  # clicking a disabled row does nothing
    assert not wizard.button(NEXT).isEnabled()
    _pick_plan(qtbot, wizard, catalog["diabetes"])
    _click(qtbot, wizard, NEXT)
    _click(qtbot, wizard, NEXT)
    _click(qtbot, wizard, COMMIT)
    assert wizard.currentId() == DONE_PAGE
    qtbot.mouseClick(wizard.done_page.another_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PLAN_PAGE
    for plan in ("hypertension", "diabetes"):
        item = wizard.plan_page.plan_item(catalog[plan])
        assert item is not None and not item.flags() & Qt.ItemFlag.ItemIsEnabled
    _pick_plan(qtbot, wizard, catalog["chest"])
    _click(qtbot, wizard, NEXT)
    _click(qtbot, wizard, NEXT)
    _click(qtbot, wizard, COMMIT)
    assert (
        desk.call("viewProviderCustomerDetails", {"customerId": bisi})["stats"]["activePlans"] == 3
    )
    opened: list[str] = []
    wizard.profile_requested.connect(opened.append)
    qtbot.mouseClick(wizard.done_page.profile_button, Qt.MouseButton.LeftButton)
    assert opened == [bisi]
    assert not wizard.isVisible()


def test_an_error_from_the_controller_shows_on_the_review_page(
    qtbot, signed_in_desk: DeskContext, catalog: dict[str, str]
) -> None:
    desk = signed_in_desk
    bisi = _customer(desk, "Bisi Ade", "08031115555", noKnownAllergies=True)
    wizard = _wizard(qtbot, desk, bisi)
    _pick_plan(qtbot, wizard, catalog["diabetes"])
    _click(qtbot, wizard, NEXT)
    _click(qtbot, wizard, NEXT)
    desk.call("updatePlan", {"planId": catalog["diabetes"], "active": False})  # meanwhile
    _click(qtbot, wizard, COMMIT)
    assert wizard.currentId() == REVIEW_PAGE
    assert wizard.review_page.error.isVisible()
    assert "retired" in wizard.review_page.error.text()
    assert _subscriptions(desk) == 0


def test_no_match_and_empty_catalog_say_so(qtbot, signed_in_desk: DeskContext) -> None:
    desk = signed_in_desk
    bisi = _customer(desk, "Bisi Ade", "08031115555")
    wizard = _wizard(qtbot, desk)
    wizard.customer_page.search.setText("zzzz")
    wizard.customer_page.search_now()
    assert "No customer matches" in wizard.customer_page.hint.text()
    assert not wizard.button(NEXT).isEnabled()
    other = _wizard(qtbot, desk, bisi)
    assert other.plan_page.empty.isVisible()
    assert "no active plans" in other.plan_page.empty.text()
