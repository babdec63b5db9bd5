"""The customer form, filled in as a person would, checked against the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from pharmdesk.store.schema import AuditEntry, ConsentEvent
from pharmdesk.ui.customer_form.form import CustomerForm
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.duplicate_choice import DuplicateChoice
from pharmdesk.ui.profile_dialog import ProfileDialog


def _form(
    qtbot, desk: DeskContext, customer: dict[str, Any] | None = None, **kw: Any
) -> CustomerForm:  # type: ignore[no-untyped-def]
    kw.setdefault("ask", lambda *_args: True)  # closing at teardown must not block on a prompt
    kw.setdefault("ask_new_label", lambda *_args: True)  # a new label is added when asked
    form = CustomerForm(desk, customer, **kw)
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()  # focus moves (Tab, leaving a field) need an active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    return form


def _type(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    widget.setFocus()
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Tab)


def _audit(desk: DeskContext, action: str) -> list[AuditEntry]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        return list(tx.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _details(desk: DeskContext, customer_id: str) -> dict[str, Any]:
    return desk.call("viewProviderCustomerDetails", {"customerId": customer_id})


def test_create_with_every_field(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    form = _form(qtbot, signed_in_desk)
    saved: list[str] = []
    form.saved.connect(saved.append)
    _type(qtbot, form.name, "Chinedu  Okafor")
    _type(qtbot, form.phone, "0803 123 4567")
    assert form.phone_hint.text().startswith("Will be saved as +2348031234567")
    _type(qtbot, form.email, "chinedu@example.com")
    form.address.setFocus()
    qtbot.keyClicks(form.address, "12 Admiralty Way")
    qtbot.keyClick(form.address, Qt.Key.Key_Return)
    _type(qtbot, form.address, "Lekki")
    form.birth.setDate(QDate(1980, 3, 25))  # picked from the calendar
    assert form.age.text() == "46 years"
    qtbot.mouseClick(form.allergy_has, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(form.allergies.editor, "Penicillin")
    qtbot.keyClick(form.allergies.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(form.allergies.editor, "Sulfa,")
    qtbot.keyClicks(form.conditions.editor, "Diabetes Type 2")
    qtbot.keyClick(form.conditions.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(form.conditions.editor, "Hypertension")  # left typed, not yet Enter
    _type(qtbot, form.notes, "Prefers morning deliveries.")
    qtbot.mouseClick(form.consent, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

    assert saved == ["CUST-1"]
    d = _details(signed_in_desk, "CUST-1")
    assert d["name"] == "Chinedu Okafor"
    assert d["phone"] == "+2348031234567"
    assert d["email"] == "chinedu@example.com"
    assert d["address"] == "12 Admiralty Way Lekki"
    assert d["dateOfBirth"] == "1980-03-25"
    assert (d["allergyStatus"], d["allergies"]) == ("recorded", ["Penicillin", "Sulfa"])
    assert d["medicalConditions"] == ["Diabetes Type 2", "Hypertension"]
    assert d["notes"] == "Prefers morning deliveries."
    assert d["marketingConsent"] is True


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("name", "J", "Enter the customer's name (at least 2 characters)."),
        ("phone", "0801 234", "Phone number 0801 234 is not a valid number."),
        (
            "email",
            "chinedu@",
            "'chinedu@' is not a valid email address (expected name@example.com).",
        ),
    ],
)
def test_message_appears_next_to_the_field_on_leaving_it(
    qtbot,
    signed_in_desk: DeskContext,
    field: str,
    text: str,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    form = _form(qtbot, signed_in_desk)
    _type(qtbot, getattr(form, field), text)
    error = form._errors[field]
    assert error.isVisible()
    assert error.text() == message


def test_save_with_errors_saves_nothing_and_focuses_the_first(
    qtbot, signed_in_desk: DeskContext
) -> None:  # type: ignore[no-untyped-def]
    form = _form(qtbot, signed_in_desk)
    _type(qtbot, form.name, "Chinedu Okafor")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible()
    assert form._errors["phone"].text() == "Enter a phone number."
    assert form.phone.hasFocus()
    qtbot.mouseClick(form.allergy_has, Qt.MouseButton.LeftButton)
    _type(qtbot, form.phone, "08031234567")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "List at least one allergy" in form._errors["allergies"].text()
    assert signed_in_desk.call("fetchCustomers", {})["total"] == 0


def test_allergy_states_not_asked_and_none_known(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    for i, radio in enumerate(("allergy_unknown", "allergy_none")):
        form = _form(qtbot, signed_in_desk)
        _type(qtbot, form.name, f"Amaka Obi{'x' * i}")
        _type(qtbot, form.phone, f"0803123456{i}")
        qtbot.mouseClick(getattr(form, radio), Qt.MouseButton.LeftButton)
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert _details(signed_in_desk, "CUST-1")["allergyStatus"] == "unknown"
    assert _details(signed_in_desk, "CUST-2")["allergyStatus"] == "noneKnown"


def _answer_duplicate_prompt(qtbot, button: str) -> list[bool]:  # type: ignore[no-untyped-def]
    seen: list[bool] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, DuplicateChoice):
            QTimer.singleShot(20, answer)
            return
        seen.append(dialog.list.count() == 1)
        getattr(dialog, button).click()

    QTimer.singleShot(20, answer)
    return seen


def test_duplicate_prompt_save_as_new(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    signed_in_desk.call("addProviderCustomer", {"name": "Bisi Okafor", "phone": "08031234567"})
    form = _form(qtbot, signed_in_desk)
    _type(qtbot, form.name, "Tobi Okafor")
    _type(qtbot, form.phone, "08031234567")
    seen = _answer_duplicate_prompt(qtbot, "save_button")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert seen == [True]
    assert signed_in_desk.call("fetchCustomers", {})["total"] == 2


def test_duplicate_prompt_open_existing(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    signed_in_desk.call("addProviderCustomer", {"name": "Bisi Okafor", "phone": "08031234567"})
    form = _form(qtbot, signed_in_desk)
    opened: list[str] = []
    form.open_existing.connect(opened.append)
    _type(qtbot, form.name, "Tobi Okafor")
    _type(qtbot, form.phone, "08031234567")
    _answer_duplicate_prompt(qtbot, "open_button")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert opened == ["CUST-1"]
    assert not form.isVisible()
    assert signed_in_desk.call("fetchCustomers", {})["total"] == 1


def test_exact_duplicate_is_refused_with_the_existing_id(
    qtbot, signed_in_desk: DeskContext
) -> None:  # type: ignore[no-untyped-def]
    signed_in_desk.call("addProviderCustomer", {"name": "Bisi Okafor", "phone": "08031234567"})
    form = _form(qtbot, signed_in_desk)
    _type(qtbot, form.name, "BISI OKAFOR")
    _type(qtbot, form.phone, "+234 803 123 4567")
    _answer_duplicate_prompt(qtbot, "save_button")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "CUST-1" in form._errors["name"].text()
    assert form.isVisible()


def _existing(desk: DeskContext, **extra: Any) -> dict[str, Any]:
    cid = desk.call(
        "addProviderCustomer",
        {"name": "Ngozi Eze", "phone": "08031234567", "email": "ngozi@example.com", **extra},
    )["customerId"]
    return _details(desk, cid)


def test_edit_sends_only_changed_fields(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    customer = _existing(signed_in_desk, medicalConditions=["Asthma"])
    form = _form(qtbot, signed_in_desk, customer)
    assert form.phone.text() == "0803 123 4567"
    form.address.setFocus()
    qtbot.keyClicks(form.address, "5 Allen Avenue, Ikeja")
    qtbot.keyClicks(form.conditions.editor, "Hypertension")
    qtbot.keyClick(form.conditions.editor, Qt.Key.Key_Return)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    update = _audit(signed_in_desk, "update")[-1]
    assert sorted(json.loads(update.detail)["changes"]) == ["address", "medicalConditions"]


def test_edit_clears_an_optional_field(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    customer = _existing(signed_in_desk)
    form = _form(qtbot, signed_in_desk, customer)
    form.email.setFocus()
    form.email.selectAll()
    qtbot.keyClick(form.email, Qt.Key.Key_Delete)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert _details(signed_in_desk, customer["id"])["email"] is None


def test_edit_consent_is_recorded_with_who_and_when(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    customer = _existing(signed_in_desk)
    form = _form(qtbot, signed_in_desk, customer)
    qtbot.mouseClick(form.consent, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    d = _details(signed_in_desk, customer["id"])
    assert d["marketingConsent"] is True
    assert d["marketingConsentRecordedBy"] == "admin"
    assert signed_in_desk.session is not None
    with signed_in_desk.session.db.transaction() as tx:
        events = list(tx.scalars(select(ConsentEvent)))
    assert [(e.consent, e.recorded_by) for e in events] == [(True, "admin")]


def test_change_made_meanwhile_is_shown_not_overwritten(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    customer = _existing(signed_in_desk)
    form = _form(qtbot, signed_in_desk, customer)
    signed_in_desk.call(
        "updateProviderCustomer", {"customerId": customer["id"], "notes": "from the other desk"}
    )
    form.notes.setFocus()
    qtbot.keyClicks(form.notes, "from this desk")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible()
    assert "changed this customer at another desk" in form.banner.text()
    assert _details(signed_in_desk, customer["id"])["notes"] == "from the other desk"
    qtbot.mouseClick(form.reload_button, Qt.MouseButton.LeftButton)
    assert form.notes.toPlainText() == "from the other desk"


def test_escape_asks_before_discarding(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    answer = [False]

    def ask(title: str, _question: str) -> bool:
        asked.append(title)
        return answer[0]

    form = _form(qtbot, signed_in_desk, ask=ask)
    qtbot.keyClick(form.name, Qt.Key.Key_Escape)  # nothing typed: closes without asking
    assert asked == [] and not form.isVisible()
    form = _form(qtbot, signed_in_desk, ask=ask)
    _type(qtbot, form.name, "Half typed")
    qtbot.keyClick(form.name, Qt.Key.Key_Escape)
    assert asked == ["Discard changes?"] and form.isVisible()
    answer[0] = True
    qtbot.keyClick(form.name, Qt.Key.Key_Escape)
    assert not form.isVisible()


def test_profile_edit_and_pdf(qtbot, signed_in_desk: DeskContext, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    customer = _existing(signed_in_desk, allergies=["Penicillin"])
    dialog = ProfileDialog(signed_in_desk, customer["id"])
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.allergy_banner.property("state") == "recorded"
    assert "Penicillin" in dialog.allergy_banner.text()
    qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
    form = dialog.form
    form.name.selectAll()
    qtbot.keyClicks(form.name, "Ngozi Eze-Obi")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert dialog.name_label.text() == "Ngozi Eze-Obi"
    pdf = tmp_path / "profile.pdf"
    dialog.write_pdf(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert [e.entity_id for e in _audit(signed_in_desk, "print")] == [customer["id"]]


def test_row_labels_of_grouped_fields_focus_their_field(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    form = _form(qtbot, signed_in_desk)
    buddies = {label.text(): label.buddy() for label in form.findChildren(QLabel) if label.buddy()}
    assert buddies["&Phone *"] is form.phone
    assert buddies["Date of &birth"] is form.birth
    assert buddies["&Allergies"] is form.allergy_unknown
    qtbot.keyClick(form, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is form.birth
