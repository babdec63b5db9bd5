"""New and edit customer form: Save, and what it takes to save.

A new customer is checked for likely duplicates first; an edit sends only the fields
that changed, with the version it was read at, so a change made meanwhile at another
desk is reported instead of overwritten. Leaving with unsaved changes asks first.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers.validation import phone_e164
from pharmdesk.errors import DUPLICATE, PharmDeskError
from pharmdesk.ui.confirm import Ask, asking
from pharmdesk.ui.customer_form.fields import CustomerFields
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.duplicate_choice import DuplicateChoice
from pharmdesk.ui.widgets import tab_order

DISCARD_PROMPT = asking("&Discard", "&Keep editing")
NEW_LABEL_PROMPT = asking("&Add it", "&Correct it")


class CustomerForm(CustomerFields):
    """Create (``customer`` is None) or edit a customer."""

    saved = Signal(str)  # customer id
    open_existing = Signal(str)  # staff chose an existing record instead

    def __init__(
        self,
        desk: DeskContext,
        customer: dict[str, Any] | None = None,
        parent: QWidget | None = None,
        *,
        ask: Ask = DISCARD_PROMPT,
        ask_new_label: Ask = NEW_LABEL_PROMPT,
    ) -> None:
        super().__init__(desk, customer, parent, ask_new_label)
        self._ask = ask
        self.setObjectName("customerForm")
        self.setWindowTitle(
            f"Edit {customer['name']} — {customer['id']}" if customer else "New customer"
        )
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("save")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancel")
        self.reload_button = QPushButton("Load their version")
        self.reload_button.setObjectName("reload")
        self.reload_button.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(self.field_form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(620)
        tab_order(
            self.reload_button,
            self.name,
            self.phone,
            self.email,
            self.address,
            self.birth,
            self.allergy_unknown,
            self.allergy_none,
            self.allergy_has,
            self.allergies.editor,
            self.conditions.editor,
            self.notes,
            self.consent,
            self.save_button,
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel),
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.reload_button.clicked.connect(self._reload_latest)

        self._load_suggestions()
        if customer:
            self._fill(customer)
        self._clean = self._snapshot()
        self.name.setFocus()  # typing starts at the name, not on a button

    def is_dirty(self) -> bool:
        return self._snapshot() != self._clean

    # -- saving ----------------------------------------------------------------------------
    def save(self) -> None:
        self.banner.hide()
        # Text still typed in a label box becomes a chip first (asked about if new).
        for chips in (self.allergies, self.conditions):
            if chips.isEnabled() and not chips.resolve_pending():
                return
        if not self._check_all():
            return
        problem = self.record_part.problem()
        if problem is not None:
            self.banner.setText(problem[0])
            self.banner.show()
            problem[1].setFocus()
            return
        values = self._values()
        try:
            create = self.original is None
            customer_id = self._create(values) if create else self._update(values)
        except PharmDeskError as exc:
            self._show_refusal(exc)
            return
        if customer_id is None:
            return
        try:
            self.record_part.save(self.desk, customer_id)
        except PharmDeskError as exc:
            # The customer is saved; the form stays open on that record to fix the rest.
            self.original = self.desk.call(
                "viewProviderCustomerDetails", {"customerId": customer_id}
            )
            self.banner.setText(f"{customer_id} was saved, but not this: {exc.message}")
            self.banner.show()
            self.saved.emit(customer_id)
            return
        self._clean = self._snapshot()
        self.saved.emit(customer_id)
        self.accept()

    def _create(self, values: dict[str, Any]) -> str | None:
        candidates = self.desk.call(
            "findLikelyDuplicates",
            {
                "name": values["name"],
                "phone": values["phone"],
                "dateOfBirth": values["dateOfBirth"],
            },
        )["customers"]
        if candidates:
            choice = DuplicateChoice(candidates, self.region, self)
            outcome = choice.exec()
            if outcome == 2 and choice.chosen:
                self.open_existing.emit(choice.chosen)
                self._clean = self._snapshot()
                self.accept()
                return None
            if outcome != QDialog.DialogCode.Accepted:
                return None
        params = {k: v for k, v in values.items() if v is not None}
        return str(self.desk.call("addProviderCustomer", params)["customerId"])

    def changed_params(self, values: dict[str, Any]) -> dict[str, Any]:
        """Only what differs from the record as it was read."""
        assert self.original is not None
        before = self.original
        changes: dict[str, Any] = {}
        phone_now = phone_e164(values["phone"], self.region)
        if values["name"].split() != before["name"].split():
            changes["name"] = values["name"]
        if phone_now != before["phone"]:
            changes["phone"] = values["phone"]
        for key in ("email", "address", "dateOfBirth", "notes"):
            if values[key] != before.get(key):
                changes[key] = values[key]
        state = self.allergy_state()
        if state != before["allergyStatus"] or values["allergies"] != before["allergies"]:
            changes["allergies"] = values["allergies"]
            changes["noKnownAllergies"] = values["noKnownAllergies"]
        if values["medicalConditions"] != before["medicalConditions"]:
            changes["medicalConditions"] = values["medicalConditions"]
        if values["marketingConsent"] != before["marketingConsent"]:
            changes["marketingConsent"] = values["marketingConsent"]
        if values["language"] != before.get("language", "en"):
            changes["language"] = values["language"]
        return changes

    def _update(self, values: dict[str, Any]) -> str | None:
        assert self.original is not None
        changes = self.changed_params(values)
        customer_id = str(self.original["id"])
        if changes:
            self.desk.call(
                "updateProviderCustomer",
                {"customerId": customer_id, "expectedVersion": self.original["version"], **changes},
            )
        return customer_id

    def _show_refusal(self, exc: PharmDeskError) -> None:
        if exc.code == "CONFLICT":
            self.banner.setText(
                "Someone changed this customer at another desk or window since you opened "
                "it. Your changes were NOT saved. Load their version, then make your change "
                "again."
            )
            self.banner.show()
            self.reload_button.show()
            return
        if exc.code == DUPLICATE:
            self._show("name", exc.message)
            self.name.setFocus()
            return
        if exc.field in self._errors:
            self._show(exc.field, exc.message)
            return
        self.banner.setText(exc.message)
        self.banner.show()

    def _reload_latest(self) -> None:
        assert self.original is not None
        try:
            latest = self.desk.call(
                "viewProviderCustomerDetails", {"customerId": self.original["id"]}
            )
        except PharmDeskError as exc:
            self.banner.setText(exc.message)
            return
        self.original = latest
        self._fill(latest)
        self._clean = self._snapshot()
        self.banner.hide()
        self.reload_button.hide()

    # -- leaving ---------------------------------------------------------------------------
    def reject(self) -> None:
        if self.is_dirty() and not self._ask(
            "Discard changes?", "You have typed changes that are not saved. Discard them?"
        ):
            return
        super().reject()
