"""The Reviews tab: held enrollments for pharmacists and admins, decided from the list."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.review_panel import PAGE_SIZE, ReviewPanel


def _audit(desk: DeskContext, action: str) -> list[AuditEntry]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def _hold(desk: DeskContext, clock: FixedClock, count: int) -> list[str]:
    """``count`` enrollments held for review, a minute apart (the oldest first)."""
    plan = desk.call(
        "addPlan",
        {
            "name": "Chest Course",
            "medications": ["Amoxicillin 500mg"],
            "frequency": "weekly",
            "price": 4000,
        },
    )["planId"]
    subs = []
    for i in range(count):
        customer = desk.call(
            "addProviderCustomer",
            {
                "name": f"Allergic Person {i:03d}",
                "phone": f"0803{i:07d}",
                "allergies": ["Penicillin"],
            },
        )["customerId"]
        subs.append(desk.call("addCustomerPlan", {"customerId": customer, "planId": plan}))
        clock.advance(minutes=1)
    return [s["subscriptionId"] for s in subs]


def _all_pending(desk: DeskContext) -> list[dict[str, Any]]:
    rows, page = [], 1
    while True:
        answer = desk.call("listPendingReviews", {"page": page, "limit": 100})
        rows += answer["reviews"]
        if not answer["hasMore"]:
            return rows
        page += 1


def _shown(panel: ReviewPanel) -> list[dict[str, Any]]:
    rows = [panel.model.record(r) for r in range(panel.model.rowCount())]
    return [row for row in rows if row is not None]


@pytest.fixture
def panel(qtbot, signed_in_desk: DeskContext) -> ReviewPanel:  # type: ignore[no-untyped-def]
    widget = ReviewPanel(signed_in_desk)
    qtbot.addWidget(widget)
    widget.resize(1000, 400)
    widget.show()
    return widget


def test_rows_equal_the_pending_subscriptions_across_pages(
    qtbot, qtmodeltester, panel: ReviewPanel, signed_in_desk: DeskContext, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    subs = _hold(signed_in_desk, clock, PAGE_SIZE + 3)
    counts: list[int] = []
    panel.count_changed.connect(counts.append)
    panel.activate()
    assert panel.model.rowCount() == PAGE_SIZE and panel.model.canFetchMore()
    while panel.model.canFetchMore():
        panel.model.fetchMore()
    qtmodeltester.check(panel.model)
    shown = _shown(panel)
    assert shown == _all_pending(signed_in_desk)
    assert [r["subscriptionId"] for r in shown] == subs  # longest waiting first, none twice
    assert counts[-1] == PAGE_SIZE + 3
    first = [panel.model.index(0, c).data() for c in range(panel.model.columnCount())]
    assert first[0].startswith("18 Apr 2026 (")
    assert first[1:4] == [
        "Allergic Person 000 (CUST-1)",
        f"Chest Course ({subs[0]})",
        "Penicillin → Amoxicillin 500mg",
    ]
    assert first[4] == "Allergy conflict: waiting for a pharmacist's review."
    assert panel.summary.text().startswith(f"{PAGE_SIZE + 3:,} enrollments are waiting")


def test_approve_from_the_list_with_a_reason(
    qtbot, panel: ReviewPanel, signed_in_desk: DeskContext, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    subs = _hold(signed_in_desk, clock, 2)
    panel.activate()
    reviewed: list[str] = []
    panel.reviewed.connect(reviewed.append)
    panel.table.selectRow(1)
    qtbot.mouseClick(panel.approve_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert dialog.approve and "Allergic Person 001" in dialog.windowTitle()
    dialog.reason.setFocus()
    qtbot.keyClicks(dialog.reason, "Tolerated amoxicillin in 2024")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert reviewed == ["CUST-2"]
    assert [r["subscriptionId"] for r in _shown(panel)] == [subs[0]]
    [entry] = _audit(signed_in_desk, "review")
    assert json.loads(entry.detail) == {
        "subscriptionId": subs[1],
        "approve": True,
        "reason": "Tolerated amoxicillin in 2024",
        "status": "active",
    }


def test_reject_from_the_list_and_the_empty_state(
    qtbot, panel: ReviewPanel, signed_in_desk: DeskContext, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    [sub] = _hold(signed_in_desk, clock, 1)
    panel.activate()
    panel.table.selectRow(0)
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    panel.dialog.reason.setPlainText("Allergy confirmed; prescriber asked for an alternative")
    qtbot.mouseClick(panel.dialog.save_button, Qt.MouseButton.LeftButton)
    [plan] = signed_in_desk.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})["plans"]
    assert (plan["subscriptionId"], plan["status"]) == (sub, "cancelled")
    assert panel.model.rowCount() == 0
    assert panel.stack.currentWidget() is panel.empty
    assert not panel.approve_button.isEnabled() and not panel.reject_button.isEnabled()


def test_open_profile_from_a_row(
    qtbot, panel: ReviewPanel, signed_in_desk: DeskContext, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    _hold(signed_in_desk, clock, 1)
    panel.activate()
    opened: list[str] = []
    panel.open_profile.connect(opened.append)
    rect = panel.table.visualRect(panel.model.index(0, 1))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseClick(panel.profile_button, Qt.MouseButton.LeftButton)
    assert opened == ["CUST-1", "CUST-1"]


def test_front_desk_loads_nothing_and_is_not_refused(
    qtbot, panel: ReviewPanel, signed_in_desk: DeskContext, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    _hold(signed_in_desk, clock, 1)
    signed_in_desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi",
            "role": "frontdesk",
            "password": "femi likes long walks 2026",
        },
    )
    signed_in_desk.sign_in("femi", "femi likes long walks 2026")
    panel.activate()
    assert panel.model.rowCount() == 0
    assert _audit(signed_in_desk, "denied") == []


def test_main_window_tab_by_role_with_the_count(
    qtbot, signed_in_desk: DeskContext, window_settings: QSettings, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    _hold(signed_in_desk, clock, 2)
    signed_in_desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi",
            "role": "frontdesk",
            "password": "femi likes long walks 2026",
        },
    )
    window = MainWindow(signed_in_desk, window_settings)
    qtbot.addWidget(window)
    window.start()
    window.show()
    index = window.tabs.indexOf(window.review_panel)
    assert window.tabs.isTabVisible(index)
    assert window.tabs.tabText(index) == "Reviews"
    assert [e for e in _audit(signed_in_desk, "list") if "listPendingReviews" in e.detail] == []
    window.tabs.setCurrentWidget(window.review_panel)  # read when shown, not before
    assert window.tabs.tabText(index) == "Reviews (2)"
    assert window.review_panel.model.rowCount() == 2
    window.lock()
    assert window.review_panel.model.rowCount() == 0  # no patient rows while locked
    signed_in_desk.sign_in("femi", "femi likes long walks 2026")
    assert not window.tabs.isTabVisible(index)
