"""The profile dialog: the seed example in every place, and each plan row's controls
(pause, resume, cancel; a pharmacist's approve and reject) clicked as a person would,
checked against the database and the audit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QPushButton
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.plan_controls import PlanRow
from pharmdesk.ui.profile_dialog import ProfileDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD
from tools.screenshots.example import EXAMPLE_DAYS, build_profile_example

FRONT_DESK_PASSWORD = "femi likes long walks 2026"
PHARMACIST_PASSWORD = "ngozi likes long walks 2026"


def _audit(desk: DeskContext, action: str) -> list[AuditEntry]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def _profile(qtbot, desk: DeskContext, customer: str, **kw: Any) -> ProfileDialog:  # type: ignore[no-untyped-def]
    dialog = ProfileDialog(desk, customer, **kw)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _row(dialog: ProfileDialog, subscription: str) -> PlanRow:
    [row] = [r for r in dialog.plan_rows if r.plan["subscriptionId"] == subscription]
    return row


def _click(qtbot, row: PlanRow, key: str) -> None:  # type: ignore[no-untyped-def]
    button = row.buttons[key]
    assert isinstance(button, QPushButton) and button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _plan(desk: DeskContext, name: str, medications: list[str], price: int = 15000) -> str:
    return str(
        desk.call(
            "addPlan",
            {"name": name, "medications": medications, "frequency": "monthly", "price": price},
        )["planId"]
    )


def _sign_in_as(desk: DeskContext, username: str, role: str, password: str) -> None:
    """Add the staff member (as the admin signed in now) and sign in as them."""
    desk.call(
        "addStaff",
        {"username": username, "fullName": username.title(), "role": role, "password": password},
    )
    desk.sign_in(username, password)


@pytest.fixture
def enrolled(signed_in_desk: DeskContext) -> dict[str, str]:
    desk = signed_in_desk
    plan = _plan(desk, "Hypertension Care", ["Amlodipine 5mg"])
    customer = desk.call(
        "addProviderCustomer",
        {"name": "Kemi Bello", "phone": "08031112222", "noKnownAllergies": True},
    )["customerId"]
    sub = desk.call(
        "addCustomerPlan",
        {"customerId": customer, "planId": plan, "preferences": {"deliveryDay": "Monday"}},
    )["subscriptionId"]
    return {"customer": customer, "plan": plan, "sub": sub}


@pytest.fixture
def held(signed_in_desk: DeskContext) -> dict[str, str]:
    """A Penicillin-allergic customer enrolled in an Amoxicillin plan: pendingReview."""
    desk = signed_in_desk
    plan = _plan(desk, "Chest Course", ["Amoxicillin 500mg"], price=4000)
    customer = desk.call(
        "addProviderCustomer",
        {"name": "Tunde Ojo", "phone": "08035556666", "allergies": ["Penicillin"]},
    )["customerId"]
    sub = desk.call("addCustomerPlan", {"customerId": customer, "planId": plan})
    assert sub["status"] == "pendingReview"
    return {"customer": customer, "plan": plan, "sub": sub["subscriptionId"]}


# -- the seed example ----------------------------------------------------------------------------
def test_the_seed_example_shows_every_value_in_its_place(
    qtbot, signed_in_desk: DeskContext, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    desk = signed_in_desk
    customer = build_profile_example(desk, clock)
    views_before = len(_audit(desk, "view"))
    dialog = _profile(qtbot, desk, customer)
    assert len(_audit(desk, "view")) == views_before + 1  # one opening, one view entry
    qtbot.waitExposed(dialog)
    today = dt.date(2026, 4, 18) + dt.timedelta(days=EXAMPLE_DAYS)  # Tuesday 28 April

    assert dialog.windowTitle() == f"John Doe — {customer}"
    assert dialog.name_label.text() == "John Doe"
    assert dialog.allergy_banner.property("state") == "recorded"
    assert (
        dialog.allergy_banner.text() == "⚠ ALLERGIES: Penicillin — confirmed 18 Apr 2026 by admin"
    )
    assert dialog.phone_text == "0801 234 5678"
    texts = [label.text() for label in dialog.body.findChildren(type(dialog.name_label))]
    assert f"{customer} · 46 years (born 25 Mar 1980)" in texts
    assert "Email: john@example.com\nAddress: 12 Admiralty Way, Lekki, Lagos" in texts
    assert dialog.conditions_label.text() == "Conditions: Diabetes Type 2, Hypertension"
    assert "Prefers morning deliveries. Contact before arrival." in texts

    cards = {card.findChildren(type(dialog.name_label))[0].text(): card for card in dialog.cards}
    assert cards["Orders"].value.text() == "3"  # completed only
    assert cards["Total spent"].value.text() == "₦35,500"
    assert cards["Active plans"].value.text() == "1"
    assert cards["Last order"].value.text() == "25 Apr 2026"
    detail = [w.text() for w in cards["Last order"].findChildren(type(dialog.name_label))]
    assert "3 days ago" in detail

    rows = {row.plan["name"]: row for row in dialog.plan_rows}
    assert dialog.plan_rows[0].plan["name"] == "Diabetes Monthly"  # active first
    assert {name: row.status.text() for name, row in rows.items()} == {
        "Diabetes Monthly": "Active",
        "Hypertension Care": "Paused",
        "Asthma Care": "Cancelled",
        "Chest Infection Course": "Awaiting pharmacist review",
    }
    overdue = rows["Diabetes Monthly"].delivery
    assert overdue.property("overdue") == "true"
    assert overdue.text() == "Next delivery 18 Apr 2026 — overdue 10 days"
    resume = (today + dt.timedelta(days=21)).isoformat()  # 19 May, a Tuesday -> Monday 25
    assert resume == "2026-05-19"
    assert rows["Hypertension Care"].delivery.text() == (
        "Next delivery 25 May 2026, when the pause ends"
    )
    assert rows["Hypertension Care"].delivery.property("overdue") == "false"
    assert rows["Asthma Care"].delivery.text() == "No further deliveries"
    assert rows["Asthma Care"].buttons == {}
    assert "Amoxicillin 500mg is a penicillin" in rows["Chest Infection Course"].conflicts.text()
    assert rows["Diabetes Monthly"].medications.text() == "Metformin 500mg, Insulin Glargine"

    model = dialog.orders_model
    assert model.rowCount() == 5
    shown = [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]
    assert shown[0][2:] == ["₦4,000", "Cancelled"]
    assert shown[1][2:] == ["₦2,500", "Pending"]
    assert shown[2] == ["ORD-3", "25 Apr 2026", "₦8,500", "Completed"]
    assert dialog.consent_label.text() == (
        "Marketing consent: customer gave consent (28 Apr 2026, recorded by admin)"
    )


def test_the_api_documents_john_doe_with_its_own_figures(
    qtbot, signed_in_desk: DeskContext
) -> None:  # type: ignore[no-untyped-def]
    """API.md's viewProviderCustomerDetails example, built through the operations with its
    own figures (15 completed orders, N125,000, two active plans, last order 10 April
    14:20 UTC), shown by the profile value for value. The clock is 18 April 2026, 12:00."""
    desk = signed_in_desk
    diabetes = _plan(desk, "Diabetes Monthly", ["Metformin 500mg", "Insulin Glargine"])
    pressure = _plan(desk, "Hypertension Care", ["Amlodipine 5mg", "Lisinopril 10mg"])
    customer = desk.call(
        "addProviderCustomer",
        {
            "name": "John Doe",
            "phone": "+2348012345678",
            "email": "john@example.com",
            "address": "12 Admiralty Way, Lekki, Lagos",
            "dateOfBirth": "1980-03-25",
            "allergies": ["Penicillin"],
            "medicalConditions": ["Diabetes Type 2", "Hypertension"],
            "notes": "Prefers morning deliveries. Contact before arrival.",
        },
    )["customerId"]
    # 15 completed orders: 13 of N8,500, one of N6,000, the last (10 April) N8,500.
    totals = [8500] * 13 + [6000, 8500]
    for month, total in enumerate(totals):
        day = dt.datetime(2025, 2, 10, 14, 20, tzinfo=dt.UTC) + dt.timedelta(days=30 * month)
        if month == len(totals) - 1:
            day = dt.datetime(2026, 4, 10, 14, 20, tzinfo=dt.UTC)
        desk.call(
            "recordOrder",
            {"customerId": customer, "total": total, "date": day.isoformat()},
        )
    desk.call(
        "addCustomerPlan",
        {"customerId": customer, "planId": diabetes, "startDate": "2026-05-10"},
    )
    desk.call(
        "addCustomerPlan",
        {"customerId": customer, "planId": pressure, "startDate": "2026-05-20"},
    )

    dialog = _profile(qtbot, desk, customer)
    qtbot.waitExposed(dialog)
    assert dialog.name_label.text() == "John Doe"
    assert dialog.phone_text == "0801 234 5678"
    assert dialog.allergy_banner.property("state") == "recorded"
    assert dialog.allergy_banner.text().startswith("⚠ ALLERGIES: Penicillin — confirmed")
    assert dialog.conditions_label.text() == "Conditions: Diabetes Type 2, Hypertension"
    texts = [label.text() for label in dialog.body.findChildren(type(dialog.name_label))]
    assert f"{customer} · 46 years (born 25 Mar 1980)" in texts
    assert "Email: john@example.com\nAddress: 12 Admiralty Way, Lekki, Lagos" in texts
    assert "Prefers morning deliveries. Contact before arrival." in texts
    cards = {card.findChildren(type(dialog.name_label))[0].text(): card for card in dialog.cards}
    assert cards["Orders"].value.text() == "15"
    assert cards["Total spent"].value.text() == "₦125,000"
    assert cards["Active plans"].value.text() == "2"
    assert cards["Last order"].value.text() == "10 Apr 2026"
    detail = [w.text() for w in cards["Last order"].findChildren(type(dialog.name_label))]
    assert "7 days ago" in detail
    rows = dialog.plan_rows
    assert [row.plan["name"] for row in rows] == ["Diabetes Monthly", "Hypertension Care"]
    assert rows[0].medications.text() == "Metformin 500mg, Insulin Glargine"
    assert rows[0].status.text() == "Active"
    assert "10 May 2026" in rows[0].delivery.text()
    assert rows[0].delivery.property("overdue") == "false"
    model = dialog.orders_model
    assert model.rowCount() == 10  # the ten newest
    assert [model.index(0, c).data() for c in range(1, 4)] == [
        "10 Apr 2026",
        "₦8,500",
        "Completed",
    ]


# -- pause / resume / cancel -----------------------------------------------------------------
def test_pause_with_a_date_then_resume(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    desk = signed_in_desk
    dialog = _profile(qtbot, desk, enrolled["customer"])
    changed: list[str] = []
    dialog.changed.connect(changed.append)
    row = _row(dialog, enrolled["sub"])
    assert set(row.buttons) == {"pausePlan", "cancelPlan"}
    _click(qtbot, row, "pausePlan")
    pause = dialog.plans.pause_dialog
    assert pause.resume_date.minimumDate() == QDate(2026, 4, 19)  # not today, not the past
    pause.resume_date.setFocus()
    pause.resume_date.setDate(QDate(2026, 6, 3))
    assert "restarts by itself" in pause.note.text()
    qtbot.mouseClick(pause.save_button, Qt.MouseButton.LeftButton)
    assert not pause.isVisible()
    assert changed == [enrolled["customer"]]

    [plan] = desk.call("viewProviderCustomerDetails", {"customerId": enrolled["customer"]})["plans"]
    assert (plan["status"], plan["nextDelivery"]) == ("paused", "2026-06-08")  # a Monday
    assert dialog.details["plans"] == [plan]  # the profile re-read itself
    row = _row(dialog, enrolled["sub"])
    assert row.status.text() == "Paused"
    assert row.delivery.text() == "Next delivery 08 Jun 2026, when the pause ends"
    assert set(row.buttons) == {"resumePlan", "cancelPlan"}
    [entry] = _audit(desk, "subscription")
    assert json.loads(entry.detail) == {
        "subscriptionId": enrolled["sub"],
        "status": "paused",
        "nextDelivery": "2026-06-08",
        "resumeDate": "2026-06-03",
    }

    _click(qtbot, row, "resumePlan")
    row = _row(dialog, enrolled["sub"])
    assert row.status.text() == "Active"
    assert dialog.details["stats"]["activePlans"] == 1
    entries = _audit(desk, "subscription")
    assert [json.loads(e.detail)["status"] for e in entries] == ["paused", "active"]
    assert changed == [enrolled["customer"]] * 2


def test_pause_until_resumed_sends_no_date(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    dialog = _profile(qtbot, signed_in_desk, enrolled["customer"])
    _click(qtbot, _row(dialog, enrolled["sub"]), "pausePlan")
    pause = dialog.plans.pause_dialog
    pause.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is pause)
    qtbot.mouseClick(pause.until, Qt.MouseButton.LeftButton)
    assert not pause.resume_date.isEnabled()
    assert pause.params() == {"subscriptionId": enrolled["sub"]}
    qtbot.keyClick(pause.until, Qt.Key.Key_Return)  # Enter saves (the default button)
    [entry] = _audit(signed_in_desk, "subscription")
    assert json.loads(entry.detail)["resumeDate"] is None
    assert _row(dialog, enrolled["sub"]).plan["status"] == "paused"


def test_a_refused_pause_shows_the_message_by_the_date(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, str], clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    dialog = _profile(qtbot, signed_in_desk, enrolled["customer"])
    _click(qtbot, _row(dialog, enrolled["sub"]), "pausePlan")
    pause = dialog.plans.pause_dialog
    pause.resume_date.setDate(QDate(2026, 4, 19))
    clock.advance(days=2)  # the dialog stayed open; tomorrow is now the past
    qtbot.mouseClick(pause.save_button, Qt.MouseButton.LeftButton)
    assert pause.isVisible() and pause.error.isVisible()
    assert "resume date must be after today" in pause.error.text()
    assert _audit(signed_in_desk, "subscription") == []


def test_cancel_asks_first_and_no_keeps_the_plan(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    asked: list[tuple[str, str]] = []
    replies = iter([False, True])

    def ask(title: str, question: str) -> bool:
        asked.append((title, question))
        return next(replies)

    dialog = _profile(qtbot, signed_in_desk, enrolled["customer"], ask=ask)
    _click(qtbot, _row(dialog, enrolled["sub"]), "cancelPlan")
    assert _audit(signed_in_desk, "subscription") == []
    assert "stops future deliveries and cannot be undone" in asked[0][1]
    assert dialog.plan_rows[0].plan["status"] == "active"
    _click(qtbot, _row(dialog, enrolled["sub"]), "cancelPlan")
    row = _row(dialog, enrolled["sub"])
    assert (row.status.text(), row.buttons) == ("Cancelled", {})
    [plan] = signed_in_desk.call(
        "viewProviderCustomerDetails", {"customerId": enrolled["customer"]}
    )["plans"]
    assert (plan["status"], plan["nextDelivery"]) == ("cancelled", None)
    [entry] = _audit(signed_in_desk, "subscription")
    assert json.loads(entry.detail)["status"] == "cancelled"


def test_a_change_made_at_another_desk_is_reported_not_hidden(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    dialog = _profile(qtbot, signed_in_desk, enrolled["customer"], ask=lambda *_a: True)
    signed_in_desk.call("cancelCustomerPlan", {"subscriptionId": enrolled["sub"]})  # elsewhere
    _click(qtbot, _row(dialog, enrolled["sub"]), "cancelPlan")  # the row still says active
    assert dialog.plan_error.isVisible()
    assert "is cancelled, so it cannot be cancelled again" in dialog.plan_error.text()
    row = _row(dialog, enrolled["sub"])  # re-read: shows what happened
    assert (row.status.text(), row.buttons) == ("Cancelled", {})
    assert len(_audit(signed_in_desk, "subscription")) == 1


def test_archived_customer_has_no_plan_buttons(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    signed_in_desk.call("archiveCustomer", {"customerId": enrolled["customer"]})
    dialog = _profile(qtbot, signed_in_desk, enrolled["customer"])
    assert _row(dialog, enrolled["sub"]).buttons == {}


# -- pharmacist review -------------------------------------------------------------------------
@pytest.mark.parametrize("approve", [True, False])
def test_pharmacist_approves_or_rejects_with_a_reason(
    qtbot, signed_in_desk: DeskContext, held: dict[str, str], approve: bool
) -> None:  # type: ignore[no-untyped-def]
    desk = signed_in_desk
    _sign_in_as(desk, "ngozi", "pharmacist", PHARMACIST_PASSWORD)
    dialog = _profile(qtbot, desk, held["customer"])
    row = _row(dialog, held["sub"])
    assert set(row.buttons) == {"approvePlan", "rejectPlan"}
    assert "Amoxicillin 500mg" in row.conflicts.text()
    _click(qtbot, row, "approvePlan" if approve else "rejectPlan")
    review = dialog.plans.review_dialog
    warning = review.findChild(type(row.conflicts), "reviewConflicts")
    assert warning is not None and "Penicillin" in warning.text()
    qtbot.mouseClick(review.save_button, Qt.MouseButton.LeftButton)  # no reason yet
    assert review.isVisible() and "Write the reason" in review.error.text()
    assert _audit(desk, "review") == []
    review.reason.setFocus()
    qtbot.keyClicks(review.reason, "Discussed with prescriber")
    qtbot.mouseClick(review.save_button, Qt.MouseButton.LeftButton)
    assert not review.isVisible()
    status = "active" if approve else "cancelled"
    [plan] = desk.call("viewProviderCustomerDetails", {"customerId": held["customer"]})["plans"]
    assert plan["status"] == status
    assert _row(dialog, held["sub"]).plan["status"] == status
    [entry] = _audit(desk, "review")
    assert entry.user == "ngozi"
    assert json.loads(entry.detail) == {
        "subscriptionId": held["sub"],
        "approve": approve,
        "reason": "Discussed with prescriber",
        "status": status,
    }


def test_front_desk_sees_awaiting_review_and_no_buttons(
    qtbot, signed_in_desk: DeskContext, held: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    desk = signed_in_desk
    _sign_in_as(desk, "femi", "frontdesk", FRONT_DESK_PASSWORD)
    dialog = _profile(qtbot, desk, held["customer"])
    row = _row(dialog, held["sub"])
    assert row.buttons == {}
    assert row.status.text() == "Awaiting pharmacist review"
    wait = row.findChild(type(row.conflicts), "reviewWait")
    assert wait is not None and "pharmacist or admin must approve" in wait.text()
    assert "Penicillin" in row.conflicts.text()
    # Even if a review dialog were opened, the controller refuses front desk.
    dialog.plans.review_plan(row.plan, True)
    dialog.plans.review_dialog.reason.setPlainText("trying")
    dialog.plans.review_dialog.save()
    assert "may not use reviewCustomerPlan" in dialog.plans.review_dialog.error.text()
    dialog.plans.review_dialog.close()
    desk.sign_in(ADMIN, ADMIN_PASSWORD)
    assert desk.call("viewProviderCustomerDetails", {"customerId": held["customer"]})["plans"][0][
        "status"
    ] == ("pendingReview")
    assert _audit(desk, "review") == []


# -- record order prefill -------------------------------------------------------------------------
def test_record_order_prefills_the_subscriptions_own_price(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    desk = signed_in_desk
    desk.call("updatePlan", {"planId": enrolled["plan"], "price": 19000})  # after enrollment
    dialog = _profile(qtbot, desk, enrolled["customer"])
    qtbot.mouseClick(dialog.order_button, Qt.MouseButton.LeftButton)
    order = dialog.order
    assert order.plan.currentData()["subscriptionId"] == enrolled["sub"]
    assert order.amount.value() == 15000  # what the customer enrolled on, not 19,000
    order.plan.setCurrentIndex(0)  # a one-off order keeps what was typed
    order.plan.setCurrentIndex(1)
    assert order.amount.value() == 15000
    qtbot.mouseClick(order.save_button, Qt.MouseButton.LeftButton)
    assert dialog.details["recentOrders"][0]["total"] == 15000
    # The completed delivery takes up the plan's new terms for the next one.
    dialog.record_order()
    assert dialog.order.amount.value() == 19000
    dialog.order.close()


# -- the main window hears about it -----------------------------------------------------------
def test_a_plan_change_in_a_profile_refreshes_the_list_and_the_refill_queue(
    qtbot, main_window, enrolled: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    plans_column = 5
    assert main_window.model.index(0, plans_column).data() == "1"
    refills = main_window.refill_panel.model
    assert refills.rowCount() == 1  # due Monday 20 April, within 7 days
    main_window.open_profile(enrolled["customer"])
    [profile] = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, ProfileDialog) and w.isVisible()
    ]
    _click(qtbot, _row(profile, enrolled["sub"]), "pausePlan")
    profile.plans.pause_dialog.until.setChecked(False)
    qtbot.mouseClick(profile.plans.pause_dialog.save_button, Qt.MouseButton.LeftButton)
    assert main_window.model.index(0, plans_column).data() == "0"
    assert refills.rowCount() == 0  # a paused plan is not due
    profile.close()
