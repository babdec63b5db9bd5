"""The one audit writer, the hash chain, and its checkpoint outside the database.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting or reordering any entry breaks every hash after it. A checkpoint (id + hash of
a recent entry) is also kept beside the keyslots and in every backup: a chain rewritten
from scratch no longer contains it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pharmdesk.clock import to_iso
from pharmdesk.store.files import read_json, write_json_atomic
from pharmdesk.store.schema import AuditEntry

log = logging.getLogger(__name__)

GENESIS = "0" * 64
VERIFY_BATCH = 5000


def canonical_detail(detail: dict[str, Any] | None) -> str:
    return json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    entry_id: int,
    at: dt.datetime,
    user: str,
    action: str,
    entity_type: str | None,
    entity_id: str | None,
    outcome: str,
    detail: str,
    prev_hash: str,
) -> str:
    material = json.dumps(
        [
            entry_id,
            to_iso(at.replace(tzinfo=dt.UTC)),
            user,
            action,
            entity_type,
            entity_id,
            outcome,
            detail,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _hash_of(entry: AuditEntry) -> str:
    return entry_hash(
        entry.id,
        entry.at,
        entry.user,
        entry.action,
        entry.entity_type,
        entry.entity_id,
        entry.outcome,
        entry.detail,
        entry.prev_hash,
    )


@dataclass(frozen=True)
class Checkpoint:
    entry_id: int
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.entry_id, "hash": self.hash}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(int(data["id"]), str(data["hash"]))

    def code(self) -> str:
        """A short code an admin can write down and keep off the PC."""
        return f"AUD-{self.entry_id}:{self.hash[:16]}"


_HEAD = select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
_INSERT = insert(AuditEntry)


@dataclass(frozen=True)
class Entry:
    """One audit entry's own fields (who and when are the caller's, shared by a batch)."""

    action: str
    entity_type: str | None = None
    entity_id: str | None = None
    detail: dict[str, Any] | None = None
    outcome: str = "success"


def append(
    tx: Session,
    *,
    at: dt.datetime,
    user: str,
    action: str,
    entity_type: str | None = None,
    entity_id: str | None = None,
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
) -> Checkpoint:
    """Add one entry to the chain, in the caller's transaction (which holds the write lock).
    Returns the new head of the chain."""
    return append_many(
        tx, at=at, user=user, entries=[Entry(action, entity_type, entity_id, detail, outcome)]
    )


def append_many(tx: Session, *, at: dt.datetime, user: str, entries: Sequence[Entry]) -> Checkpoint:
    """Add entries to the chain in their order, in the caller's transaction.

    Every operation writes one, so it is Core statements on the session's connection
    (the chain head once, one INSERT for all of them), not ORM objects and a
    unit-of-work flush: that took a third of a one-row operation's time, and an import
    batch writes hundreds. The caller's own pending changes are flushed first, so they
    still reach the database (and fail) ahead of the entries.
    Returns the new head of the chain.
    """
    if not entries:
        raise ValueError("append_many needs at least one entry")
    tx.flush()
    conn = tx.connection()
    head = conn.execute(_HEAD).first()
    prev_id, prev_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    naive_at = at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = []
    for entry in entries:
        prev_id += 1
        text = canonical_detail(entry.detail)
        digest = entry_hash(
            prev_id,
            naive_at,
            user,
            entry.action,
            entry.entity_type,
            entry.entity_id,
            entry.outcome,
            text,
            prev_hash,
        )
        rows.append(
            {
                "id": prev_id,
                "at": naive_at,
                "user": user,
                "action": entry.action,
                "entity_type": entry.entity_type,
                "entity_id": entry.entity_id,
                "outcome": entry.outcome,
                "detail": text,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    conn.execute(_INSERT, rows[0] if len(rows) == 1 else rows)
    return Checkpoint(prev_id, prev_hash)


def chain_head(tx: Session) -> Checkpoint | None:
    head = tx.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    return Checkpoint(head[0], head[1]) if head else None


def read_checkpoint(path: Path) -> Checkpoint | None:
    if not path.exists():
        return None
    try:
        return Checkpoint.from_json(read_json(path))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_checkpoint(path: Path, checkpoint: Checkpoint) -> bool:
    """Keep the newer of the stored and the given checkpoint (never move it backwards).

    Best effort: it runs after the operation's commit (and at sign-out), and a checkpoint
    that lags the chain is fine, so a full or read-only disk must not turn a saved
    operation into an error. The old checkpoint stays; the next one catches up.
    Returns whether the file now holds this checkpoint (or a newer one).
    """
    stored = read_checkpoint(path)
    if stored is not None and stored.entry_id >= checkpoint.entry_id:
        return True
    try:
        write_json_atomic(path, checkpoint.to_json())
    except OSError as exc:
        log.warning(
            "the audit checkpoint could not be written (%s); the previous one is kept",
            exc.strerror or type(exc).__name__,
        )
        return False
    return True


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_entry: int | None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        bad = f"AUD-{self.first_bad_entry}" if self.first_bad_entry is not None else None
        return {"ok": self.ok, "checked": self.checked, "firstBadEntry": bad}


def verify_chain(tx: Session, checkpoint: Checkpoint | None) -> ChainReport:
    """Recompute every hash; require ids 1..n in order and the checkpoint inside the chain."""
    prev_hash = GENESIS
    expected_id = 1
    checked = 0
    checkpoint_seen = checkpoint is None
    last_id = 0
    while True:
        batch = tx.scalars(
            select(AuditEntry)
            .where(AuditEntry.id >= expected_id)
            .order_by(AuditEntry.id)
            .limit(VERIFY_BATCH)
        ).all()
        if not batch:
            break
        for entry in batch:
            if entry.id != expected_id or entry.prev_hash != prev_hash:
                return ChainReport(False, checked, expected_id, "an entry is missing or moved")
            if _hash_of(entry) != entry.hash:
                return ChainReport(False, checked, entry.id, "an entry was changed")
            if checkpoint is not None and entry.id == checkpoint.entry_id:
                if entry.hash != checkpoint.hash:
                    return ChainReport(False, checked, entry.id, "the chain was rewritten")
                checkpoint_seen = True
            prev_hash = entry.hash
            expected_id += 1
            checked += 1
            last_id = entry.id
        tx.expunge_all()
    if not checkpoint_seen:
        return ChainReport(False, checked, last_id + 1, "the chain was truncated")
    return ChainReport(True, checked, None)
