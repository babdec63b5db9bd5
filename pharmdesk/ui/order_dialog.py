"""Record an order or a delivery (recordOrder), from the profile or the refill queue.

A completed order for a plan is that plan's delivery: the controller moves its next
delivery on by one period. The amount starts at the plan's current price, the date at
now; staff change what differs (a delivery made yesterday, a discount).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.clock import to_iso
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import CURRENCY_SYMBOLS
from pharmdesk.ui.widgets import error_label, heading

MAX_AMOUNT = 1_000_000_000
STATUSES = (
    ("completed", "Completed (delivered / collected)"),
    ("pending", "Pending"),
    ("cancelled", "Cancelled"),
)


def _qdatetime(moment: dt.datetime) -> QDateTime:
    local = moment.astimezone()
    return QDateTime(local.year, local.month, local.day, local.hour, local.minute, local.second)


class OrderDialog(QDialog):
    """One order for one customer; ``recorded`` carries recordOrder's answer."""

    recorded = Signal(dict)

    def __init__(
        self,
        desk: DeskContext,
        customer_id: str,
        customer_name: str,
        subscriptions: Sequence[dict[str, Any]] = (),
        subscription_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``subscriptions``: the customer's plans that can take a delivery, each with
        ``subscriptionId``, ``planId`` and ``planName``."""
        super().__init__(parent)
        self.desk = desk
        self.customer_id = customer_id
        self.setObjectName("orderDialog")
        self.setWindowTitle(f"Record order — {customer_name}")
        currency = str(desk.settings().get("currency", "NGN"))
        plans = desk.call("listPlans", {"includeRetired": True})["plans"]
        self._prices = {plan["id"]: int(plan["price"]) for plan in plans}

        self.plan = QComboBox()
        self.plan.setObjectName("orderPlan")
        self.plan.addItem("No plan (a one-off order)", None)
        for sub in subscriptions:
            self.plan.addItem(f"{sub['planName']} ({sub['subscriptionId']})", dict(sub))
        self.amount = QSpinBox()
        self.amount.setObjectName("orderTotal")
        self.amount.setRange(0, MAX_AMOUNT)
        self.amount.setGroupSeparatorShown(True)
        self.amount.setPrefix(CURRENCY_SYMBOLS.get(currency, currency + " "))
        self.amount.setAccessibleName("Amount")
        self.date = QDateTimeEdit()
        self.date.setObjectName("orderDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd MMM yyyy HH:mm")
        self.date.setDateTime(_qdatetime(desk.clock.now()))
        self.status = QComboBox()
        self.status.setObjectName("orderStatus")
        for value, text in STATUSES:
            self.status.addItem(text, value)
        self.hint = QLabel()
        self.hint.setObjectName("subtitle")
        self.hint.setWordWrap(True)
        self.error = error_label()
        self.save_button = QPushButton("&Record")
        self.save_button.setObjectName("recordOrder")
        self.save_button.setDefault(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self.save)

        form = QFormLayout()
        form.addRow("&Plan", self.plan)
        form.addRow("&Amount", self.amount)
        form.addRow("&Date", self.date)
        form.addRow("&Status", self.status)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(customer_name))
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.plan.currentIndexChanged.connect(lambda _i: self._plan_changed())
        self.status.currentIndexChanged.connect(lambda _i: self._update_hint())
        if subscription_id is not None:
            for index in range(self.plan.count()):
                data = self.plan.itemData(index)
                if data and data["subscriptionId"] == subscription_id:
                    self.plan.setCurrentIndex(index)
        self._plan_changed()
        self.resize(480, self.sizeHint().height())

    def _plan_changed(self) -> None:
        sub = self.plan.currentData()
        if sub is not None and sub.get("planId") in self._prices:
            self.amount.setValue(self._prices[sub["planId"]])
        self._update_hint()

    def _update_hint(self) -> None:
        sub = self.plan.currentData()
        if sub is not None and self.status.currentData() == "completed":
            text = "A completed order is this plan's delivery: its next delivery moves on."
            if sub.get("nextDelivery"):
                due = dt.date.fromisoformat(sub["nextDelivery"]).strftime("%d %b %Y")
                text = f"Delivery due {due}. " + text
            self.hint.setText(text)
        else:
            self.hint.setText("")

    def chosen_moment(self) -> dt.datetime:
        value = self.date.dateTime()
        d, t = value.date(), value.time()
        naive = dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second())
        return naive.astimezone()  # the PC's local time, as shown

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "customerId": self.customer_id,
            "total": self.amount.value(),
            "date": to_iso(self.chosen_moment()),
            "status": self.status.currentData(),
        }
        sub = self.plan.currentData()
        if sub is not None:
            params["subscriptionId"] = sub["subscriptionId"]
        return params

    def save(self) -> None:
        self.error.hide()
        try:
            answer = self.desk.call("recordOrder", self.params())
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            widget = {"total": self.amount, "date": self.date, "status": self.status}.get(
                exc.field or ""
            )
            if widget is not None:
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.answer = answer
        self.recorded.emit(answer)
        self.accept()
