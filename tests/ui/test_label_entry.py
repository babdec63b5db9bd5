"""Label entry cannot save a fragment: Enter takes the suggestion, a new label is asked
about once (the customer form's allergies and conditions)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pharmdesk.ui.customer_form import CustomerForm
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
