"""Customers ▸ Find duplicates…: the scan with progress, the pairs, the side-by-side view,
Merge… through the record's merge dialog, and who sees the entry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QRadioButton
from sqlalchemy import select

from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.duplicate_pairs import PairTableModel
from pharmdesk.ui.duplicates_dialog import DuplicatesDialog
from pharmdesk.ui.main_window import MainWindow

FEMI = {"username": "femi", "fullName": "Femi", "role": "frontdesk"}
FEMI_PASSWORD = "femi likes long walks 2026"


def add(desk: DeskContext, name: str, phone: str, birth: str | None = None) -> str:
    params: dict[str, Any] = {"name": name, "phone": phone}
    if birth:
        params["dateOfBirth"] = birth
    return str(desk.call("addProviderCustomer", params)["customerId"])


@pytest.fixture
def pairs(signed_in_desk: DeskContext) -> list[tuple[str, str]]:
    made = [
        (add(signed_in_desk, "Chinedu Okafor", "08031234567", "1980-03-02"),
         add(signed_in_desk, "Chinedu Okafro", "+234 803 123 4567", "1980-03-02")),
        (add(signed_in_desk, "Funmi Adeyemi", "08051112222"),
         add(signed_in_desk, "Adeyemi Funmi", "0805 111 2222")),
    ]  # fmt: skip
    add(signed_in_desk, "Ngozi Okafor", "08031234567")  # a relative on the same phone
    return made


def scanned(qtbot, desk: DeskContext) -> tuple[DuplicatesDialog, list[tuple[str, int, int]]]:  # type: ignore[no-untyped-def]
    dialog = DuplicatesDialog(desk)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.scan()
    assert dialog.job is not None and not dialog.scan_button.isEnabled()
    seen: list[tuple[str, int, int]] = []
    dialog.job.progress.connect(lambda *a: seen.append(a))
    qtbot.waitUntil(lambda: dialog.job is None, timeout=20000)
    return dialog, seen


def test_the_scan_shows_progress_then_the_pairs_most_certain_first(
    qtbot, qtmodeltester, signed_in_desk: DeskContext, pairs: list[tuple[str, str]]
) -> None:  # type: ignore[no-untyped-def]
    dialog, seen = scanned(qtbot, signed_in_desk)
    assert seen and seen[-1][0] == "Comparing names" and seen[-1][1] == seen[-1][2]
    assert dialog.scan_button.isEnabled() and dialog.progress.isHidden()
    qtmodeltester.check(dialog.model)
    shown = [dialog.model.record(r) for r in range(dialog.model.rowCount())]
    assert [(p["a"]["id"], p["b"]["id"]) for p in shown if p] == pairs
    why = dialog.model.index(0, 1).data()
    assert why == "same phone, same date of birth, similar spelling"
    assert dialog.model.index(1, 1).data() == "same phone, names swapped"
    assert "2 possible duplicate pairs" in dialog.status.text()
    # The first pair is chosen and shown side by side; what differs is bold.
    name_a, name_b = dialog.comparison.values["name"]
    phone_a, phone_b = dialog.comparison.values["phone"]
    assert (name_a.text(), name_b.text()) == ("Chinedu Okafor", "Chinedu Okafro")
    assert name_b.font().bold()
    assert phone_a.text() == phone_b.text() == "0803 123 4567"
    assert not phone_b.font().bold()
    assert signed_in_desk.session is not None
    with signed_in_desk.session.db.transaction() as tx:
        entries = tx.scalars(select(AuditEntry).where(AuditEntry.action == "list")).all()
    details = [json.loads(e.detail) if isinstance(e.detail, str) else e.detail for e in entries]
    listed = [d for d in details if d.get("operation") == "findDuplicateCustomers"]
    assert listed[-1]["customerIds"] == [pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1]]


def test_pages_arrive_as_the_list_scrolls(
    qtbot, qtmodeltester, signed_in_desk: DeskContext, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from pharmdesk.ui import duplicate_pairs

    monkeypatch.setattr(duplicate_pairs, "PAGE_SIZE", 2)
    for n in range(5):
        add(signed_in_desk, f"Kemi Ojo Tola{'x' * n}", f"0803123{n:04d}")
        add(signed_in_desk, f"Kemi Tola{'x' * n}", f"0803123{n:04d}")
    model = PairTableModel(signed_in_desk.caller("findDuplicateCustomers"))
    model.load()
    assert (model.rowCount(), model.total, model.canFetchMore()) == (2, 5, True)
    qtmodeltester.check(model)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 5


def test_an_empty_branch_says_so(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    add(signed_in_desk, "Ngozi Okafor", "08031234567")
    dialog, _seen = scanned(qtbot, signed_in_desk)
    assert dialog.stack.currentWidget() is dialog.empty
    assert not dialog.open_a.isEnabled() and not dialog.merge_button.isEnabled()


def test_merge_opens_the_merge_dialog_and_the_list_is_made_again(
    qtbot, signed_in_desk: DeskContext, pairs: list[tuple[str, str]]
) -> None:  # type: ignore[no-untyped-def]
    dialog, _seen = scanned(qtbot, signed_in_desk)
    merged: list[str] = []
    dialog.merged.connect(merged.append)
    keep, other = pairs[0]
    assert dialog.current_pair() is not None
    assert [dialog.current_pair()["a"]["id"], dialog.current_pair()["b"]["id"]] == [keep, other]
    assert dialog.merge_button.isEnabled()
    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    merge = dialog.merge_dialog
    assert merge is not None and (merge.keep_id, merge.merge_id) == (keep, other)
    qtbot.waitExposed(merge)
    assert set(merge.choices) == {"name"}  # the typo; the phone is the same number
    name_b = merge.findChild(QRadioButton, "name_merge")
    qtbot.mouseClick(name_b, Qt.MouseButton.LeftButton, pos=QPoint(6, name_b.height() // 2))
    qtbot.keyClicks(merge.reason, "Same person, typed twice at import")
    qtbot.mouseClick(merge.save_button, Qt.MouseButton.LeftButton)
    assert merged == [keep]
    kept = signed_in_desk.call("viewProviderCustomerDetails", {"customerId": keep})
    assert kept["name"] == "Chinedu Okafro"
    gone = signed_in_desk.call("viewProviderCustomerDetails", {"customerId": other})
    assert gone["mergedInto"] == keep
    assert dialog.job is not None  # the list is made again after a merge
    qtbot.waitUntil(lambda: dialog.job is None, timeout=20000)
    rows = [dialog.model.record(n) for n in range(dialog.model.rowCount())]
    shown = [(p["a"]["id"], p["b"]["id"]) for p in rows if p is not None]
    assert (keep, other) not in shown


def test_the_menu_entry_by_role_and_a_lock_clears_the_window(
    qtbot, signed_in_desk: DeskContext, window_settings: QSettings, pairs: list[tuple[str, str]]
) -> None:  # type: ignore[no-untyped-def]
    signed_in_desk.call("addStaff", {**FEMI, "password": FEMI_PASSWORD})
    window = MainWindow(signed_in_desk, window_settings)
    qtbot.addWidget(window)
    window.show()
    assert window.duplicates.action.isVisible()
    assert window.duplicates.action in window.customers_menu.actions()
    window.duplicates.action.trigger()
    dialog = window.duplicates.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.job is None, timeout=20000)
    assert dialog.model.rowCount() == 2
    opened: list[str] = []
    dialog.open_profile.connect(opened.append)
    qtbot.mouseClick(dialog.open_b, Qt.MouseButton.LeftButton)
    assert opened == [pairs[0][1]]
    window.lock()
    assert dialog.model.rowCount() == 0 and not dialog.isVisible()
    signed_in_desk.sign_in("femi", FEMI_PASSWORD)
    assert not window.duplicates.action.isVisible()


def test_stored_text_is_shown_as_typed(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    add(signed_in_desk, "<b>Ada</b> Eze", "08031234567")
    add(signed_in_desk, "Eze <b>Ada</b>", "08031234567")
    dialog, _seen = scanned(qtbot, signed_in_desk)
    name_a, name_b = dialog.comparison.values["name"]
    assert (name_a.text(), name_b.text()) == ("<b>Ada</b> Eze", "Eze <b>Ada</b>")
    assert dialog.model.index(0, 2).data() == "<b>Ada</b> Eze (CUST-1)"
    assert "&lt;b&gt;" in name_a.toolTip()


def test_closing_during_a_scan_stops_it(qtbot, signed_in_desk: DeskContext, pairs) -> None:  # type: ignore[no-untyped-def]
    dialog = DuplicatesDialog(signed_in_desk)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.scan()
    job = dialog.job
    assert job is not None
    dialog.close()
    assert not job.running or job.wait(1000)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=5000)
    assert dialog.error.isHidden()
