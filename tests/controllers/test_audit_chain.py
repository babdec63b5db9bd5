"""The audit hash chain detects edits, deletions, reordering and truncation."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pharmdesk.controllers import audit
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError


def _report(desk: DeskSession) -> audit.ChainReport:
    with desk.db.transaction() as tx:
        return audit.verify_chain(tx, audit.read_checkpoint(desk.files.checkpoint))


def _populate(desk: DeskSession) -> None:
    desk.call("addProviderCustomer", {"name": "Chinedu Okafor", "phone": "08031234567"})
    desk.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    desk.call("fetchCustomers", {})
    desk.write_checkpoint()
    desk.call("fetchCustomers", {"search": "chi"})


def test_untouched_chain_verifies(admin: DeskSession) -> None:
    _populate(admin)
    report = _report(admin)
    assert report.ok
    assert report.checked >= 6


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_entry SET \"user\" = 'someone' WHERE action = 'view'",
        "UPDATE audit_entry SET detail = '{}' WHERE action = 'list'",
        "UPDATE audit_entry SET at = '2020-01-01 00:00:00' WHERE id = 2",
        "DELETE FROM audit_entry WHERE action = 'view'",
        "UPDATE audit_entry SET id = id + 1000 WHERE id = 3",
        "DELETE FROM audit_entry WHERE id >= (SELECT max(id) - 2 FROM audit_entry)",
    ],
)
def test_tampering_is_detected(admin: DeskSession, tamper: str) -> None:
    _populate(admin)
    with admin.db.transaction() as tx:
        tx.execute(text(tamper))
    report = _report(admin)
    assert not report.ok
    assert report.first_bad_entry is not None


def test_rewritten_chain_is_caught_by_the_checkpoint(admin: DeskSession) -> None:
    _populate(admin)
    checkpoint = audit.read_checkpoint(admin.files.checkpoint)
    assert checkpoint is not None
    # An attacker with the key truncates the log to before the checkpoint and appends
    # fresh, self-consistent entries: the chain verifies alone, but not with the checkpoint.
    with admin.db.transaction() as tx:
        tx.execute(text("DELETE FROM audit_entry WHERE id >= 3"))
        for _ in range(10):
            audit.append(tx, at=admin.clock.now(), user="admin", action="list")
    with admin.db.transaction() as tx:
        assert audit.verify_chain(tx, None).ok
        assert not audit.verify_chain(tx, checkpoint).ok


def test_checkpoint_never_moves_backwards(admin: DeskSession) -> None:
    _populate(admin)
    newest = audit.read_checkpoint(admin.files.checkpoint)
    assert newest is not None
    audit.write_checkpoint(admin.files.checkpoint, audit.Checkpoint(1, "0" * 64))
    assert audit.read_checkpoint(admin.files.checkpoint) == newest


def test_desks_taking_turns_continue_one_chain(admin: DeskSession, frontdesk: DeskSession) -> None:
    """Each operation starts from the chain as it is under its own transaction's lock:
    entries another desk (another connection) wrote since are followed, not overwritten,
    and an operation refused half-way leaves nothing for the next one to start from."""
    admin.call("addProviderCustomer", {"name": "Chinedu Okafor", "phone": "08031234567"})
    for turn in range(3):
        frontdesk.call("fetchCustomers", {"search": "CUST-1"})
        admin.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
        with pytest.raises(PharmDeskError):
            frontdesk.call("viewProviderCustomerDetails", {"customerId": "CUST-99"})
        frontdesk.call(
            "updateProviderCustomer", {"customerId": "CUST-1", "address": f"{turn} Lekki"}
        )
    report = _report(admin)
    assert report.ok
    with admin.db.transaction() as tx:
        rows = tx.execute(text('SELECT id, "user", action FROM audit_entry ORDER BY id')).all()
    assert [row.id for row in rows] == list(range(1, len(rows) + 1))
    last = [(row.user, row.action) for row in rows[-9:]]
    assert last == [("femi", "list"), ("admin", "view"), ("femi", "update")] * 3
