"""Record an order or a delivery (recordOrder), from the profile or the refill queue.

A completed order for a plan is that plan's delivery: the controller moves its next
delivery on by one period. The amount starts at the subscription's own price (the price
the customer enrolled on; a catalog change reaches the subscription only at its next
delivery, so the catalog's price may already differ), the date at now; staff change what
differs (a delivery made yesterday, a discount).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QWidget

from pharmdesk.clock import to_iso
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.form_dialog import FormDialog, money_box
from pharmdesk.ui.widgets import DateTimeEdit, heading, plain_label

MAX_AMOUNT = 1_000_000_000
STATUSES = (
    ("completed", "Completed (delivered / collected)"),
    ("pending", "Pending"),
    ("cancelled", "Cancelled"),
)


def _qdatetime(moment: dt.datetime) -> QDateTime:
    local = moment.astimezone()
    return QDateTime(local.year, local.month, local.day, local.hour, local.minute, local.second)


class OrderDialog(FormDialog):
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
        *,
        payer: dict[str, Any] | None = None,
    ) -> None:
        """``subscriptions``: the customer's plans that can take a delivery, each with
        ``subscriptionId``, ``planId`` and ``planName``. ``payer``: the profile's payer;
        with an HMO or insurer the dialog asks for its share of the amount."""
        super().__init__("&Record", "recordOrder", parent)
        self.desk = desk
        self.customer_id = customer_id
        self.setObjectName("orderDialog")
        self.setWindowTitle(f"Record order — {customer_name}")
        currency = str(desk.settings().get("currency", "NGN"))
        self._prices = self._subscription_prices() if subscriptions else {}

        self.plan = QComboBox()
        self.plan.setObjectName("orderPlan")
        self.plan.addItem("No plan (a one-off order)", None)
        for sub in subscriptions:
            self.plan.addItem(f"{sub['planName']} ({sub['subscriptionId']})", dict(sub))
        self.amount = money_box(currency, MAX_AMOUNT, "orderTotal", "Amount")
        self.date = DateTimeEdit()
        self.date.setObjectName("orderDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd MMM yyyy HH:mm")
        self.date.setDateTime(_qdatetime(desk.clock.now()))
        self.status = QComboBox()
        self.status.setObjectName("orderStatus")
        for value, text in STATUSES:
            self.status.addItem(text, value)
        self.hint = self.note

        form = QFormLayout()
        form.addRow("&Plan", self.plan)
        form.addRow("&Amount", self.amount)
        form.addRow("&Date", self.date)
        form.addRow("&Status", self.status)
        self.payer = payer if payer and payer.get("payer") != "cash" else None
        self.payer_share = money_box(currency, MAX_AMOUNT, "payerShare", "Paid by the HMO")
        self.customer_share = plain_label("", "customerShare")
        if self.payer is not None:
            form.addRow(f"Paid by {self.payer['payer']}", self.payer_share)
            form.addRow("Paid by the customer", self.customer_share)
            self.payer_share.valueChanged.connect(lambda _v: self._update_shares())
            self.amount.valueChanged.connect(lambda _v: self._update_shares())
        self.finish(form, top=heading(customer_name))
        self.plan.currentIndexChanged.connect(lambda _i: self._plan_changed())
        self.status.currentIndexChanged.connect(lambda _i: self._update_hint())
        if subscription_id is not None:
            for index in range(self.plan.count()):
                data = self.plan.itemData(index)
                if data and data["subscriptionId"] == subscription_id:
                    self.plan.setCurrentIndex(index)
        self._plan_changed()
        self._update_shares()
        self.resize(480, self.sizeHint().height())

    def _update_shares(self) -> None:
        self.payer_share.setMaximum(self.amount.value())
        self.customer_share.setText(f"{self.amount.value() - self.payer_share.value():,}")

    def _subscription_prices(self) -> dict[str, int]:
        """Each subscription's own price (listCustomerSubscriptions, an audited view)."""
        answer = self.desk.call("listCustomerSubscriptions", {"customerId": self.customer_id})
        return {s["subscriptionId"]: int(s["price"]) for s in answer["subscriptions"]}

    def _plan_changed(self) -> None:
        sub = self.plan.currentData()
        if sub is not None and sub["subscriptionId"] in self._prices:
            self.amount.setValue(self._prices[sub["subscriptionId"]])
        self._update_hint()

    def _update_hint(self) -> None:
        sub = self.plan.currentData()
        if sub is not None and self.status.currentData() == "completed":
            text = "A completed order is this plan's delivery: its next delivery moves on."
            if sub.get("nextDelivery"):
                due = dt.date.fromisoformat(sub["nextDelivery"]).strftime("%d %b %Y")
                text = f"Delivery due {due}. " + text
            self.set_note(text)
        else:
            self.set_note("")

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
        if self.payer is not None:
            params["payerShare"] = self.payer_share.value()
            params["customerShare"] = self.amount.value() - self.payer_share.value()
        return params

    def save(self) -> None:
        self.error.hide()
        try:
            answer = self.desk.call("recordOrder", self.params())
        except PharmDeskError as exc:
            fields = {
                "total": self.amount,
                "date": self.date,
                "status": self.status,
                "payerShare": self.payer_share,
            }
            self.show_refusal(exc, fields)
            return
        self.answer = answer
        self.recorded.emit(answer)
        self.accept()
