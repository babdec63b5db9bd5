"""The audit log viewer driven as an admin would: filter, scroll, read, verify, export,
lock. Every list it shows is checked against ``fetchAuditLog`` itself."""

from __future__ import annotations

import csv
import errno
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QDate, QEvent, QModelIndex, QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import PERMISSION_DENIED, PharmDeskError
from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.audit_view import AuditLogWindow
from pharmdesk.ui.audit_view import export as audit_export
from pharmdesk.ui.audit_view.export import audit_csv
from pharmdesk.ui.audit_view.filters import ANY_DAY, CUSTOMER_DEBOUNCE_MS, DATE_DEBOUNCE_MS
from pharmdesk.ui.audit_view.model import (
    ENTRY_ID_ROLE,
    PAGE_SIZE,
    AuditLogModel,
    detail_lines,
    what,
)
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

FEMI_PASSWORD = "femi likes long walks 2026"


# -- helpers -------------------------------------------------------------------------------------
def controller_ids(desk: DeskContext, **filters: Any) -> list[str]:
    """What fetchAuditLog answers for these filters, every page."""
    ids: list[str] = []
    params: dict[str, Any] = {"limit": 500, **filters}
    while True:
        answer = desk.call("fetchAuditLog", params)
        ids.extend(e["id"] for e in answer["entries"])
        if not answer["hasMore"]:
            return ids
        params["beforeId"] = answer["nextBeforeId"]


def model_ids(model: AuditLogModel) -> list[str]:
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    return [model.index(r, 0).data(ENTRY_ID_ROLE) for r in range(model.rowCount())]


def entries(desk: DeskContext, action: str | None = None) -> list[AuditEntry]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(tx.scalars(query))


def number(entry_id: str) -> int:
    return int(entry_id.split("-")[1])


@pytest.fixture
def history(signed_in_desk: DeskContext, clock: FixedClock) -> Iterator[dict[str, str]]:
    """Three branch days of work by the admin and by femi (front desk)."""
    desk = signed_in_desk
    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Front",
            "role": "frontdesk",
            "password": FEMI_PASSWORD,
        },
    )
    ada = desk.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08011111111"})[
        "customerId"
    ]
    bola = desk.call("addProviderCustomer", {"name": "Bola Ade", "phone": "08022222222"})[
        "customerId"
    ]
    chidi = desk.call("addProviderCustomer", {"name": "Chidi Eze", "phone": "08044444444"})[
        "customerId"
    ]
    desk.call("updateProviderCustomer", {"customerId": ada, "phone": "08033333333"})
    clock.advance(days=1)
    desk.call("viewProviderCustomerDetails", {"customerId": ada})
    desk.call("viewProviderCustomerDetails", {"customerId": bola})
    femi: DeskSession = sign_in(
        desk.files, "femi", FEMI_PASSWORD, clock=clock, sleep=lambda _s: None, kdf=TEST_KDF
    )
    femi.call("fetchCustomers", {"search": "chidi"})
    femi.call("viewProviderCustomerDetails", {"customerId": chidi})
    femi.call("updateProviderCustomer", {"customerId": chidi, "notes": "Call after 5pm"})
    femi.close()
    clock.advance(days=1)
    desk.call("setMarketingConsent", {"customerId": bola, "consent": True})
    desk.call("viewProviderCustomerDetails", {"customerId": ada})
    yield {"ada": ada, "bola": bola, "chidi": chidi}


@pytest.fixture
def window(qtbot: QtBot, signed_in_desk: DeskContext) -> AuditLogWindow:
    view = AuditLogWindow(signed_in_desk, ask=lambda _t, _q: False)
    qtbot.addWidget(view)
    view.show()
    return view


# -- the model ----------------------------------------------------------------------------------
def test_model_passes_modeltester(
    qtmodeltester: ModelTester, signed_in_desk: DeskContext, history: dict[str, str]
) -> None:
    for _ in range(PAGE_SIZE + 50):  # two pages and a bit
        signed_in_desk.call("viewProviderCustomerDetails", {"customerId": history["ada"]})
    model = AuditLogModel(signed_in_desk.caller("fetchAuditLog"))
    model.reload()
    # the tester checks the structure now, then every change below as it is signalled
    qtmodeltester.check(model, force_py=True)
    model_ids(model)
    assert model.rowCount() > PAGE_SIZE + 50
    model.set_bad_entry(model.entry(3)["id"])  # type: ignore[index]
    assert model.index(3, 2).data(Qt.ItemDataRole.BackgroundRole) is not None
    # (a reset to a list with more pages is left out: the tester's own check would then
    # fetch more inside the reset signal, which it then reports against itself)
    model.set_filters({"action": "create"})
    assert model.rowCount() == 3 and not model.canFetchMore(QModelIndex())
    model.clear()
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())


def test_scrolling_shows_every_entry_once_newest_first(
    qtbot: QtBot, signed_in_desk: DeskContext, history: dict[str, str]
) -> None:
    desk = signed_in_desk
    for _ in range(PAGE_SIZE * 2):
        desk.call("viewProviderCustomerDetails", {"customerId": history["bola"]})
    head = entries(desk)[-1].id
    view = AuditLogWindow(desk)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    assert view.model.rowCount() == PAGE_SIZE
    assert "Scroll down for older ones" in view.count_label.text()
    pages = 1
    while view.model.canFetchMore(QModelIndex()):
        before = view.model.rowCount()
        view.table.scrollToBottom()  # the view itself asks the model for the next page
        assert view.model.rowCount() > before
        pages += 1
    ids = [number(view.model.entry(r)["id"]) for r in range(view.model.rowCount())]  # type: ignore[index]
    # the list began at the newest entry when the window opened (the listStaff entry of
    # opening it); every older one exactly once, in order
    assert ids == list(range(head + 1, 0, -1))
    assert view.count_label.text() == f"All {len(ids):,} entries, newest first."
    # one auditView entry per page shown, each saying how many it showed
    views = [json.loads(e.detail) for e in entries(desk, "auditView") if e.id > head + 1]
    assert [v["shown"] for v in views] == [PAGE_SIZE] * (pages - 1) + [
        len(ids) - PAGE_SIZE * (pages - 1)
    ]
    assert pages == 3


# -- filters -------------------------------------------------------------------------------------
def test_staff_filter_matches_the_controller(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    combo = window.staff_filter
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Everyone",
        "admin (Ada Admin)",
        "femi (Femi Front)",
    ]
    combo.setCurrentIndex(combo.findData("femi"))
    assert window.model.filters == {"user": "femi"}
    got = model_ids(window.model)
    assert got == controller_ids(window.desk, user="femi")
    assert {window.model.entry(r)["user"] for r in range(len(got))} == {"femi"}  # type: ignore[index]
    assert len(got) == 4  # signIn, list, view, update
    assert window.table.currentIndex().row() == 0  # the newest is selected and shown
    assert "femi (Femi Front)" in window.detail.toPlainText()


def test_action_filter_matches_the_controller(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    combo = window.action_filter
    assert combo.itemText(0) == "All actions"
    # every action of API.md's table, with v3's tamper and the completed record's four
    # (relationship, payer, merge, erase)
    assert combo.count() == 1 + 32
    combo.setCurrentIndex(combo.findData("update"))
    got = model_ids(window.model)
    assert got == controller_ids(window.desk, action="update")
    assert len(got) == 2
    assert [window.model.index(r, 2).data() for r in range(2)] == ["Updated", "Updated"]


def test_customer_picked_from_the_search_list(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    picker = window.customer_filter
    window.activateWindow()
    picker.setFocus()
    qtbot.keyClicks(picker, "ada o")
    popup = picker.completer_.popup()
    assert popup is not None
    qtbot.waitUntil(popup.isVisible, timeout=CUSTOMER_DEBOUNCE_MS * 10)
    assert picker.choices.stringList() == [f"{history['ada']} · Ada Obi · 0803 333 3333"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert picker.customer_id == history["ada"]
    assert window.model.filters == {"customerId": history["ada"]}
    got = model_ids(window.model)
    assert got == controller_ids(window.desk, customerId=history["ada"])
    # The access report: the picker's own search showed Ada to this admin, so it is in it.
    assert [window.model.entry(r)["action"] for r in range(len(got))] == [  # type: ignore[index]
        "list",
        "view",
        "view",
        "update",
        "create",
    ]
    assert window.model.index(0, 3).data() == f"{history['ada']} shown"
    assert window.model.index(1, 3).data() == f"customer {history['ada']}"
    assert f"that showed or changed {history['ada']}" in window.count_label.text()
    # typing something else drops the customer filter; an id typed whole is used as it is
    picker.clear()
    assert window.model.filters == {}
    qtbot.keyClicks(picker, history["chidi"].lower())
    qtbot.waitUntil(
        lambda: window.model.filters == {"customerId": history["chidi"]},
        timeout=CUSTOMER_DEBOUNCE_MS * 10,
    )
    assert model_ids(window.model) == controller_ids(window.desk, customerId=history["chidi"])


def test_no_customer_found_picks_nothing(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    picker = window.customer_filter
    qtbot.keyClicks(picker, "Zainab")
    popup = picker.completer_.popup()
    assert popup is not None
    qtbot.waitUntil(popup.isVisible, timeout=CUSTOMER_DEBOUNCE_MS * 10)
    assert picker.choices.stringList() == ["No customer matches 'Zainab'"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert picker.customer_id is None
    assert window.model.filters == {}


def test_date_range_is_whole_local_days(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    assert window.from_date.text() == "Any day"
    window.from_date.setDate(QDate(2026, 4, 19))
    window.to_date.setDate(QDate(2026, 4, 19))
    qtbot.waitUntil(
        lambda: window.model.filters == {"from": "2026-04-19", "to": "2026-04-19"},
        timeout=DATE_DEBOUNCE_MS * 10,
    )
    got = model_ids(window.model)
    assert got == controller_ids(window.desk, **{"from": "2026-04-19", "to": "2026-04-19"})
    assert len(got) == 6  # two views by the admin; femi's sign-in, list, view, update
    # a start after the end moves the end along, and the reverse
    window.from_date.setDate(QDate(2026, 4, 20))
    assert window.to_date.date() == QDate(2026, 4, 20)
    window.to_date.setDate(QDate(2026, 4, 18))
    assert window.from_date.date() == QDate(2026, 4, 18)
    window.from_date.setDate(ANY_DAY)
    qtbot.waitUntil(lambda: window.model.filters == {"to": "2026-04-18"}, timeout=2000)
    assert model_ids(window.model) == controller_ids(window.desk, to="2026-04-18")


def test_filters_combine_and_clear(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    window.staff_filter.setCurrentIndex(window.staff_filter.findData("admin"))
    window.action_filter.setCurrentIndex(window.action_filter.findData("view"))
    window.to_date.setDate(QDate(2026, 4, 19))
    qtbot.waitUntil(lambda: "to" in window.model.filters, timeout=2000)
    filters = {"user": "admin", "action": "view", "to": "2026-04-19"}
    assert window.model.filters == filters
    assert model_ids(window.model) == controller_ids(window.desk, **filters)
    assert window.model.rowCount() == 2
    qtbot.mouseClick(window.clear_filters_button, Qt.MouseButton.LeftButton)
    assert window.model.filters == {}
    assert window.staff_filter.currentIndex() == 0
    assert window.action_filter.currentIndex() == 0
    assert window.to_date.date() == ANY_DAY


def test_empty_state_when_nothing_matches(qtbot: QtBot, window: AuditLogWindow) -> None:
    window.action_filter.setCurrentIndex(window.action_filter.findData("restore"))
    assert window.model.rowCount() == 0
    assert window.results.currentWidget() is window.empty_state
    assert window.empty_state.text().startswith("No entries match these filters.")
    assert "Select an entry" in window.detail.toPlainText()
    window.clear_filters()
    assert window.results.currentWidget() is window.table


# -- reading an entry -----------------------------------------------------------------------------
def test_detail_pane_shows_changes_as_old_to_new(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    window.action_filter.setCurrentIndex(window.action_filter.findData("update"))
    row = next(
        r
        for r in range(window.model.rowCount())
        if window.model.entry(r)["entityId"] == history["ada"]  # type: ignore[index]
    )
    window.table.selectRow(row)
    text = window.detail.toPlainText()
    assert "phone: 0801 111 1111 → 0803 333 3333" in text
    assert f"customer {history['ada']}" in text
    assert "admin (Ada Admin)" in text
    assert "Updated (update)" in text
    assert "(2026-04-18T12:00:00Z UTC)" in text and "18 Apr 2026 13:00:00" in text  # Lagos
    assert "{" not in text and '"old"' not in text  # read by people, not raw JSON
    assert window.model.index(row, 3).data() == f"customer {history['ada']}"
    assert window.model.index(row, 0).data() == "18 Apr 2026 13:00:00"


def test_detail_lines_for_people() -> None:
    emergency = {
        "action": "emergencyAccess",
        "detail": {"reason": "Admin left; <b>manager</b> needs access", "recoveryKey": True},
    }
    assert detail_lines(emergency) == [
        "Reason: Admin left; <b>manager</b> needs access",
        "Recovery key: yes",
    ]
    export = {
        "action": "export",
        "detail": {
            "kind": "campaignAudience",
            "segment": "highValue",
            "params": {"minSpend": 100000},
            "shown": 1200,
            "excludedWithoutConsent": 3,
        },
    }
    assert detail_lines(export) == [
        "Kind: campaignAudience",
        "Segment: highValue",
        "Params: Min spend: 100000",
        "Shown: 1,200",
        "Left out (no consent): 3",
    ]
    update = {
        "action": "update",
        "detail": {
            "changes": {
                "allergies": {"old": [], "new": ["Penicillin", "Sulfa"]},
                "email": {"old": None, "new": "ada@example.com"},
                "marketingConsent": {"old": False, "new": True},
            },
            "sentForReview": ["SUB-2"],
        },
    }
    assert detail_lines(update) == [
        "Changed:",
        "  allergies: (none) → Penicillin, Sulfa",
        "  email: (empty) → ada@example.com",
        "  marketingConsent: no → yes",
        "Sent for review: SUB-2",
    ]
    consent = {"action": "consent", "detail": {"old": False, "new": True}}
    assert detail_lines(consent) == ["Marketing consent: no → yes"]
    warnings = {"action": "enroll", "detail": {"warnings": [{"kind": "x", "message": "Check."}]}}
    assert detail_lines(warnings) == ["Warnings: Check."]
    assert detail_lines({"action": "lock", "detail": {}}) == []
    assert what({"entityType": "staff", "entityId": "femi"}) == "staff femi"
    assert what({"entityType": "customer", "entityId": None}) == "customer"
    assert what({"entityType": None, "entityId": None}) == "—"
    assert what({"action": "auditView", "entityType": None, "entityId": None}) == "audit log"


def test_detail_pane_escapes_what_people_typed(qtbot: QtBot, window: AuditLogWindow) -> None:
    window.desk.call("addProviderCustomer", {"name": "Tola <i>Bold</i>", "phone": "08055555555"})
    window.desk.call("updateProviderCustomer", {"customerId": "CUST-1", "notes": "<b>x</b> & y"})
    window.action_filter.setCurrentIndex(window.action_filter.findData("update"))
    assert "notes: (empty) → <b>x</b> & y" in window.detail.toPlainText()


def test_denied_and_failed_are_highlighted(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    femi = sign_in(
        window.desk.files, "femi", FEMI_PASSWORD, clock=window.desk.clock, sleep=lambda _s: None,
        kdf=TEST_KDF,
    )  # fmt: skip
    with pytest.raises(PharmDeskError):
        femi.call("fetchAuditLog", {})
    femi.close()
    window.action_filter.setCurrentIndex(window.action_filter.findData("denied"))
    assert window.model.rowCount() == 1
    index = window.model.index(0, 4)
    assert index.data() == "Denied"
    assert index.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#b3261e"
    assert index.data(Qt.ItemDataRole.FontRole).bold()
    assert "Operation: fetchAuditLog" in window.detail.toPlainText()
    window.clear_filters()
    assert window.model.index(0, 4).data(Qt.ItemDataRole.ForegroundRole) is None  # success


# -- verify --------------------------------------------------------------------------------------
def test_verify_green_on_a_fresh_database(qtbot: QtBot, window: AuditLogWindow) -> None:
    count = len(entries(window.desk))
    qtbot.mouseClick(window.verify_button, Qt.MouseButton.LeftButton)
    assert window.verify_result.isVisible()
    assert window.verify_result.property("state") == "ok"
    assert window.verify_result.text().startswith(f"Chain intact: {count:,} entries checked.")
    last = entries(window.desk, "auditView")[-1]
    assert json.loads(last.detail)["operation"] == "verifyAuditLog"


def _tamper(desk: DeskContext, entry_id: int) -> None:
    """What an attacker with the key might do: edit a row straight in the database."""
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        entry = tx.get(AuditEntry, entry_id)
        assert entry is not None
        entry.detail = json.dumps({"fields": ["name"]})


def test_verify_red_names_and_selects_the_edited_entry(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    ada_update = next(e for e in entries(window.desk, "update") if e.entity_id == history["ada"])
    _tamper(window.desk, ada_update.id)
    window.clear_filters()
    window.model.fetchMore(QModelIndex())  # all loaded (fewer than two pages)
    qtbot.mouseClick(window.verify_button, Qt.MouseButton.LeftButton)
    bad = f"AUD-{ada_update.id}"
    text = window.verify_result.text()
    assert window.verify_result.property("state") == "bad"
    assert text.startswith(f"Chain broken at {bad} (18 Apr 2026 13:00:00)")
    assert f"The {ada_update.id - 1:,} entries before it are intact." in text
    row = window.table.currentIndex().row()
    assert window.model.entry(row)["id"] == bad  # type: ignore[index]
    assert window.model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "Fields: name\n" in window.detail.toPlainText() + "\n"  # as it reads now
    assert "phone:" not in window.detail.toPlainText()
    # not loaded (filtered out): still named with its time, read on its own
    window.action_filter.setCurrentIndex(window.action_filter.findData("signIn"))
    qtbot.mouseClick(window.verify_button, Qt.MouseButton.LeftButton)
    assert window.verify_result.text().startswith(f"Chain broken at {bad} (18 Apr 2026 13:00:00)")
    assert window.model.row_of(bad) is None


def test_verify_red_names_a_removed_entry(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow
) -> None:
    assert window.desk.session is not None
    with window.desk.session.db.transaction() as tx:
        tx.delete(tx.get(AuditEntry, 5))
    window.verify_chain()
    assert window.verify_result.property("state") == "bad"
    assert window.verify_result.text().startswith("Chain broken at AUD-5: that entry is missing")


# -- export --------------------------------------------------------------------------------------
def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_writes_every_filtered_entry_and_is_audited(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow, tmp_path: Path
) -> None:
    desk = window.desk
    for _ in range(PAGE_SIZE + 10):  # more than one page: the export reads them all
        desk.call("viewProviderCustomerDetails", {"customerId": history["chidi"]})
    window.action_filter.setCurrentIndex(window.action_filter.findData("view"))
    assert window.model.rowCount() == PAGE_SIZE  # only the first page is loaded
    expected = controller_ids(desk, action="view")
    target = tmp_path / "audit"
    assert window.export_csv(target) == tmp_path / "audit.csv"
    rows = read_csv(tmp_path / "audit.csv")
    assert [r["ID"] for r in rows] == expected
    assert {r["Action"] for r in rows} == {"view"}
    first = rows[-1]  # the oldest view: the admin's of Ada on the second day
    assert first["Entity ID"] == history["ada"]
    assert first["When (UTC)"] == "2026-04-19T12:00:00Z"
    assert first["When (local)"] == "19 Apr 2026 13:00:00"
    assert first["Staff"] == "admin"
    assert json.loads(first["Detail (JSON)"]) == {}
    exported = entries(desk, "export")
    assert len(exported) == 1
    assert exported[0].outcome == "success"
    assert exported[0].entity_type is None
    assert json.loads(exported[0].detail) == {
        "kind": "auditLog",
        "format": "csv",
        "filters": {"action": "view"},
        "entries": len(expected),
        "throughId": expected[0],
    }
    assert (
        window.notice.text() == f"Exported {len(expected):,} entries to {tmp_path / 'audit.csv'}."
    )


def test_export_by_customer_joins_that_customers_trail(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow, tmp_path: Path
) -> None:
    picked: list[str] = []

    def choose(suggested: str) -> str:
        picked.append(suggested)
        return str(tmp_path / "bola.csv")

    window.choose_file = choose
    window.customer_filter.setText(history["bola"])
    window.customer_filter.search_now()
    assert window.model.filters == {"customerId": history["bola"]}
    qtbot.mouseClick(window.export_button, Qt.MouseButton.LeftButton)
    assert Path(picked[0]).name == f"audit-log-{history['bola']}-2026-04-20.csv"
    rows = read_csv(tmp_path / "bola.csv")
    trail = controller_ids(window.desk, customerId=history["bola"])
    assert [r["ID"] for r in rows] == trail[1:]  # newest in the trail: the export itself
    assert rows[0]["Details"] == "Marketing consent: no → yes"
    exported = entries(window.desk, "export")[-1]
    assert (exported.entity_type, exported.entity_id) == ("customer", history["bola"])
    # the export is now part of Bola's trail
    window.apply_filters()
    assert window.model.entry(0)["action"] == "export"  # type: ignore[index]


def test_export_never_overwrites_without_asking(
    qtbot: QtBot, window: AuditLogWindow, tmp_path: Path
) -> None:
    target = tmp_path / "log.csv"
    target.write_text("keep me")
    questions: list[str] = []

    def refuse(_title: str, question: str) -> bool:
        questions.append(question)
        return False

    window.ask = refuse
    assert window.export_csv(target) is None
    assert target.read_text() == "keep me"
    assert questions == ["log.csv already exists. Replace it?"]
    assert window.error.text() == "Nothing was written. Choose another file name."
    assert entries(window.desk, "export") == []
    window.ask = lambda _title, _question: True
    assert window.export_csv(target) == target
    assert read_csv(target)[0]["ID"].startswith("AUD-")


def test_export_that_cannot_be_written_says_so(
    qtbot: QtBot, window: AuditLogWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(path: Path, data: bytes, *, replace: bool) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(audit_export, "write_file_atomic", full_disk)
    assert window.export_csv(tmp_path / "log.csv") is None
    assert not (tmp_path / "log.csv").exists()
    assert "could not be written (No space left on device)" in window.error.text()
    assert [e.outcome for e in entries(window.desk, "export")] == ["success", "failed"]
    assert window.export_csv(tmp_path / "missing" / "log.csv") is None
    assert "does not exist" in window.error.text()


def test_export_with_nothing_matching_writes_nothing(
    qtbot: QtBot, window: AuditLogWindow, tmp_path: Path
) -> None:
    window.action_filter.setCurrentIndex(window.action_filter.findData("restore"))
    assert window.export_csv(tmp_path / "none.csv") is None
    assert not (tmp_path / "none.csv").exists()
    assert window.notice.text() == "Nothing to export: no entries match these filters."
    assert entries(window.desk, "export") == []


def test_csv_cells_cannot_run_as_formulas() -> None:
    entry = {
        "id": "AUD-9",
        "at": "2026-04-18T12:00:00Z",
        "user": "=cmd",
        "action": "update",
        "entityType": "customer",
        "entityId": "CUST-1",
        "outcome": "success",
        "detail": {"changes": {"notes": {"old": None, "new": "=HYPERLINK(1)"}}},
    }
    row = next(iter(csv.reader(audit_csv([entry]).decode("utf-8-sig").splitlines()[1:])))
    assert row[3] == "'=cmd"
    assert "notes: (empty) → =HYPERLINK(1)" in row[8]


# -- who, and the lock ---------------------------------------------------------------------------
def test_non_admins_cannot_open_it(
    qtbot: QtBot, signed_in_desk: DeskContext, window_settings: QSettings
) -> None:
    desk = signed_in_desk
    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Front",
            "role": "frontdesk",
            "password": FEMI_PASSWORD,
        },
    )
    desk.sign_in("femi", FEMI_PASSWORD)
    main = MainWindow(desk, window_settings)
    qtbot.addWidget(main)
    main.start()
    assert main.audit_action.isVisible() is False
    assert main.admin_menu.menuAction().isVisible() is False
    with pytest.raises(PharmDeskError) as refused:
        AuditLogWindow(desk)
    assert refused.value.code == PERMISSION_DENIED
    main.audit_action.trigger()  # even if reached: refused, said in the status bar
    assert main.audit_window is None
    assert "Ask an admin" in main.statusBar().currentMessage()
    with pytest.raises(PharmDeskError) as export:
        desk.call("recordAuditExport", {"entries": 1})
    assert export.value.code == PERMISSION_DENIED


def test_menu_opens_it_and_the_lock_clears_it(
    qtbot: QtBot, main_window: MainWindow, history: dict[str, str]
) -> None:
    main_window.start()
    main_window.show()
    assert main_window.audit_action.isVisible()
    assert main_window.audit_action.shortcut().toString() == "Ctrl+Shift+A"
    assert main_window.audit_action in main_window.admin_menu.actions()
    main_window.audit_action.trigger()
    view = main_window.audit_window
    assert view is not None and view.isVisible() and view.model.rowCount() > 0
    main_window.audit_action.trigger()  # the open one comes forward, no second window
    assert main_window.audit_window is view
    view.customer_filter.setText("Ada")
    view.customer_filter.search_now()
    view.table.selectRow(0)
    assert view.detail.toPlainText()
    main_window.lock()
    assert not view.isVisible()
    assert view.model.rowCount() == 0
    assert view.customer_filter.text() == "" and view.customer_filter.choices.stringList() == []
    assert view.detail.toPlainText() == ""
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not shiboken6.isValid(view)  # closed, not just hidden
    qtbot.keyClicks(main_window.sign_in_form.password, ADMIN_PASSWORD)
    qtbot.keyClick(main_window.sign_in_form.password, Qt.Key.Key_Return)
    assert main_window.desk.username == ADMIN
    assert not [
        w for w in QApplication.topLevelWidgets() if isinstance(w, AuditLogWindow) and w.isVisible()
    ]


def test_ctrl_shift_a_opens_it(qtbot: QtBot, main_window: MainWindow) -> None:
    main_window.start()
    main_window.show()
    main_window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main_window)
    qtbot.keyClick(
        main_window,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert main_window.audit_window is not None and main_window.audit_window.isVisible()


def test_sign_out_closes_it(qtbot: QtBot, main_window: MainWindow) -> None:
    main_window.start()
    main_window.show()
    main_window.audit_action.trigger()
    view = main_window.audit_window
    assert view is not None
    main_window.sign_out()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not shiboken6.isValid(view)


def test_count_label_reads_well(qtbot: QtBot, window: AuditLogWindow) -> None:
    assert re.fullmatch(r"All \d+ entries, newest first\.", window.count_label.text())
    window.action_filter.setCurrentIndex(window.action_filter.findData("signIn"))
    assert window.count_label.text() == "1 entry matching the filters."


# -- the access report -----------------------------------------------------------------------------
def test_the_customer_filter_is_the_access_report(
    qtbot: QtBot, history: dict[str, str], window: AuditLogWindow, signed_in_desk: DeskContext
) -> None:
    """Lists, segments and duplicate checks that showed the customer are in it, named as
    such, with who and when; the detail lists every customer that list showed."""
    ada = history["ada"]
    signed_in_desk.call("fetchCustomers", {})  # all three customers on one page
    signed_in_desk.call("fetchCustomers", {"search": "chidi"})  # not Ada
    qtbot.keyClicks(window.customer_filter, ada.lower())
    qtbot.waitUntil(
        lambda: window.model.filters == {"customerId": ada}, timeout=CUSTOMER_DEBOUNCE_MS * 10
    )
    got = model_ids(window.model)
    assert got == controller_ids(window.desk, customerId=ada)
    first = window.model.entry(0)
    assert first is not None and first["action"] == "list"
    assert first["detail"]["customerIds"] == [ada, history["bola"], history["chidi"]]
    assert window.model.index(0, 3).data() == f"{ada} shown among 2 others"
    window.table.selectRow(0)
    assert "Customers shown:" in window.detail.toPlainText()
    assert f"that showed or changed {ada}" in window.count_label.text()
    # The search for Chidi alone never showed Ada: it is not in her report.
    lists = [window.model.entry(r) for r in range(window.model.rowCount())]
    assert all(e is not None and e["detail"].get("search") != "chidi" for e in lists)


def test_verify_says_when_the_checkpoint_is_missing(
    qtbot: QtBot, window: AuditLogWindow, signed_in_desk: DeskContext
) -> None:
    assert signed_in_desk.session is not None
    signed_in_desk.session.files.checkpoint.unlink()
    qtbot.mouseClick(window.verify_button, Qt.MouseButton.LeftButton)
    assert window.verify_result.property("state") == "bad"
    assert window.verify_result.text().startswith("Cannot confirm the log: checkpoint missing.")
