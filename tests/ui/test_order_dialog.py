"""The record order / delivery dialog, filled in as a person would."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.order_dialog import OrderDialog


@pytest.fixture
def enrolled(signed_in_desk: DeskContext) -> dict[str, Any]:
    desk = signed_in_desk
    plan = desk.call(
        "addPlan",
        {
            "name": "Hypertension Care",
            "medications": ["Amlodipine 5mg"],
            "frequency": "monthly",
            "price": 15000,
        },
    )["planId"]
    customer = desk.call(
        "addProviderCustomer",
        {"name": "Kemi Bello", "phone": "08031112222", "noKnownAllergies": True},
    )["customerId"]
    sub = desk.call(
        "addCustomerPlan",
        {"customerId": customer, "planId": plan, "startDate": "2026-04-18"},
    )
    return {"customerId": customer, "planId": plan, "subscriptionId": sub["subscriptionId"]}


def _dialog(qtbot, desk: DeskContext, enrolled: dict[str, Any], **kw: Any) -> OrderDialog:
    subs = [
        {
            "subscriptionId": enrolled["subscriptionId"],
            "planId": enrolled["planId"],
            "planName": "Hypertension Care",
            "nextDelivery": "2026-04-18",
        }
    ]
    dialog = OrderDialog(desk, enrolled["customerId"], "Kemi Bello", subs, **kw)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def test_a_delivery_moves_the_next_delivery_on(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, Any]
) -> None:
    dialog = _dialog(qtbot, signed_in_desk, enrolled, subscription_id=enrolled["subscriptionId"])
    recorded: list[dict[str, Any]] = []
    dialog.recorded.connect(recorded.append)
    assert dialog.amount.value() == 15000
    assert dialog.amount.text() == "₦15,000"
    assert dialog.date.dateTime() == QDateTime(2026, 4, 18, 13, 0, 0)  # 12:00Z in Lagos
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert recorded == [{"success": True, "orderId": "ORD-1", "nextDelivery": "2026-05-18"}]
    assert not dialog.isVisible()
    details = signed_in_desk.call(
        "viewProviderCustomerDetails", {"customerId": enrolled["customerId"]}
    )
    assert details["recentOrders"] == [
        {"orderId": "ORD-1", "date": "2026-04-18T12:00:00Z", "total": 15000, "status": "completed"}
    ]
    assert details["plans"][0]["nextDelivery"] == "2026-05-18"


def test_a_one_off_pending_order_with_a_changed_amount_and_date(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, Any]
) -> None:
    dialog = _dialog(qtbot, signed_in_desk, enrolled)
    assert dialog.plan.currentData() is None and dialog.amount.value() == 0
    assert dialog.hint.text() == ""
    dialog.amount.setFocus()
    dialog.amount.selectAll()
    qtbot.keyClicks(dialog.amount, "4250")
    dialog.date.setDateTime(QDateTime(2026, 4, 17, 9, 30, 0))
    dialog.status.setCurrentIndex(dialog.status.findData("pending"))
    assert dialog.params() == {
        "customerId": enrolled["customerId"],
        "total": 4250,
        "date": "2026-04-17T08:30:00Z",
        "status": "pending",
    }
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    details = signed_in_desk.call(
        "viewProviderCustomerDetails", {"customerId": enrolled["customerId"]}
    )
    assert details["recentOrders"][0]["status"] == "pending"
    assert details["stats"]["totalOrders"] == 0  # pending orders do not count
    assert details["plans"][0]["nextDelivery"] == "2026-04-18"  # not a delivery


def test_a_future_date_is_refused_next_to_the_form_and_nothing_written(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, Any]
) -> None:
    dialog = _dialog(qtbot, signed_in_desk, enrolled, subscription_id=enrolled["subscriptionId"])
    dialog.date.setDateTime(QDateTime(2026, 4, 19, 13, 0, 0))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.error.isVisible() and "in the future" in dialog.error.text()
    assert dialog.date.hasFocus()
    details = signed_in_desk.call(
        "viewProviderCustomerDetails", {"customerId": enrolled["customerId"]}
    )
    assert details["recentOrders"] == []


def test_cancel_writes_nothing(
    qtbot, signed_in_desk: DeskContext, enrolled: dict[str, Any]
) -> None:
    dialog = _dialog(qtbot, signed_in_desk, enrolled, subscription_id=enrolled["subscriptionId"])
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    details = signed_in_desk.call(
        "viewProviderCustomerDetails", {"customerId": enrolled["customerId"]}
    )
    assert details["recentOrders"] == []
    assert dt.date.fromisoformat(details["plans"][0]["nextDelivery"]) == dt.date(2026, 4, 18)
