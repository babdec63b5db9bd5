"""The chain's arithmetic has one home (store/audit_chain): the writer, the checker and
the backup copy agree on the head, and every audit module imports on its own."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from pharmdesk.controllers import audit
from pharmdesk.controllers.session import DeskSession
from pharmdesk.store import audit_chain, backup
from pharmdesk.store.schema import AuditEntry


def test_head_is_the_newest_entry_everywhere(admin: DeskSession) -> None:
    admin.call("addProviderCustomer", {"name": "Chinedu Okafor", "phone": "08031234567"})
    with admin.db.transaction() as tx:
        head = audit_chain.chain_head(tx)
        newest = tx.execute(audit_chain.HEAD).one()
        assert head == audit_chain.Checkpoint(newest[0], newest[1])
        report = audit.verify_chain(tx, head)
    assert report.ok
    assert backup.chain_head(admin.db.engine) == head.to_json()


def test_every_entry_hash_is_recomputed_the_same(admin: DeskSession) -> None:
    admin.call("fetchCustomers", {})
    with admin.db.transaction() as tx:
        rows = tx.execute(select(AuditEntry.__table__)).all()
    assert rows
    for row in rows:
        assert audit_chain.hash_of(row) == row.hash


@pytest.mark.parametrize(
    "module",
    ["pharmdesk.controllers.audit_verify", "pharmdesk.controllers.audit", "pharmdesk.store.backup"],
)
def test_audit_modules_import_first_on_their_own(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-400:]
