"""The audit hash chain's arithmetic: how an entry's hash is made, and the chain head.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting or reordering any entry breaks every hash after it. Since migration 0005 the
hash covers the detail's own hash rather than the detail (format 2: a detail can be
redacted later and the chain still verifies). The writer (``controllers/audit``), the
checker (``controllers/audit_verify``) and the backup copy (``store/backup``) all use
these, so there is one definition of a hash and of the head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from pharmdesk.clock import to_iso
from pharmdesk.store.schema import AuditEntry, AuditState

GENESIS = "0" * 64
VERIFY_BATCH = 5000

HEAD = select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
STATE = select(AuditState.__table__).where(AuditState.id == 1)


def canonical_detail(detail: dict[str, Any] | None) -> str:
    return json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def detail_digest(detail: str) -> str:
    return hashlib.sha256(detail.encode("utf-8")).hexdigest()


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
    *,
    detail_hash: str | None = None,
) -> str:
    """Format 1 (``detail_hash`` None, entries from before migration 0005) hashes the
    detail itself; format 2 hashes the detail's own hash instead, so a detail can be
    redacted later and the chain still verifies."""
    fields: list[Any] = [
        entry_id,
        to_iso(at.replace(tzinfo=dt.UTC)),
        user,
        action,
        entity_type,
        entity_id,
        outcome,
    ]
    if detail_hash is None:
        fields += [detail, prev_hash]
    else:
        fields = [2, *fields, detail_hash, prev_hash]
    material = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def hash_of(entry: Any) -> str:
    """The hash an entry (a row or an ``AuditEntry``) should carry, from its own fields."""
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
        detail_hash=entry.detail_hash,
    )


def is_redacted(detail: str) -> bool:
    """A detail replaced by an erasure keeps its hash in ``detail_hash``; the marker says so."""
    return detail.startswith('{"redacted":')


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

    @classmethod
    def from_code(cls, code: str) -> Checkpoint:
        """A printed code back (``AUD-123:0123456789abcdef``); ``hash`` is then its prefix."""
        match = re.fullmatch(r"\s*AUD-(\d{1,12})\s*:\s*([0-9a-fA-F]{16,64})\s*", code)
        if match is None:
            raise ValueError(code)
        return cls(int(match.group(1)), match.group(2).lower())

    def matches(self, digest: str) -> bool:
        return digest.startswith(self.hash) if len(self.hash) < 64 else digest == self.hash


# On a branch server only admins read the log; every desk reads its head (checkpoint,
# clock check) through the server's function (store/pg_audit_sql.py).
SERVER_HEAD = text("SELECT head_id, head_hash, head_at FROM pharmdesk_audit_head()")


def is_server(conn: Session | Connection) -> bool:
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    return bind.dialect.name == "postgresql"


def chain_head(conn: Session | Connection) -> Checkpoint | None:
    """The newest entry's id and hash; None for an empty log."""
    head = conn.execute(SERVER_HEAD if is_server(conn) else HEAD).first()
    return Checkpoint(int(head[0]), str(head[1])) if head else None
