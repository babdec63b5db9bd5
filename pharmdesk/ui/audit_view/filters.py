"""The audit log's filters: who (staff), what (action), whom (the customer picker: a
name, phone or CUST-id, with suggestions as you type) and when (date edits whose empty
value reads "Any day")."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers.auditlog import ACTIONS
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.audit_view.export import Call
from pharmdesk.ui.audit_view.model import action_label
from pharmdesk.ui.debounce import debounce_timer
from pharmdesk.ui.formatting import national_phone
from pharmdesk.ui.widgets import DateEdit, plain_label

CUSTOMER_DEBOUNCE_MS = 300
DATE_DEBOUNCE_MS = 250


CUSTOMER_CHOICES = 8


ANY_DAY = QDate(2000, 1, 1)  # the date edits' "no limit" value, shown as "Any day"


CUSTOMER_ID = re.compile(r"^\s*(CUST-\d+)\b", re.IGNORECASE)


class CustomerPicker(QLineEdit):
    """Type a name, phone digits or a CUST-id; pick the customer from a short list.

    Searching goes through ``fetchCustomers`` (audited like any customer search); a typed
    id is used as it is, so an archived customer's trail can be found too.
    """

    def __init__(self, call: Call, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._call = call
        self.customer_id: str | None = None
        self.on_change: Callable[[], None] = lambda: None
        self.on_error: Callable[[str], None] = lambda _message: None
        self.setObjectName("auditCustomer")
        self.setPlaceholderText("Name, phone or CUST-id")
        self.setAccessibleName("Filter by customer")
        self.setClearButtonEnabled(True)
        self.choices = QStringListModel(self)
        self.completer_ = QCompleter(self.choices, self)
        self.completer_.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer_.setWidget(self)
        self.completer_.activated.connect(self._picked)
        self._debounce = debounce_timer(self, CUSTOMER_DEBOUNCE_MS, self.search_now)
        self.textEdited.connect(self._edited)
        # The clear button sets the text without textEdited.
        self.textChanged.connect(self._changed)

    def _set(self, customer_id: str | None) -> None:
        if customer_id != self.customer_id:
            self.customer_id = customer_id
            self.on_change()

    def _changed(self, text: str) -> None:
        if not text:
            self._edited(text)

    def _popup_hide(self) -> None:
        popup = self.completer_.popup()
        if popup is not None:
            popup.hide()

    def _edited(self, _text: str) -> None:
        self._set(None)
        self._debounce.start()

    def search_now(self) -> None:
        """Look the typed text up (the debounce ended)."""
        self._debounce.stop()
        text = self.text().strip()
        if not text:
            self._popup_hide()
            self._set(None)
            return
        typed_id = CUSTOMER_ID.match(text)
        if typed_id and typed_id.group(0).strip() == text:
            self._popup_hide()
            self._set(typed_id.group(1).upper())
            return
        if len(text) < 2:
            return
        try:
            found = self._call("fetchCustomers", {"search": text, "limit": CUSTOMER_CHOICES})
        except PharmDeskError as exc:
            self.on_error(exc.message)
            return
        rows = [
            f"{c['id']} · {c['name']} · {national_phone(c.get('phone'))}"
            for c in found["customers"]
        ]
        if not rows:
            rows = [f"No customer matches '{text}'"]
        self.choices.setStringList(rows)
        self.completer_.complete()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter takes the highlighted customer, else the first one listed: a typed
        fragment never leaves the filter silently off (every customer's entries)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.text().strip():
            if self.customer_id is None:
                if self._debounce.isActive() or not self.choices.stringList():
                    self.search_now()
                rows = self.choices.stringList()
                if self.customer_id is None and rows:
                    self._picked(rows[0])
                self._popup_hide()
            event.accept()
            return
        super().keyPressEvent(event)

    def _picked(self, text: str) -> None:
        chosen = CUSTOMER_ID.match(text)
        if chosen is None:  # the "no customer matches" line
            return
        self.blockSignals(True)
        self.setText(text)
        self.blockSignals(False)
        self._set(chosen.group(1).upper())

    def reset(self) -> None:
        """Forget the search and the list (they hold names); no change signal."""
        self._debounce.stop()
        self._popup_hide()
        self.choices.setStringList([])
        self.blockSignals(True)
        self.clear()
        self.blockSignals(False)
        self.customer_id = None


def any_day_edit(name: str) -> QDateEdit:
    """A date filter whose lowest value reads "Any day" (no limit)."""
    edit = DateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd MMM yyyy")
    edit.setMinimumDate(ANY_DAY)
    edit.setSpecialValueText("Any day")
    edit.setDate(ANY_DAY)
    return edit


class CalendarOpensToday(QObject):
    """An "Any day" edit's calendar opens on this month, not on January 2000."""

    def __init__(self, edit: QDateEdit) -> None:
        super().__init__(edit)
        self.edit = edit
        edit.calendarWidget().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and self.edit.date() == ANY_DAY:
            today = QDate.currentDate()
            self.edit.calendarWidget().setCurrentPage(today.year(), today.month())
        return False


class AuditFilters(QWidget):
    """The filter rows over the audit log: who and what on one row, when on the next (one
    row is wider than a 1024-point screen). ``changed`` when a filter moves (the dates
    after a short pause, while a person steps through days)."""

    changed = Signal()
    failed = Signal(str)  # the customer search was refused

    def __init__(
        self, call: Call, staff: list[dict[str, Any]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.staff_filter = QComboBox()
        self.staff_filter.setObjectName("auditStaff")
        self.staff_filter.setAccessibleName("Filter by staff member")
        self.staff_filter.addItem("Everyone", None)
        for member in staff:
            self.staff_filter.addItem(
                f"{member['username']} ({member['fullName']})", member["username"]
            )
        self.action_filter = QComboBox()
        self.action_filter.setObjectName("auditAction")
        self.action_filter.setAccessibleName("Filter by action")
        self.action_filter.addItem("All actions", None)
        for action in sorted(ACTIONS, key=action_label):
            self.action_filter.addItem(action_label(action), action)
        self.customer_filter = CustomerPicker(call)
        self.customer_filter.setMinimumWidth(200)
        self.from_date = any_day_edit("auditFrom")
        self.from_date.setAccessibleName("From date")
        self.to_date = any_day_edit("auditTo")
        self.to_date.setAccessibleName("To date")
        self._calendar_hooks = [
            CalendarOpensToday(self.from_date),
            CalendarOpensToday(self.to_date),
        ]
        self.clear_button = QPushButton("C&lear filters")
        self.clear_button.setObjectName("clearFilters")
        who = QHBoxLayout()
        when = QHBoxLayout()
        for text, widget in (
            ("&Staff:", self.staff_filter),
            ("&Action:", self.action_filter),
            ("C&ustomer:", self.customer_filter),
            ("&From:", self.from_date),
            ("&To:", self.to_date),
        ):
            label = plain_label(text)
            label.setBuddy(widget)
            row = when if widget in (self.from_date, self.to_date) else who
            row.addWidget(label)
            row.addWidget(widget, 2 if widget is self.customer_filter else 0)
        when.addStretch(1)
        when.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(who)
        layout.addLayout(when)

        self._date_debounce = debounce_timer(self, DATE_DEBOUNCE_MS, self.changed.emit)
        self.staff_filter.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.action_filter.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.customer_filter.on_change = self.changed.emit
        self.customer_filter.on_error = self.failed.emit
        self.from_date.dateChanged.connect(self._from_changed)
        self.to_date.dateChanged.connect(self._to_changed)
        self.clear_button.clicked.connect(self.clear)

    def current(self) -> dict[str, Any]:
        """The filters as fetchAuditLog params (absent = any)."""
        filters: dict[str, Any] = {}
        user = self.staff_filter.currentData()
        if user:
            filters["user"] = user
        action = self.action_filter.currentData()
        if action:
            filters["action"] = action
        if self.customer_filter.customer_id:
            filters["customerId"] = self.customer_filter.customer_id
        for key, edit in (("from", self.from_date), ("to", self.to_date)):
            if edit.date() != ANY_DAY:
                filters[key] = edit.date().toString("yyyy-MM-dd")
        return filters

    def stop_waiting(self) -> None:
        """The filters are being applied now: a pending date change needs no second go."""
        self._date_debounce.stop()

    def _from_changed(self, date: QDate) -> None:
        # A range cannot end before it starts: move the other end along.
        if date != ANY_DAY and self.to_date.date() != ANY_DAY and self.to_date.date() < date:
            self.to_date.blockSignals(True)
            self.to_date.setDate(date)
            self.to_date.blockSignals(False)
        self._date_debounce.start()

    def _to_changed(self, date: QDate) -> None:
        if date != ANY_DAY and self.from_date.date() > date:
            self.from_date.blockSignals(True)
            self.from_date.setDate(date)
            self.from_date.blockSignals(False)
        self._date_debounce.start()

    def clear(self) -> None:
        """Every filter back to "any", then one ``changed``."""
        for widget in (self.staff_filter, self.action_filter, self.from_date, self.to_date):
            widget.blockSignals(True)
        self.staff_filter.setCurrentIndex(0)
        self.action_filter.setCurrentIndex(0)
        self.from_date.setDate(ANY_DAY)
        self.to_date.setDate(ANY_DAY)
        for widget in (self.staff_filter, self.action_filter, self.from_date, self.to_date):
            widget.blockSignals(False)
        self.customer_filter.reset()
        self.changed.emit()
