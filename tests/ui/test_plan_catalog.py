"""The plan catalog dialog: add, change, retire, filled in as an admin would."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.plan_catalog import PlanCatalogDialog, PlanForm, medication_lines


def _catalog(qtbot, desk: DeskContext, answers: list[bool] | None = None) -> PlanCatalogDialog:
    replies = iter(answers or [])
    dialog = PlanCatalogDialog(desk, ask=lambda *_a: next(replies))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def _open_form(qtbot, dialog: PlanCatalogDialog, button: str) -> PlanForm:
    qtbot.mouseClick(getattr(dialog, button), Qt.MouseButton.LeftButton)
    form = dialog.form
    form.activateWindow()  # focus checks need the form to be the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    return form


def _plans(desk: DeskContext) -> list[dict[str, Any]]:
    return list(desk.call("listPlans", {"includeRetired": True})["plans"])


def _fill(qtbot, form: PlanForm, name: str, medications: str, price: str) -> None:
    form.name.setFocus()
    form.name.selectAll()
    qtbot.keyClicks(form.name, name)
    form.medications.setFocus()
    form.medications.selectAll()
    for number, line in enumerate(medications.split("\n")):
        if number:
            qtbot.keyClick(form.medications, Qt.Key.Key_Return)
        qtbot.keyClicks(form.medications, line)
    form.price.setFocus()
    form.price.selectAll()
    qtbot.keyClicks(form.price, price)


def test_add_a_plan(qtbot, signed_in_desk: DeskContext) -> None:
    dialog = _catalog(qtbot, signed_in_desk)
    assert dialog.model.rowCount() == 0 and not dialog.edit_button.isEnabled()
    form = _open_form(qtbot, dialog, "add_button")
    _fill(
        qtbot, form, "Asthma Control", "Salbutamol inhaler 100mcg\n  Montelukast 10mg \n", "28000"
    )
    form.frequency.setCurrentIndex(form.frequency.findData("weekly"))
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert _plans(signed_in_desk) == [
        {
            "id": "PLAN-1",
            "name": "Asthma Control",
            "medications": ["Salbutamol inhaler 100mcg", "Montelukast 10mg"],
            "frequency": "weekly",
            "price": 28000,
            "active": True,
        }
    ]
    assert dialog.model.rowCount() == 1
    assert dialog.model.data(dialog.model.index(0, 4)) == "₦28,000"
    assert (dialog.current() or {}).get("id") == "PLAN-1"


def test_add_errors_show_in_the_form(qtbot, signed_in_desk: DeskContext) -> None:
    signed_in_desk.call(
        "addPlan",
        {"name": "Asthma Control", "medications": ["X 1mg"], "frequency": "monthly", "price": 1},
    )
    dialog = _catalog(qtbot, signed_in_desk)
    form = _open_form(qtbot, dialog, "add_button")
    _fill(qtbot, form, "Asthma Plus", "", "100")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible() and "at least one medication" in form.error.text()
    assert form.medications.hasFocus()
    _fill(qtbot, form, "asthma control", "Budesonide 200mcg", "100")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "already called Asthma Control" in form.error.text()
    assert len(_plans(signed_in_desk)) == 1


def test_change_price_and_medications_keeps_subscriptions_terms(
    qtbot, signed_in_desk: DeskContext
) -> None:
    desk = signed_in_desk
    plan = desk.call(
        "addPlan",
        {
            "name": "Hypertension Care",
            "medications": ["Amlodipine 5mg"],
            "frequency": "monthly",
            "price": 15000,
        },
    )["planId"]
    customer = desk.call("addProviderCustomer", {"name": "Kemi Bello", "phone": "08031112222"})[
        "customerId"
    ]
    desk.call("addCustomerPlan", {"customerId": customer, "planId": plan})
    dialog = _catalog(qtbot, desk)
    dialog.table.selectRow(0)
    form = _open_form(qtbot, dialog, "edit_button")
    assert not form.frequency.isEnabled()
    assert "next delivery" in form.note.text()
    assert form.params() == {"planId": plan}  # nothing changed yet
    _fill(qtbot, form, "Hypertension Care", "Amlodipine 5mg\nLisinopril 10mg", "17500")
    assert form.params() == {
        "planId": plan,
        "medications": ["Amlodipine 5mg", "Lisinopril 10mg"],
        "price": 17500,
    }
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    [saved] = _plans(desk)
    assert (saved["price"], saved["medications"]) == (17500, ["Amlodipine 5mg", "Lisinopril 10mg"])
    [sub] = desk.call("viewProviderCustomerDetails", {"customerId": customer})["plans"]
    assert sub["medications"] == ["Amlodipine 5mg"]  # the subscription keeps its terms
    assert dialog.model.data(dialog.model.index(0, 4)) == "₦17,500"


def test_retire_asks_first_then_keeps_the_plan_in_sight(qtbot, signed_in_desk: DeskContext) -> None:
    desk = signed_in_desk
    desk.call(
        "addPlan",
        {"name": "Asthma Control", "medications": ["X 1mg"], "frequency": "monthly", "price": 1},
    )
    dialog = _catalog(qtbot, desk, answers=[False, True, True])
    dialog.table.selectRow(0)
    assert dialog.retire_button.text() == "Re&tire"
    qtbot.mouseClick(dialog.retire_button, Qt.MouseButton.LeftButton)  # "No"
    assert _plans(desk)[0]["active"] is True
    qtbot.mouseClick(dialog.retire_button, Qt.MouseButton.LeftButton)  # "Yes"
    assert _plans(desk)[0]["active"] is False
    assert desk.call("listPlans", {})["plans"] == []
    assert (
        dialog.show_retired.isChecked() and dialog.model.data(dialog.model.index(0, 5)) == "Retired"
    )
    assert dialog.retire_button.text() == "Bring &back"
    qtbot.mouseClick(dialog.retire_button, Qt.MouseButton.LeftButton)
    assert _plans(desk)[0]["active"] is True


def test_model_is_valid(qtmodeltester, qtbot, signed_in_desk: DeskContext) -> None:
    signed_in_desk.call(
        "addPlan",
        {"name": "Asthma Control", "medications": ["X 1mg"], "frequency": "monthly", "price": 1},
    )
    qtmodeltester.check(_catalog(qtbot, signed_in_desk).model)


def test_medication_lines() -> None:
    assert medication_lines(" A 1mg \n\n B 2mg\n") == ["A 1mg", "B 2mg"]
