"""The customer form's fields: what a person fills in, and each field checked as they
leave it with the same rules the operations use, the message next to the field. The
phone shows the number as it will be saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
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
from pharmdesk.errors import PharmDeskError
from pharmdesk.resources import load_json
from pharmdesk.ui.chips import ChipsEdit
from pharmdesk.ui.confirm import Ask
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import national_phone
from pharmdesk.ui.record.form_part import RecordFormPart
from pharmdesk.ui.theme import DANGER
from pharmdesk.ui.widgets import DateEdit, error_label, plain_label

NO_DATE = QDate(1899, 12, 31)  # the date edit's "not recorded" value
UNKNOWN, NONE_KNOWN, RECORDED = "unknown", "noneKnown", "recorded"


def _buddy(text: str, widget: QWidget) -> QLabel:
    """A row label whose Alt+letter focuses ``widget`` (a row holding a layout has no
    buddy of its own, and its label would show the ``&`` itself)."""
    label = plain_label(text)
    label.setBuddy(widget)
    return label


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class CustomerFields(QDialog):
    """The fields of a customer (``customer``: as read, None for a new one), their
    messages and a banner for what belongs to no field; ``CustomerForm`` saves them."""

    def __init__(
        self,
        desk: DeskContext,
        customer: dict[str, Any] | None,
        parent: QWidget | None,
        ask_new_label: Ask,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.original = customer
        self._ask_new_label = ask_new_label
        settings = desk.settings()
        self.region = str(settings.get("defaultRegion", "NG"))
        self.today = desk.clock.today()
        self._errors: dict[str, QLabel] = {}
        self.field_form = self._build_fields()

    # -- building --------------------------------------------------------------------------
    def _field_error(self, key: str) -> QLabel:
        label = error_label()
        label.setObjectName(f"{key}Error")
        # Its own name loses the style sheet's QLabel#error rule: red, said here instead.
        label.setStyleSheet(f"color: {DANGER}; font-weight: 600;")
        self._errors[key] = label
        return label

    def _build_fields(self) -> QFormLayout:
        """Every field, its message line and its checks, as rows of one form layout."""
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
        self.record_part = RecordFormPart(self.today, new=self.original is None, parent=self)
        form.addRow(self.record_part)

        self.name.editingFinished.connect(lambda: self._check("name"))
        self.phone.textChanged.connect(self._phone_preview)
        self.phone.editingFinished.connect(lambda: self._check("phone"))
        self.email.editingFinished.connect(lambda: self._check("email"))
        self.birth.dateChanged.connect(self._birth_changed)
        self.allergy_group.buttonToggled.connect(lambda *_: self._allergy_mode())
        self._phone_preview("")
        return form

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
