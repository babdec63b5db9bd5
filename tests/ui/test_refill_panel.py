"""The refill queue on a demo database: the rows are the operation's rows, and recording
a delivery takes a customer off the queue when the next delivery leaves the window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER, create_demo
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.refill_panel import (
    OVERDUE_COLOUR,
    PAGE_SIZE,
    RefillPanel,
    run_sheet_html,
    when_text,
)
from tests.conftest import TEST_KDF

TODAY = dt.date(2026, 4, 18)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DatabaseFiles:
    files = DatabaseFiles(tmp_path_factory.mktemp("demo") / "demo.db")
    create_demo(files, customers=300, kdf=TEST_KDF, clock=FixedClock(), workers=1)
    return files


@pytest.fixture
def demo_desk(
    demo_template: DatabaseFiles, tmp_path: Path, clock: FixedClock
) -> Iterator[DeskContext]:
    files = DatabaseFiles(tmp_path / "demo.db")
    for source, target in ((demo_template.db, files.db), (demo_template.vault, files.vault)):
        target.write_bytes(source.read_bytes())
    if demo_template.checkpoint.exists():
        files.checkpoint.write_bytes(demo_template.checkpoint.read_bytes())
    desk = DeskContext(files, clock, kdf=TEST_KDF)
    desk.sign_in(DEMO_USER, DEMO_PASSWORD)
    yield desk
    desk.close()


def operation_rows(desk: DeskContext, days: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = desk.call("getCustomersWithUpcomingRefills", {"days": days, "page": page})
        rows.extend(answer["customers"])
        if not answer["hasMore"]:
            return rows
        page += 1


def panel_rows(panel: RefillPanel) -> list[dict[str, Any]]:
    while panel.model.canFetchMore(QModelIndex()):
        panel.model.fetchMore(QModelIndex())
    return panel.model.rows()


@pytest.fixture
def panel(qtbot, demo_desk: DeskContext) -> RefillPanel:
    widget = RefillPanel(demo_desk)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    widget.activate()
    return widget


def test_the_rows_are_the_operations_rows_for_every_window(
    qtbot, panel: RefillPanel, demo_desk: DeskContext
) -> None:
    assert panel.days.value() == 7
    assert panel_rows(panel) == operation_rows(demo_desk, 7)
    assert panel.model.rowCount() > 0
    for days in (0, 30, 365):
        panel.days.setValue(days)
        expected = operation_rows(demo_desk, days)
        assert panel_rows(panel) == expected
        assert panel.model.total == len(expected)
    assert panel.model.rowCount() > PAGE_SIZE  # the year spans pages: none skipped or repeated
    ids = [row["id"] for row in panel.model.rows()]
    assert len(ids) == len(set(ids))


def test_overdue_first_in_the_warning_colour(qtbot, panel: RefillPanel) -> None:
    rows = panel_rows(panel)
    firsts = [dt.date.fromisoformat(r["upcomingRefills"][0]["nextDelivery"]) for r in rows]
    assert firsts == sorted(firsts)
    overdue = [i for i, d in enumerate(firsts) if d < TODAY]
    assert overdue and overdue == list(range(len(overdue)))  # the demo has overdue refills
    model = panel.model
    first = model.index(0, 1)
    assert model.data(first).startswith("Overdue")
    assert model.data(first, Qt.ItemDataRole.ForegroundRole).color().name() == OVERDUE_COLOUR
    later = model.index(len(overdue), 1)
    assert model.data(later, Qt.ItemDataRole.ForegroundRole) is None
    assert "overdue (shown in red)" in panel.count.text()


def test_model_is_a_valid_qt_model(qtmodeltester, panel: RefillPanel) -> None:
    panel.days.setValue(365)
    qtmodeltester.check(panel.model)


def _monthly_single(panel: RefillPanel, demo_desk: DeskContext) -> int:
    """A row with one refill on a monthly plan, due recently: its next delivery is a month on."""
    frequency = {
        p["id"]: p["frequency"]
        for p in demo_desk.call("listPlans", {"includeRetired": True})["plans"]
    }
    for row_number, row in enumerate(panel.model.rows()):
        refills = row["upcomingRefills"]
        due = dt.date.fromisoformat(refills[0]["nextDelivery"])
        if (
            len(refills) == 1
            and frequency[refills[0]["planId"]] == "monthly"
            and due >= TODAY - dt.timedelta(days=10)
        ):
            return row_number
    raise AssertionError("the demo database has no suitable row")


def test_recording_a_delivery_removes_the_row_when_the_next_one_leaves_the_window(
    qtbot, panel: RefillPanel, demo_desk: DeskContext
) -> None:
    row_number = _monthly_single(panel, demo_desk)
    row = panel.model.rows()[row_number]
    refill = row["upcomingRefills"][0]
    price = {p["id"]: p["price"] for p in demo_desk.call("listPlans", {})["plans"]}[
        refill["planId"]
    ]
    panel.table.selectRow(row_number)
    assert panel.record_button.isEnabled()
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert dialog.isVisible()
    assert dialog.plan.currentData()["subscriptionId"] == refill["subscriptionId"]
    assert dialog.amount.value() == price  # prefilled with the plan price
    assert dialog.status.currentData() == "completed"
    assert "Delivery due" in dialog.hint.text()
    before = demo_desk.call("viewProviderCustomerDetails", {"customerId": row["id"]})
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    next_delivery = dt.date.fromisoformat(dialog.answer["nextDelivery"])
    assert next_delivery > TODAY + dt.timedelta(days=7)
    assert row["id"] not in [r["id"] for r in panel_rows(panel)]
    assert panel_rows(panel) == operation_rows(demo_desk, 7)
    after = demo_desk.call("viewProviderCustomerDetails", {"customerId": row["id"]})
    assert after["stats"]["totalOrders"] == before["stats"]["totalOrders"] + 1
    assert after["stats"]["totalSpent"] == before["stats"]["totalSpent"] + price
    [sub] = [p for p in after["plans"] if p["subscriptionId"] == refill["subscriptionId"]]
    assert sub["nextDelivery"] == next_delivery.isoformat()
    # A wider window still shows the customer, now at the new date.
    panel.days.setValue(60)
    [again] = [r for r in panel_rows(panel) if r["id"] == row["id"]]
    assert again["upcomingRefills"][0]["nextDelivery"] == next_delivery.isoformat()


def test_call_copies_the_phone_and_clear_forgets_the_rows(qtbot, panel: RefillPanel) -> None:
    panel.table.selectRow(0)
    qtbot.mouseClick(panel.call_button, Qt.MouseButton.LeftButton)
    phone = panel.model.data(panel.model.index(0, 3))
    assert QGuiApplication.clipboard().text() == phone
    assert phone.startswith("0")
    panel.clear()
    assert panel.model.rowCount() == 0
    assert not panel.record_button.isEnabled() and not panel.call_button.isEnabled()


def test_an_empty_window_says_so(qtbot, signed_in_desk: DeskContext) -> None:
    widget = RefillPanel(signed_in_desk)
    qtbot.addWidget(widget)
    widget.show()
    widget.activate()
    assert widget.stack.currentWidget() is widget.empty
    assert "No deliveries due in the next 7 days" in widget.empty.text()
    widget.days.setValue(0)
    assert "No deliveries due today" in widget.empty.text()


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (-3, "Overdue 3 days"),
        (-1, "Overdue 1 day"),
        (0, "Due today"),
        (1, "Tomorrow"),
        (5, "In 5 days"),
    ],
)
def test_when_text(offset: int, text: str) -> None:
    assert when_text(TODAY + dt.timedelta(days=offset), TODAY) == text


def test_run_sheet_pdf_groups_by_date_and_time_and_is_audited(
    qtbot, demo_desk: DeskContext, tmp_path: Path
) -> None:
    target = tmp_path / "sheet.pdf"
    asked: list[str] = []

    def choose(_parent: object, suggested: str) -> Path:
        asked.append(suggested)
        return target

    widget = RefillPanel(demo_desk, choose_path=choose)
    qtbot.addWidget(widget)
    widget.show()
    widget.activate()
    qtbot.mouseClick(widget.run_sheet_button, Qt.MouseButton.LeftButton)
    assert asked == ["run-sheet-2026-04-18.pdf"]
    assert target.read_bytes().startswith(b"%PDF")
    sheet = demo_desk.call("getRefillRunSheet", {"days": 7})
    assert widget.count.text() == f"Run-sheet saved: {len(sheet['deliveries'])} deliveries"
    subs = {
        r["subscriptionId"] for row in operation_rows(demo_desk, 7) for r in row["upcomingRefills"]
    }
    assert {d["subscriptionId"] for d in sheet["deliveries"]} == subs  # the queue's deliveries
    html = run_sheet_html(sheet, "NG")
    dates = sorted({d["nextDelivery"] for d in sheet["deliveries"]})
    headings = [f"<h3>{dt.date.fromisoformat(d):%A %d %b %Y}" for d in dates]
    assert all(html.count(h) == 1 for h in headings)  # one group per date
    positions = [html.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "Overdue" in html and "Morning" in html
    assert demo_desk.session is not None
    with demo_desk.session.db.transaction() as tx:
        entries = list(tx.scalars(select(AuditEntry).where(AuditEntry.action == "print")))
    assert len(entries) == 2  # the panel's sheet and the test's own call
    assert all("refillRunSheet" in str(e.detail) for e in entries)


def test_run_sheet_not_saved_when_no_file_chosen(qtbot, demo_desk: DeskContext) -> None:
    widget = RefillPanel(demo_desk, choose_path=lambda _p, _s: None)
    qtbot.addWidget(widget)
    widget.activate()
    qtbot.mouseClick(widget.run_sheet_button, Qt.MouseButton.LeftButton)
    assert demo_desk.session is not None
    with demo_desk.session.db.transaction() as tx:
        assert list(tx.scalars(select(AuditEntry).where(AuditEntry.action == "print"))) == []


def test_run_sheet_html_when_empty() -> None:
    html = run_sheet_html(
        {"today": "2026-04-18", "days": 7, "deliveries": [], "truncated": False}, "NG"
    )
    assert "No deliveries due." in html and "Saturday 25 Apr 2026" in html
