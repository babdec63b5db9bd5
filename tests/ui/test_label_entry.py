"""Label entry cannot save a fragment: Enter takes the suggestion, a new label is asked
about once (the customer form's allergies and conditions)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pharmdesk.ui.customer_form.form import CustomerForm
from pharmdesk.ui.desk import DeskContext


def _form(qtbot, desk: DeskContext, questions: list[str], answer: bool) -> CustomerForm:  # type: ignore[no-untyped-def]
    def ask_new(_title: str, question: str) -> bool:
        questions.append(question.splitlines()[0])
        return answer

    form = CustomerForm(desk, None, ask=lambda *_a: True, ask_new_label=ask_new)
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    form.name.setFocus()
    qtbot.keyClicks(form.name, "Chinedu Okafor")
    form.phone.setFocus()
    qtbot.keyClicks(form.phone, "0803 123 4567")
    return form


def _saved(desk: DeskContext) -> dict[str, Any]:
    customers = desk.call("fetchCustomers", {"limit": 5})["customers"]
    assert len(customers) == 1
    return desk.call("viewProviderCustomerDetails", {"customerId": customers[0]["id"]})


def test_return_takes_the_first_suggestion(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    questions: list[str] = []
    form = _form(qtbot, signed_in_desk, questions, answer=False)
    editor = form.conditions.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "Hypert")
    popup = editor.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert form.conditions.labels() == ["Hypertension"]
    assert editor.text() == ""
    qtbot.keyClick(form.save_button, Qt.Key.Key_Space)
    assert _saved(signed_in_desk)["medicalConditions"] == ["Hypertension"]
    assert questions == []


def test_a_highlighted_suggestion_wins(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    questions: list[str] = []
    form = _form(qtbot, signed_in_desk, questions, answer=False)
    editor = form.conditions.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "diab")
    popup = editor.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    second = popup.model().index(1, 0).data()
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert form.conditions.labels() == [second]
    assert "diab" in second.lower() and second != "diab"


def test_a_new_label_is_asked_about_once(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    questions: list[str] = []
    form = _form(qtbot, signed_in_desk, questions, answer=False)
    editor = form.conditions.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "Hypert")
    popup = editor.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Escape)  # the list closed: the text as typed
    assert not popup.isVisible() and form.isVisible()
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert questions == ["Add new condition 'Hypert'?"]
    assert form.conditions.labels() == ["Hypert"]  # still only typed, not a chip
    assert editor.text() == "Hypert"
    # Saving with the fragment still typed asks again and, declined, saves nothing.
    qtbot.keyClick(form.save_button, Qt.Key.Key_Space)
    assert len(questions) == 2
    assert signed_in_desk.call("fetchCustomers", {"limit": 5})["customers"] == []
    assert form.isVisible()


def test_an_accepted_new_label_is_saved_as_typed(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    questions: list[str] = []
    form = _form(qtbot, signed_in_desk, questions, answer=True)
    form.allergy_has.setChecked(True)
    editor = form.allergies.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "Shea butter,")  # a comma takes the text as typed
    assert questions == ["Add new allergy 'Shea butter'?"]
    qtbot.keyClicks(editor, "shea BUTTER,")  # known now: no second question
    assert questions == ["Add new allergy 'Shea butter'?"]
    qtbot.keyClicks(editor, "penicillin")
    qtbot.keyClick(form.save_button, Qt.Key.Key_Space)  # the known label, as listed
    assert _saved(signed_in_desk)["allergies"] == ["Shea butter", "Penicillin"]
    assert len(questions) == 1


# -- the plan filter and the audit viewer's customer picker ----------------------------------
def test_enter_in_the_plan_filter_takes_the_first_plan(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QWizard

    from pharmdesk.ui.enrollment.wizard import EnrollmentWizard

    desk = signed_in_desk
    for name, medication in (("Hypertension Care", "Amlodipine 5mg"), ("Asthma", "Salbutamol")):
        desk.call(
            "addPlan",
            {"name": name, "medications": [medication], "frequency": "monthly", "price": 9000},
        )
    customer = desk.call("addProviderCustomer", {"name": "Bola Ade", "phone": "08031234567"})
    wizard = EnrollmentWizard(desk, customer["customerId"])
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    page = wizard.plan_page
    qtbot.waitUntil(lambda: wizard.currentPage() is page)
    page.filter.setFocus()
    qtbot.keyClicks(page.filter, "amlo")
    assert page.list.currentItem() is None
    qtbot.keyClick(page.filter, Qt.Key.Key_Return)
    assert wizard.currentPage() is page  # the first Enter chooses, it does not go on
    assert page.list.currentItem() is not None
    assert page.list.currentItem().text().startswith("Hypertension Care")
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClick(page.list, Qt.Key.Key_Return)
    assert wizard.currentPage() is wizard.schedule_page
    assert wizard.flow.plan is not None and wizard.flow.plan.name == "Hypertension Care"


def test_enter_in_the_audit_customer_picker_takes_the_first(
    qtbot, signed_in_desk: DeskContext
) -> None:  # type: ignore[no-untyped-def]
    from pharmdesk.ui.audit_view import AuditLogWindow

    desk = signed_in_desk
    ada = desk.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08033333333"})
    desk.call("addProviderCustomer", {"name": "Chidi Eze", "phone": "08034444444"})
    view = AuditLogWindow(desk, ask=lambda _t, _q: False)
    qtbot.addWidget(view)
    view.show()
    picker = view.customer_filter
    picker.setFocus()
    qtbot.keyClicks(picker, "ada o")
    qtbot.keyClick(picker, Qt.Key.Key_Return)  # before the list has even opened
    assert picker.customer_id == ada["customerId"]
    assert view.model.filters == {"customerId": ada["customerId"]}
    assert view.isVisible()
