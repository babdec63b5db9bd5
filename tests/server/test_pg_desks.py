"""Several desks at once on one branch server: their transactions take turns, so no
update is lost, every acknowledged write is there and the audit chain stays one chain."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import CONFLICT, PharmDeskError
from pharmdesk.store.schema import AuditEntry

DESKS = 4
ROUNDS = 12


@pytest.fixture
def store() -> str:
    return "postgresql"


def test_desks_writing_at_once_lose_nothing_and_keep_one_chain(
    admin: DeskSession, make_staff: Callable[[str, str], DeskSession]
) -> None:
    shared = admin.call("addProviderCustomer", {"name": "Shared Person", "phone": "08030000000"})
    shared_id = shared["customerId"]
    desks = [make_staff(f"desk{n}", "pharmacist") for n in range(DESKS)]
    created: list[tuple[str, str]] = []
    updates: Counter[str] = Counter()
    conflicts: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(DESKS)

    def work(desk: DeskSession, n: int) -> None:
        try:
            start.wait()
            for i in range(ROUNDS):
                phone = f"0803{n:02d}{i:05d}"
                answer = desk.call(
                    "addProviderCustomer", {"name": f"Desk{n} Person{i}", "phone": phone}
                )
                seen = desk.call("viewProviderCustomerDetails", {"customerId": shared_id})
                try:
                    desk.call(
                        "updateProviderCustomer",
                        {
                            "customerId": shared_id,
                            "expectedVersion": seen["version"],
                            "notes": f"desk {n} round {i}",
                        },
                    )
                    outcome = "updated"
                except PharmDeskError as exc:
                    assert exc.code == CONFLICT, exc.code
                    outcome = "conflict"
                desk.call("fetchCustomers", {"search": f"desk{n}"})
                with lock:
                    created.append((answer["customerId"], desk.staff.username))
                    (updates if outcome == "updated" else conflicts)[desk.staff.username] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d, n)) for n, d in enumerate(desks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, [type(e).__name__ + ": " + str(e) for e in errors]

    ids = [customer_id for customer_id, _user in created]
    assert len(set(ids)) == DESKS * ROUNDS
    assert sorted(int(i.split("-")[1]) for i in ids) == list(range(2, DESKS * ROUNDS + 2))
    for customer_id, _user in created:
        admin.call("viewProviderCustomerDetails", {"customerId": customer_id})
    final = admin.call("viewProviderCustomerDetails", {"customerId": shared_id})
    assert final["version"] == 1 + sum(updates.values())  # no update lost
    assert sum(updates.values()) + sum(conflicts.values()) == DESKS * ROUNDS

    verified = admin.call("verifyAuditLog", {})
    assert verified["ok"] is True, verified
    with admin.db.transaction() as tx:
        by_user = dict(
            tx.execute(
                select(AuditEntry.user, func.count())
                .where(AuditEntry.action == "update")
                .group_by(AuditEntry.user)
            ).all()
        )
    assert by_user == {user: n for user, n in updates.items() if n}
