"""Step 2 of enrollment: the active catalog, matching plans first, enrolled ones disabled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.enrollment.page_parts import (
    FREQUENCY_TEXT,
    ID_ROLE,
    choose_current,
    escape_html,
    show_error,
)
from pharmdesk.ui.enrollment_flow import PlanChoice
from pharmdesk.ui.formatting import money
from pharmdesk.ui.widgets import error_label, plain_label, rich_label
from pharmdesk.ui.wizard_page import CompletablePage

if TYPE_CHECKING:
    from pharmdesk.ui.enrollment.wizard import EnrollmentWizard


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
        name, customer_id = customer.get("name", ""), customer.get("id", "")
        self.customer_label.setText(
            f"<b>{escape_html(name)}</b> ({escape_html(customer_id)})"
            f" — conditions: {escape_html(conditions)}"
        )
        try:
            flow.load_catalog()
        except PharmDeskError as exc:
            show_error(self.error, exc)
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
        return choose_current(self.list, self.owner.flow.choose_plan, self.error)
