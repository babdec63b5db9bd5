"""Checking the audit chain: every hash, detail hash and seal, and the checkpoints.

``verify_chain`` reads the entries in batches as plain rows (a copy from before migration
0005 has no seal columns: they read as NULL) and returns a ``ChainReport`` naming the
first entry that is wrong and why.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from pharmdesk.controllers.audit_seal import EpochKeys, SealRoot, entry_mac
from pharmdesk.store.audit_chain import (
    GENESIS,
    STATE,
    VERIFY_BATCH,
    Checkpoint,
    detail_digest,
    hash_of,
    is_redacted,
)
from pharmdesk.store.schema import AuditEntry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_entry: int | None
    reason: str | None = None
    sealed: int = 0

    def to_json(self) -> dict[str, Any]:
        bad = f"AUD-{self.first_bad_entry}" if self.first_bad_entry is not None else None
        return {"ok": self.ok, "checked": self.checked, "firstBadEntry": bad}


class _SealCheck:
    """The seal rules, entry by entry, with the keys re-derived from ``k0``."""

    def __init__(self, root: SealRoot) -> None:
        self.root = root
        self.keys = EpochKeys(root.root)
        self.epoch = 0
        self.sealed = 0

    def problem(self, entry: Any) -> str | None:
        if entry.id < self.root.start:
            return "an entry from before sealing began carries a seal" if entry.epoch else None
        if entry.epoch is None or entry.mac is None:
            return "an entry is not sealed"
        epoch = int(entry.epoch)
        if entry.id == self.root.start:
            expected = 1
            key = self.keys.key(0)
        elif epoch == self.epoch:
            expected, key = epoch, self.keys.key(epoch)
        elif epoch == self.epoch + 1:
            expected, key = epoch, self.keys.key(epoch - 1)
        else:
            return "an entry's seal epoch is out of order"
        if epoch != expected or not hmac.compare_digest(
            entry_mac(key, entry.id, epoch, entry.hash), entry.mac
        ):
            return "an entry's seal does not match (changed, moved or re-sealed)"
        self.epoch = epoch
        self.sealed += 1
        return None

    def final_problem(self, state: Any, last_id: int) -> str | None:
        if self.root.start > last_id:
            return "sealed entries are missing"
        if state is None or state.seal_epoch is None or state.seal_key is None:
            return "the seal state in the database is missing"
        if int(state.seal_epoch) != self.epoch:
            return "entries of a later seal epoch are missing"
        if state.seal_key != self.keys.key(self.epoch).hex():
            return "the seal state in the database was altered"
        return None


def _entry_columns(tx: Session) -> list[Any]:
    """The entry columns to read; a copy from before migration 0005 (an older backup, the
    safety copy made before an upgrade) has no seal columns, so they read as NULL."""
    conn = tx.connection()
    if conn.dialect.name != "sqlite":  # server databases are all made at 0005 or later
        return list(AuditEntry.__table__.c)
    present = {str(row[1]) for row in conn.exec_driver_sql("PRAGMA table_info(audit_entry)").all()}
    table = AuditEntry.__table__
    return [col if col.name in present else literal(None).label(col.name) for col in table.c]


def verify_chain(
    tx: Session,
    checkpoint: Checkpoint | Sequence[Checkpoint] | None,
    seal: SealRoot | None = None,
) -> ChainReport:
    """Recompute every hash; require ids 1..n in order and every checkpoint inside the chain.

    With ``seal`` (an admin's ``k0`` and where sealing began) every seal is checked too:
    each entry from the start on carries a MAC under its epoch's key, the epochs only step
    by one, and the database's current key is the one ``k0`` leads to.
    """
    prev_hash = GENESIS
    expected_id = 1
    checked = 0
    if checkpoint is None:
        wanted: dict[int, Checkpoint] = {}
    elif isinstance(checkpoint, Checkpoint):
        wanted = {checkpoint.entry_id: checkpoint}
    else:
        wanted = {}
        for each in sorted(checkpoint, key=lambda c: c.entry_id):
            wanted.setdefault(each.entry_id, each)
    last_id = 0
    seals = _SealCheck(seal) if seal is not None else None
    columns = _entry_columns(tx)
    while True:
        batch = tx.execute(
            select(*columns)
            .where(AuditEntry.id >= expected_id)
            .order_by(AuditEntry.id)
            .limit(VERIFY_BATCH)
        ).all()
        if not batch:
            break
        for entry in batch:
            if entry.id != expected_id or entry.prev_hash != prev_hash:
                return ChainReport(False, checked, expected_id, "an entry is missing or moved")
            if hash_of(entry) != entry.hash:
                return ChainReport(False, checked, entry.id, "an entry was changed")
            if (
                entry.detail_hash is not None
                and not is_redacted(entry.detail)
                and detail_digest(entry.detail) != entry.detail_hash
            ):
                return ChainReport(False, checked, entry.id, "an entry's detail was changed")
            problem = seals.problem(entry) if seals is not None else None
            if problem is not None:
                return ChainReport(False, checked, entry.id, problem)
            expected = wanted.pop(entry.id, None)
            if expected is not None and not expected.matches(entry.hash):
                return ChainReport(False, checked, entry.id, "the chain was rewritten")
            prev_hash = entry.hash
            expected_id += 1
            checked += 1
            last_id = entry.id
    if wanted:
        return ChainReport(False, checked, last_id + 1, "the chain was truncated")
    if seals is not None:
        problem = seals.final_problem(tx.connection().execute(STATE).first(), last_id)
        if problem is not None:
            return ChainReport(False, checked, last_id + 1, problem, seals.sealed)
        return ChainReport(True, checked, None, None, seals.sealed)
    return ChainReport(True, checked, None)
