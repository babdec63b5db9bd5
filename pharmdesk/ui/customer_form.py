"""New and edit customer form.

Each field is checked with the same rules the operations use, as the person leaves it
and again on Save; the message appears next to the field. The phone shows the number as
it will be saved. A new customer is checked for likely duplicates first; an edit sends
only the fields that changed, with the version it was read at, so a change made meanwhile
at another desk is reported instead of overwritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers.consent.languages import LANGUAGE_NAMES
from pharmdesk.controllers.validation import (
    customer_name,
    date_of_birth,
    email_address,
    phone_e164,
)
from pharmdesk.errors import DUPLICATE, PharmDeskError
from pharmdesk.resources import load_json
from pharmdesk.ui.chips import ChipsEdit
from pharmdesk.ui.confirm import Ask, asking
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.duplicate_choice import DuplicateChoice
from pharmdesk.ui.formatting import national_phone
from pharmdesk.ui.widgets import DateEdit, error_label, plain_label, tab_order

NO_DATE = QDate(1899, 12, 31)  # the date edit's "not recorded" value
UNKNOWN, NONE_KNOWN, RECORDED = "unknown", "noneKnown", "recorded"
DISCARD_PROMPT = asking("&Discard", "&Keep editing")
NEW_LABEL_PROMPT = asking("&Add it", "&Correct it")


def _buddy(text: str, widget: QWidget) -> QLabel:
    """A row label whose Alt+letter focuses ``widget`` (a row holding a layout has no
    buddy of its own, and its label would show the ``&`` itself)."""
    label = plain_label(text)
    label.setBuddy(widget)
    return label


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class CustomerForm(QDialog):
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
        super().__init__(parent)
        self.desk = desk
        self.original = customer
        self._ask = ask
        self._ask_new_label = ask_new_label
        settings = desk.settings()
        self.region = str(settings.get("defaultRegion", "NG"))
        self.today = desk.clock.today()
        self.setObjectName("customerForm")
        self.setWindowTitle(
            f"Edit {customer['name']} — {customer['id']}" if customer else "New customer"
        )
        self._errors: dict[str, QLabel] = {}
        self._build()
        self._load_suggestions()
        if customer:
            self._fill(customer)
        self._clean = self._snapshot()
        self.name.setFocus()  # typing starts at the name, not on a button

    # -- building --------------------------------------------------------------------------
    def _field_error(self, key: str) -> QLabel:
        label = error_label()
        label.setObjectName(f"{key}Error")
        # Its own name loses the style sheet's QLabel#error rule: red, said here instead.
        label.setStyleSheet("color: #b3261e; font-weight: 600;")
        self._errors[key] = label
        return label

    def _build(self) -> None:
        self.banner = error_label()
        self.banner.setObjectName("formError")
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.name.setPlaceholderText("Full name, e.g. Chinedu Okafor")
        self.phone = QLineEdit()
        self.phone.setObjectName("phone")
        self.phone.setPlaceholderText("e.g. 0801 234 5678")
        self.phone_hint = plain_label()
        self.phone_hint.setObjectName("phoneHint")
        self.email = QLineEdit()
        self.email.setObjectName("email")
        self.email.setPlaceholderText("optional")
        self.address = QPlainTextEdit()
        self.address.setObjectName("address")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(56)
        self.birth = DateEdit()
        self.birth.setObjectName("dateOfBirth")
        self.birth.setCalendarPopup(True)
        self.birth.setDisplayFormat("dd MMM yyyy")
        self.birth.setMinimumDate(NO_DATE)
        self.birth.setMaximumDate(QDate(self.today.year, self.today.month, self.today.day))
        self.birth.setSpecialValueText("Not recorded")
        self.birth.setDate(NO_DATE)
        self.age = plain_label()
        self.age.setObjectName("age")

        self.allergy_unknown = QRadioButton("Not &yet asked")
        self.allergy_unknown.setObjectName("allergyUnknown")
        self.allergy_none = QRadioButton("No &known allergies")
        self.allergy_none.setObjectName("allergyNone")
        self.allergy_has = QRadioButton("&Has allergies:")
        self.allergy_has.setObjectName("allergyHas")
        self.allergy_group = QButtonGroup(self)
        for button in (self.allergy_unknown, self.allergy_none, self.allergy_has):
            self.allergy_group.addButton(button)
        self.allergy_unknown.setChecked(True)
        self.allergies = ChipsEdit(
            "Type an allergy, press Enter", noun="allergy", ask_new=self._ask_new_label
        )
        self.allergies.setObjectName("allergies")
        self.allergies.setEnabled(False)
        self.conditions = ChipsEdit(
            "Type a condition, press Enter", noun="condition", ask_new=self._ask_new_label
        )
        self.conditions.setObjectName("conditions")
        for chips in (self.allergies, self.conditions):
            chips.editor.setMinimumWidth(240)  # the whole hint readable
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(64)
        self.consent = QCheckBox("Customer a&grees to receive offers (marketing), by any channel")
        self.consent.setObjectName("marketingConsent")
        self.consent.setToolTip(
            "Refill reminders are asked separately, per channel, in the customer's profile"
        )
        self.language = QComboBox()
        self.language.setObjectName("language")
        for code, language_name in LANGUAGE_NAMES.items():
            self.language.addItem(language_name, code)

        form = QFormLayout()
        form.addRow("&Name *", self.name)
        form.addRow("", self._field_error("name"))
        phone_row = QVBoxLayout()
        phone_row.setSpacing(2)
        phone_row.addWidget(self.phone)
        phone_row.addWidget(self.phone_hint)
        form.addRow(_buddy("&Phone *", self.phone), phone_row)
        form.addRow("", self._field_error("phone"))
        form.addRow("&Email", self.email)
        form.addRow("", self._field_error("email"))
        form.addRow("A&ddress", self.address)
        birth_row = QHBoxLayout()
        birth_row.addWidget(self.birth)
        birth_row.addWidget(self.age)
        birth_row.addStretch(1)
        form.addRow(_buddy("Date of &birth", self.birth), birth_row)
        form.addRow("", self._field_error("dateOfBirth"))
        allergy_row = QVBoxLayout()
        radios = QHBoxLayout()
        radios.addWidget(self.allergy_unknown)
        radios.addWidget(self.allergy_none)
        radios.addWidget(self.allergy_has)
        radios.addStretch(1)
        allergy_row.addLayout(radios)
        allergy_row.addWidget(self.allergies)
        # Alt+A goes to the chosen answer: a focus key must not change the answer.
        self.allergy_label = _buddy("&Allergies", self.allergy_unknown)
        form.addRow(self.allergy_label, allergy_row)
        form.addRow("", self._field_error("allergies"))
        form.addRow(_buddy("&Conditions", self.conditions.editor), self.conditions)
        form.addRow("", self._field_error("medicalConditions"))
        form.addRow("N&otes", self.notes)
        form.addRow("Reminders &in", self.language)
        form.addRow("", self.consent)
        from pharmdesk.ui.record.form_part import RecordFormPart

        self.record_part = RecordFormPart(self.today, new=self.original is None, parent=self)
        form.addRow(self.record_part)

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
        layout.addLayout(form)
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

        self.name.editingFinished.connect(lambda: self._check("name"))
        self.phone.textChanged.connect(self._phone_preview)
        self.phone.editingFinished.connect(lambda: self._check("phone"))
        self.email.editingFinished.connect(lambda: self._check("email"))
        self.birth.dateChanged.connect(self._birth_changed)
        self.allergy_group.buttonToggled.connect(lambda *_: self._allergy_mode())
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.reload_button.clicked.connect(self._reload_latest)
        self._phone_preview("")

    def _load_suggestions(self) -> None:
        builtin = load_json("common-labels.json")
        for kind, widget in (("allergies", self.allergies), ("conditions", self.conditions)):
            try:
                recorded = self.desk.call("listRecordedLabels", {"kind": kind})["labels"]
            except PharmDeskError:
                recorded = []
            merged = list(dict.fromkeys([*recorded, *builtin[kind]]))
            widget.set_suggestions(merged)

    def _fill(self, c: dict[str, Any]) -> None:
        self.name.setText(c["name"])
        self.phone.setText(national_phone(c["phone"], self.region))
        self.email.setText(c.get("email") or "")
        self.address.setPlainText(c.get("address") or "")
        if c.get("dateOfBirth"):
            self.birth.setDate(QDate.fromString(c["dateOfBirth"], "yyyy-MM-dd"))
        status = c.get("allergyStatus", UNKNOWN)
        {UNKNOWN: self.allergy_unknown, NONE_KNOWN: self.allergy_none, RECORDED: self.allergy_has}[
            status
        ].setChecked(True)
        self.allergies.set_labels(list(c.get("allergies") or []))
        self.conditions.set_labels(list(c.get("medicalConditions") or []))
        self.notes.setPlainText(c.get("notes") or "")
        self.consent.setChecked(bool(c.get("marketingConsent")))
        self.language.setCurrentIndex(max(0, self.language.findData(c.get("language") or "en")))
        self.record_part.load(c)
        self._allergy_mode()

    # -- reading the fields ----------------------------------------------------------------
    def birth_date(self) -> dt.date | None:
        value = self.birth.date()
        if value == NO_DATE:
            return None
        return dt.date(value.year(), value.month(), value.day())

    def allergy_state(self) -> str:
        if self.allergy_has.isChecked():
            return RECORDED
        return NONE_KNOWN if self.allergy_none.isChecked() else UNKNOWN

    def _values(self) -> dict[str, Any]:
        """The form as addProviderCustomer params (optional fields None when empty)."""
        birth = self.birth_date()
        state = self.allergy_state()
        return {
            "name": self.name.text(),
            "phone": self.phone.text(),
            "email": self.email.text().strip() or None,
            "address": " ".join(self.address.toPlainText().split()) or None,
            "dateOfBirth": birth.isoformat() if birth else None,
            "allergies": self.allergies.labels() if state == RECORDED else [],
            "noKnownAllergies": state == NONE_KNOWN,
            "medicalConditions": self.conditions.labels(),
            "notes": self.notes.toPlainText().strip() or None,
            "marketingConsent": self.consent.isChecked(),
            "language": self.language.currentData(),
        }

    def _snapshot(self) -> dict[str, Any]:
        return {**self._values(), "record": self.record_part.snapshot()}

    def is_dirty(self) -> bool:
        return self._snapshot() != self._clean

    # -- checking --------------------------------------------------------------------------
    def _show(self, key: str, message: str | None) -> None:
        label = self._errors.get(key)
        if label is None:
            self.banner.setText(message or "")
            self.banner.setVisible(bool(message))
            return
        label.setText(message or "")
        label.setVisible(bool(message))

    def _check(self, key: str) -> bool:
        """Check one field with the operations' own rule; show or clear its message."""
        try:
            if key == "name":
                customer_name(self.name.text())
            elif key == "phone":
                phone_e164(self.phone.text(), self.region)
            elif key == "email" and self.email.text().strip():
                email_address(self.email.text())
            elif key == "dateOfBirth" and self.birth_date() is not None:
                date_of_birth(self.birth_date() or self.today, self.today)
            elif (
                key == "allergies"
                and self.allergy_state() == RECORDED
                and not self.allergies.labels()
            ):
                raise PharmDeskError(
                    "VALIDATION_ERROR",
                    "List at least one allergy, or choose 'No known allergies' or 'Not yet asked'.",
                    "allergies",
                )
        except PharmDeskError as exc:
            self._show(key, exc.message)
            return False
        self._show(key, None)
        return True

    def _check_all(self) -> bool:
        widgets = {
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "dateOfBirth": self.birth,
            "allergies": self.allergies,
        }
        first_bad = None
        for key, widget in widgets.items():
            if not self._check(key) and first_bad is None:
                first_bad = widget
        if first_bad is not None:
            first_bad.setFocus()
            return False
        return True

    def _phone_preview(self, text: str) -> None:
        if not text.strip():
            self.phone_hint.setText("Any common form: 0801 234 5678, +234 801 234 5678, …")
            return
        try:
            e164 = phone_e164(text, self.region)
        except PharmDeskError:
            self.phone_hint.setText("Not a complete number yet")
            return
        self.phone_hint.setText(f"Will be saved as {e164} ({national_phone(e164, self.region)})")
        self._show("phone", None)

    def _birth_changed(self, _value: QDate) -> None:
        birth = self.birth_date()
        self.age.setText(f"{_age(birth, self.today)} years" if birth else "")
        self._check("dateOfBirth")

    def _allergy_mode(self) -> None:
        checked = self.allergy_group.checkedButton()
        if checked is not None:
            self.allergy_label.setBuddy(checked)
        has = self.allergy_has.isChecked()
        self.allergies.setEnabled(has)
        if has:
            self.allergies.setFocus()
        else:
            self._show("allergies", None)

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
