"""The lazy customer model: pages on demand, database sorting, model sanity."""

from __future__ import annotations

import json

from PySide6.QtCore import QModelIndex, Qt
from sqlalchemy import select

from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.customer_table import CUSTOMER_ID_ROLE, PAGE_SIZE, CustomerTableModel
from pharmdesk.ui.desk import DeskContext
from tests.ui.conftest import add_customers


def _bulk(desk: DeskContext, count: int) -> None:
    add_customers(desk, [f"Customer {chr(65 + i % 26)}{i:04d}" for i in range(count)])


def test_model_passes_modeltester(qtmodeltester, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    _bulk(signed_in_desk, 250)
    model = CustomerTableModel(signed_in_desk.caller("fetchCustomers"))
    model.reload()
    qtmodeltester.check(model, force_py=True)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 250


def test_pages_load_on_demand(signed_in_desk: DeskContext) -> None:
    _bulk(signed_in_desk, PAGE_SIZE * 2 + 5)
    model = CustomerTableModel(signed_in_desk.caller("fetchCustomers"))
    model.reload()
    assert model.rowCount() == PAGE_SIZE
    assert model.total == PAGE_SIZE * 2 + 5
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == PAGE_SIZE * 2 + 5
    assert not model.canFetchMore(QModelIndex())
    ids = [model.data(model.index(r, 0), CUSTOMER_ID_ROLE) for r in range(model.rowCount())]
    assert len(set(ids)) == len(ids)


def test_sort_is_done_by_the_database(signed_in_desk: DeskContext) -> None:
    add_customers(signed_in_desk, ["Bola Ade", "Ade Bola", "Chika Obi"])
    model = CustomerTableModel(signed_in_desk.caller("fetchCustomers"))
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert [model.index(r, 1).data() for r in range(3)] == ["Chika Obi", "Bola Ade", "Ade Bola"]
    model.sort(2, Qt.SortOrder.AscendingOrder)  # phone: not sortable, order kept
    assert model.sort_key() == "-name"
    with signed_in_desk.session.db.transaction() as tx:  # type: ignore[union-attr]
        sorts = [
            json.loads(e.detail)["sort"]
            for e in tx.scalars(select(AuditEntry).where(AuditEntry.action == "list"))
        ]
    assert sorts == ["-name"]


def test_phone_is_shown_in_national_form(signed_in_desk: DeskContext) -> None:
    signed_in_desk.call("addProviderCustomer", {"name": "Ada Eze", "phone": "+2348012345678"})
    model = CustomerTableModel(signed_in_desk.caller("fetchCustomers"))
    model.reload()
    assert model.index(0, 2).data() == "0801 234 5678"


def test_clear_forgets_every_row(signed_in_desk: DeskContext) -> None:
    _bulk(signed_in_desk, 3)
    model = CustomerTableModel(signed_in_desk.caller("fetchCustomers"))
    model.reload()
    model.clear()
    assert model.rowCount() == 0
    assert not model.canFetchMore(QModelIndex())


def test_a_refusal_is_reported_not_raised(desk_context: DeskContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    model = CustomerTableModel(desk_context.caller("fetchCustomers"))
    with qtbot.waitSignal(model.failed) as blocker:
        model.reload()
    assert "Sign in" in blocker.args[0]
    assert model.rowCount() == 0
