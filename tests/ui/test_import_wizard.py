"""The Import wizard clicked through as a person would, checked against the database."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard
from sqlalchemy import func, select

from pharmdesk.store.schema import AuditEntry, Customer
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.import_wizard import ImportWizard
from pharmdesk.ui.import_wizard.common import (
    DONE_PAGE,
    FILE_PAGE,
    IMPORT_PAGE,
    MAPPING_PAGE,
    REPORT_PAGE,
)
from pharmdesk.ui.import_wizard.problems import DECISION_COLUMN, ProblemTableModel
from pharmdesk.ui.main_window import MainWindow
from tests.importing.files import write_csv

NEXT = QWizard.WizardButton.NextButton
COMMIT = QWizard.WizardButton.CommitButton
CANCEL = QWizard.WizardButton.CancelButton
FINISH = QWizard.WizardButton.FinishButton

HEADER = ["Ref", "Nombre", "Mobile", "Birthday", "Allergies"]


def _file(tmp_path: Path, body: list[list[str]]) -> Path:
    return write_csv(tmp_path / "old-system.csv", [HEADER, *body], delimiter=";")


def _click(qtbot: Any, wizard: QWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isVisible() and button.isEnabled(), which
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _show(qtbot: Any, wizard: ImportWizard) -> ImportWizard:
    wizard.show()
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    return wizard


def _choose_file(qtbot: Any, wizard: ImportWizard, path: Path) -> None:
    edit = wizard.file_page.path_edit
    edit.setFocus()
    qtbot.keyClicks(edit, str(path))
    _click(qtbot, wizard, NEXT)


def _count(desk: DeskContext) -> int:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        return int(tx.scalar(select(func.count()).select_from(Customer)) or 0)


def _audit(desk: DeskContext, action: str) -> list[dict[str, Any]]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        found = tx.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
    return [json.loads(detail) for detail in found]


def _wait_for_report(qtbot: Any, wizard: ImportWizard) -> None:
    qtbot.waitUntil(
        lambda: wizard.report_page.dry_run is not None and wizard.report_page.dry_run.finished,
        timeout=20_000,
    )


def test_choose_fix_mapping_read_report_import_and_see_them(
    qtbot: Any, main_window: MainWindow, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    signed_in_desk.call("addProviderCustomer", {"name": "Ngozi Okeke", "phone": "08031234567"})
    path = _file(
        tmp_path,
        [
            ["R1", "Adebayo Okafor", "0803 214 5567", "15/06/1985", "Penicillin"],
            ["R2", "Chiamaka Eze", "+234 805 331 2090", "03/02/1990", "None"],
            ["R3", "Bisi Okeke", "0803 123 4567", "", ""],  # shares Ngozi's phone
            ["R4", "Emeka Obi", "0802 111", "", ""],  # a bad phone
            ["R5", "Ngozi Okeke", "+2348031234567", "", ""],  # already on file
        ],
    )
    main_window.start()
    main_window.show()
    assert main_window.import_action.isVisible()
    main_window.import_action.trigger()
    wizard = _show(qtbot, main_window.import_wizard)
    assert wizard.currentId() == FILE_PAGE
    _choose_file(qtbot, wizard, path)

    # The columns: "Nombre" was not recognised; Next says what is missing.
    assert wizard.currentId() == MAPPING_PAGE
    page = wizard.mapping_page
    assert page.mapping() == (None, None, "phone", "dateOfBirth", "allergies")
    assert "semicolon" in page.read_as.text()
    assert page.preview_model.rowCount() == 5
    _click(qtbot, wizard, NEXT)
    assert wizard.currentId() == MAPPING_PAGE
    assert page.error.isVisible()
    assert page.error.text() == "Choose the column that holds the customer's name."
    combo = page.combos[1]
    combo.setFocus()
    qtbot.keyClicks(combo, "Name")
    assert page.mapping()[1] == "name"
    assert page.preview_model.headerData(1, Qt.Orientation.Horizontal) == "Nombre\n→ Name"
    assert not page.error.isVisible()
    _click(qtbot, wizard, NEXT)

    # The dry-run report.
    assert wizard.currentId() == REPORT_PAGE
    _wait_for_report(qtbot, wizard)
    report_page = wizard.report_page
    summary = report_page.summary.text()
    assert "<b>5</b> rows checked: <b>2</b> new customers" in summary
    assert "<b>1</b> already on file" in summary
    assert "<b>1</b> with errors" in summary
    assert "<b>1</b> look like someone already on file" in summary
    model = report_page.model
    rows = [[model.index(r, c).data() for c in (0, 1, 4, 5)] for r in range(model.rowCount())]
    assert [model.index(r, 2).data() for r in range(3)] == [
        "Bisi Okeke",
        "Emeka Obi",
        "Ngozi Okeke",
    ]
    assert rows == [
        ["4", "Likely duplicate", "", rows[0][3]],
        ["5", "Error", "Phone", "Phone number 0802 111 is not a valid number."],
        ["6", "Already on file", "", rows[2][3]],
    ]
    assert "CUST-1" in rows[0][3] and "CUST-1" in rows[2][3]
    assert wizard.button(COMMIT).text() == "&Import 2 customers"
    assert _count(signed_in_desk) == 1  # nothing written yet

    # Bisi shares a phone with Ngozi but is someone else: import anyway.
    decision = model.index(0, DECISION_COLUMN)
    report_page.table.setFocus()
    report_page.table.setCurrentIndex(decision)
    qtbot.keyClick(report_page.table, Qt.Key.Key_Space)
    assert decision.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert wizard.button(COMMIT).text() == "&Import 3 customers"
    _click(qtbot, wizard, COMMIT)

    # The import, then the Done page.
    qtbot.waitUntil(lambda: wizard.currentId() == DONE_PAGE, timeout=20_000)
    done = wizard.done_page.summary.text()
    assert "<b>3</b> customers imported" in done
    assert "1 already on file or repeated, 0 likely duplicates skipped, 1 rows with errors" in done
    assert _count(signed_in_desk) == 4
    details = signed_in_desk.call("viewProviderCustomerDetails", {"customerId": "CUST-2"})
    assert (details["name"], details["dateOfBirth"], details["allergies"]) == (
        "Adebayo Okafor",
        "1985-06-15",
        ["Penicillin"],
    )
    creates = _audit(signed_in_desk, "create")
    assert [c.get("importId") for c in creates] == [None] + [wizard.import_id] * 3
    (summary_entry,) = _audit(signed_in_desk, "import")
    assert summary_entry["created"] == 3 and summary_entry["cancelled"] is False

    # "Show in customer list": the newest first, in the main window's table.
    qtbot.mouseClick(wizard.done_page.show_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    qtbot.waitUntil(lambda: main_window.model.rowCount() == 4)
    names = [main_window.model.index(r, 1).data() for r in range(4)]
    assert names == ["Bisi Okeke", "Chiamaka Eze", "Adebayo Okafor", "Ngozi Okeke"]


def test_stop_half_way_keeps_the_batches_done(
    qtbot: Any, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    body = [[f"R{i}", f"Patient {chr(65 + i // 26)}{chr(65 + i % 26)}", f"0805{i:07d}", "", ""]
            for i in range(230)]  # fmt: skip
    path = _file(tmp_path, body)
    wizard = ImportWizard(signed_in_desk)
    qtbot.addWidget(wizard)
    _show(qtbot, wizard)
    _choose_file(qtbot, wizard, path)
    wizard.mapping_page.combos[1].setCurrentIndex(wizard.mapping_page.combos[1].findData("name"))
    _click(qtbot, wizard, NEXT)
    _wait_for_report(qtbot, wizard)
    assert wizard.button(COMMIT).text() == "&Import 230 customers"
    _click(qtbot, wizard, COMMIT)
    page = wizard.import_page
    assert wizard.currentId() == IMPORT_PAGE
    page.timer.stop()  # take the timer's place: exactly one batch, then Stop
    page.timer.timeout.emit()
    assert "100 of 230 rows done: 100 customers imported." in page.status.text()
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == DONE_PAGE
    assert wizard.done_page.title() == "Import stopped"
    assert "Stopped after 100 rows" in wizard.done_page.summary.text()
    assert _count(signed_in_desk) == 100
    assert len(_audit(signed_in_desk, "create")) == 100
    (summary_entry,) = _audit(signed_in_desk, "import")
    assert (summary_entry["created"], summary_entry["cancelled"]) == (100, True)
    _click(qtbot, wizard, FINISH)


def test_cancel_during_the_import_stops_between_batches(
    qtbot: Any, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    body = [[f"R{i}", f"Client {chr(65 + i // 26)}{chr(65 + i % 26)}", f"0807{i:07d}", "", ""]
            for i in range(150)]  # fmt: skip
    wizard = ImportWizard(signed_in_desk)
    qtbot.addWidget(wizard)
    _show(qtbot, wizard)
    _choose_file(qtbot, wizard, _file(tmp_path, body))
    wizard.mapping_page.combos[1].setCurrentIndex(wizard.mapping_page.combos[1].findData("name"))
    _click(qtbot, wizard, NEXT)
    _wait_for_report(qtbot, wizard)
    _click(qtbot, wizard, COMMIT)
    wizard.import_page.timer.stop()
    wizard.import_page.timer.timeout.emit()
    _click(qtbot, wizard, CANCEL)
    assert wizard.currentId() == DONE_PAGE  # says what was saved before it closes
    assert _count(signed_in_desk) == 100
    assert _audit(signed_in_desk, "import")[0]["cancelled"] is True


def test_a_lock_pauses_the_import_until_its_owner_is_back(
    qtbot: Any, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    body = [[f"R{i}", f"Person {chr(65 + i // 26)}{chr(65 + i % 26)}", f"0809{i:07d}", "", ""]
            for i in range(120)]  # fmt: skip
    wizard = ImportWizard(signed_in_desk)
    qtbot.addWidget(wizard)
    _show(qtbot, wizard)
    _choose_file(qtbot, wizard, _file(tmp_path, body))
    wizard.mapping_page.combos[1].setCurrentIndex(wizard.mapping_page.combos[1].findData("name"))
    _click(qtbot, wizard, NEXT)
    _wait_for_report(qtbot, wizard)
    _click(qtbot, wizard, COMMIT)
    page = wizard.import_page
    page.timer.stop()
    page.timer.timeout.emit()
    signed_in_desk.lock()
    assert not page.timer.isActive()
    from tests.conftest import ADMIN, ADMIN_PASSWORD

    signed_in_desk.sign_in(ADMIN, ADMIN_PASSWORD)
    assert page.timer.isActive()
    qtbot.waitUntil(lambda: wizard.currentId() == DONE_PAGE, timeout=20_000)
    assert _count(signed_in_desk) == 120


def test_another_person_signing_in_does_not_resume_or_sign_the_import(
    qtbot: Any, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    password = "a long password for the test 2026"
    signed_in_desk.call(
        "addStaff",
        {"username": "kemi", "fullName": "Kemi", "role": "pharmacist", "password": password},
    )
    body = [[f"R{i}", f"Person {chr(65 + i // 26)}{chr(65 + i % 26)}", f"0809{i:07d}", "", ""]
            for i in range(120)]  # fmt: skip
    wizard = ImportWizard(signed_in_desk)
    qtbot.addWidget(wizard)
    _show(qtbot, wizard)
    _choose_file(qtbot, wizard, _file(tmp_path, body))
    wizard.mapping_page.combos[1].setCurrentIndex(wizard.mapping_page.combos[1].findData("name"))
    _click(qtbot, wizard, NEXT)
    _wait_for_report(qtbot, wizard)
    _click(qtbot, wizard, COMMIT)
    page = wizard.import_page
    page.timer.stop()
    page.timer.timeout.emit()
    signed_in_desk.lock()
    signed_in_desk.sign_in("kemi", password)
    assert not page.timer.isActive()
    wizard.close()  # as their sign-out would (the lock coordinator closes their windows)
    assert not wizard.isVisible()
    assert "another person signed in" in wizard.done_page.error.text()
    assert _count(signed_in_desk) == 100
    assert _audit(signed_in_desk, "import") == []


def test_file_errors_and_saving_the_report(
    qtbot: Any, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    report_file = tmp_path / "report.csv"
    wizard = ImportWizard(signed_in_desk, choose_report=lambda _parent: str(report_file))
    qtbot.addWidget(wizard)
    _show(qtbot, wizard)
    _choose_file(qtbot, wizard, tmp_path / "missing.csv")
    assert wizard.currentId() == FILE_PAGE
    assert wizard.file_page.error.text().startswith("No file at")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf")
    wizard.file_page.path_edit.clear()
    _choose_file(qtbot, wizard, old)
    assert "old Excel file" in wizard.file_page.error.text()
    path = write_csv(
        tmp_path / "c.csv",
        [["Name", "Phone", "Email"], ["Ada Obi", "0801", "ada@"], ["Bola Ade", "08031112222", ""]],
    )
    wizard.file_page.path_edit.clear()
    _choose_file(qtbot, wizard, path)
    assert wizard.currentId() == MAPPING_PAGE
    _click(qtbot, wizard, NEXT)
    _wait_for_report(qtbot, wizard)
    qtbot.mouseClick(wizard.report_page.save_button, Qt.MouseButton.LeftButton)
    with report_file.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert [line[:3] for line in lines] == [
        ["Row", "Outcome", "Field"],
        ["2", "Error", "Phone"],
        ["2", "Error", "Email"],
    ]
    assert "Report saved" in wizard.report_page.status.text()
    _click(qtbot, wizard, CANCEL)
    assert _count(signed_in_desk) == 0


def test_nothing_new_leaves_import_disabled(
    qtbot: Any, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    signed_in_desk.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031112222"})
    path = write_csv(tmp_path / "c.csv", [["Name", "Phone"], ["Ada Obi", "0803 111 2222"]])
    wizard = ImportWizard(signed_in_desk)
    qtbot.addWidget(wizard)
    _show(qtbot, wizard)
    _choose_file(qtbot, wizard, path)
    _click(qtbot, wizard, NEXT)
    _wait_for_report(qtbot, wizard)
    assert not wizard.button(COMMIT).isEnabled()
    assert "<b>0</b> new customers" in wizard.report_page.summary.text()


@pytest.mark.parametrize(("role", "visible"), [("frontdesk", False), ("pharmacist", True)])
def test_the_menu_entry_is_for_admins_and_pharmacists(
    main_window: MainWindow, signed_in_desk: DeskContext, role: str, visible: bool
) -> None:
    password = "a long password for the test 2026"
    signed_in_desk.call(
        "addStaff", {"username": "kemi", "fullName": "Kemi", "role": role, "password": password}
    )
    signed_in_desk.sign_in("kemi", password)
    assert main_window.import_action.isVisible() is visible


def test_problem_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    from pharmdesk.importing import Problem

    model = ProblemTableModel()
    model.set_problems(
        [
            Problem(row=5, outcome="error", message="Bad", name="A", phone="1", field="phone"),
            Problem(row=3, outcome="likelyDuplicate", message="May be", name="B", phone="2",
                    matches=({"id": "CUST-1"},)),
        ]
    )  # fmt: skip
    qtmodeltester.check(model)
    assert model.index(0, 0).data() == "3"  # by row
    index = model.index(0, DECISION_COLUMN)
    assert model.flags(index) & Qt.ItemFlag.ItemIsUserCheckable
    assert not model.flags(model.index(1, DECISION_COLUMN)) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert not model.setData(model.index(1, DECISION_COLUMN), 2, Qt.ItemDataRole.CheckStateRole)
