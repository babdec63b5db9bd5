"""The one audit writer, the hash chain, and its checkpoint outside the database.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting or reordering any entry breaks every hash after it. Since migration 0005 the
hash covers the detail's own hash rather than the detail (format 2: a detail can be
redacted later and the chain still verifies), each entry is sealed with a MAC under the
current epoch key (``audit_seal``: what the hash chain cannot do against someone holding
the database key), and the customers it names go to ``audit_customer``. A checkpoint
(id + hash of a recent entry) is also kept beside the keyslots and in every backup: a
chain rewritten from scratch no longer contains it. Checking is ``audit_verify``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from pharmdesk.controllers.audit_seal import SealRoot, entry_mac, next_key
from pharmdesk.controllers.audit_verify import ChainReport, verify_chain
from pharmdesk.store import driver_sql
from pharmdesk.store.audit_chain import (
    GENESIS,
    HEAD,
    STATE,
    VERIFY_BATCH,
    Checkpoint,
    canonical_detail,
    chain_head,
    detail_digest,
    entry_hash,
    hash_of,
    is_redacted,
)
from pharmdesk.store.files import read_json, write_json_atomic
from pharmdesk.store.schema import AuditState

log = logging.getLogger(__name__)

# The chain's arithmetic lives in ``store/audit_chain`` and checking in ``audit_verify``;
# callers reach them through this module as ``audit.<name>``.
__all__ = [
    "GENESIS",
    "VERIFY_BATCH",
    "ChainReport",
    "Checkpoint",
    "canonical_detail",
    "chain_head",
    "detail_digest",
    "entry_hash",
    "hash_of",
    "is_redacted",
    "verify_chain",
]

# Run on the driver (``store/driver_sql``): every operation writes one entry.
_INSERT_SQL = (
    "INSERT INTO audit_entry (id, at, user, action, entity_type, entity_id, outcome, "
    "detail, prev_hash, hash, detail_hash, epoch, mac) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CUSTOMERS_SQL = "INSERT INTO audit_customer (customer_id, entry_id) VALUES (?, ?)"
# How SQLAlchemy stores a DateTime in SQLite, so that entries read back alike.
STORED_MOMENT = "%Y-%m-%d %H:%M:%S.%f"
# The seal moves on at least this often while entries are written.
EPOCH_LENGTH = dt.timedelta(hours=1)
_CUSTOMER_ID = re.compile(r"CUST-([1-9][0-9]{0,17})")


@dataclass(frozen=True)
class Entry:
    """One audit entry's own fields (who and when are the caller's, shared by a batch)."""

    action: str
    entity_type: str | None = None
    entity_id: str | None = None
    detail: dict[str, Any] | None = None
    outcome: str = "success"

    def customer_ids(self) -> set[int]:
        """The customers this entry names: its entity, and ``detail.customerIds``."""
        found: set[int] = set()
        if self.entity_type == "customer" and self.entity_id:
            match = _CUSTOMER_ID.fullmatch(self.entity_id)
            if match:
                found.add(int(match.group(1)))
        for value in (self.detail or {}).get("customerIds") or ():
            match = _CUSTOMER_ID.fullmatch(str(value))
            if match:
                found.add(int(match.group(1)))
        return found


def shown_ids(rows: Sequence[dict[str, Any]], key: str = "id") -> list[str]:
    """The customer ids of the rows a person was shown, once each, in the order shown:
    ``detail.customerIds`` of list-type entries (and so ``audit_customer``)."""
    return list(dict.fromkeys(str(row[key]) for row in rows if row.get(key)))


def ids_in_text(texts: Iterable[str]) -> list[str]:
    """Customer ids named in texts (messages that name the customer on file)."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _CUSTOMER_ID.finditer(str(text)):
            found[match.group(0)] = None
    return sorted(found, key=lambda cid: int(cid[5:]))


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
    ratchet: bool = False,
    start: SealRoot | None = None,
) -> Checkpoint:
    """Add one entry to the chain, in the caller's transaction (which holds the write lock).
    Returns the new head of the chain."""
    return append_many(
        tx,
        at=at,
        user=user,
        entries=[Entry(action, entity_type, entity_id, detail, outcome)],
        ratchet=ratchet,
        start=start,
    )


def ensure_state(conn: Connection) -> Any:
    row = conn.execute(STATE).first()
    if row is None:
        conn.execute(insert(AuditState).values(id=1, attempts_seq=0, checkpoint_id=0))
        row = conn.execute(STATE).first()
    return row


class _Sealer:
    """Seals one batch of entries: the epoch and MAC of each, and the key moved on."""

    def __init__(
        self, state: Any, at: dt.datetime, ratchet: bool, start: SealRoot | None, first: int
    ) -> None:
        self.key: bytes | None = None
        self.epoch = 0
        self.changed = False
        self.at = at
        if state is not None and state.seal_key is not None:
            self.key = bytes.fromhex(state.seal_key)
            self.epoch = int(state.seal_epoch)
            due = state.sealed_at is None or at - state.sealed_at >= EPOCH_LENGTH
            self.pending_ratchet = ratchet or due
        elif start is not None:
            if start.start != first:
                raise ValueError("the seal must start at the next entry")
            # The first sealed entry opens epoch 1 and is MACed under k0 itself.
            self.key, self.epoch, self.pending_ratchet = start.root, 0, True
        else:
            self.pending_ratchet = False

    def seal(self, entry_id: int, digest: str) -> tuple[int | None, str | None]:
        if self.key is None:
            return None, None
        if self.pending_ratchet:
            # The epoch's first entry is MACed under the previous key, which is then
            # replaced: it closes the previous epoch for good.
            mac = entry_mac(self.key, entry_id, self.epoch + 1, digest)
            self.epoch += 1
            self.key = next_key(self.key)
            self.pending_ratchet = False
            self.changed = True
            return self.epoch, mac
        return self.epoch, entry_mac(self.key, entry_id, self.epoch, digest)

    def save(self, conn: Connection) -> None:
        if not self.changed or self.key is None:
            return
        ensure_state(conn)
        # Overwrite the old key in place and zero what it leaves behind (best effort:
        # the write-ahead log keeps the old page until its next checkpoint).
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        conn.execute(
            update(AuditState)
            .where(AuditState.id == 1)
            .values(seal_epoch=self.epoch, seal_key=self.key.hex(), sealed_at=self.at)
        )


# What ``append_many`` must read before it writes: the chain's head and the seal state.
# An operation reads them with the person's staff row in one statement at its start
# (``DeskSession.call``) and leaves them here for its first append; any later append in
# the same transaction reads them again.
_PREFETCHED = "pharmdesk.audit.prefetched"


@dataclass(frozen=True)
class SealState:
    """The seal columns of ``audit_state`` (what ``_Sealer`` reads)."""

    seal_epoch: int | None
    seal_key: str | None
    sealed_at: dt.datetime | None

    @classmethod
    def stored(cls, epoch: int | None, key: str | None, at: str | None) -> SealState:
        """From the columns as SQLite holds them (``sealed_at`` as text)."""
        return cls(epoch, key, dt.datetime.fromisoformat(at) if at is not None else None)


@dataclass(frozen=True)
class ChainStart:
    """The head (id, hash) and seal state an operation's first append starts from."""

    head_id: int
    head_hash: str
    state: Any  # the audit_state row or a SealState; None before the row exists


def prefetched(tx: Session, start: ChainStart) -> None:
    """Leave the chain's head and seal state, read at the start of this transaction under
    its write lock, for the transaction's first append."""
    tx.info[_PREFETCHED] = start


def forget_prefetched(tx: Session) -> None:
    """Whatever changes the seal state outside ``append_many`` calls this first."""
    tx.info.pop(_PREFETCHED, None)


def _chain_start(tx: Session, conn: Connection) -> ChainStart:
    known = tx.info.pop(_PREFETCHED, None)
    if known is not None:
        return known
    head = conn.execute(HEAD).first()
    prev_id, prev_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    return ChainStart(prev_id, prev_hash, conn.execute(STATE).first())


def append_many(
    tx: Session,
    *,
    at: dt.datetime,
    user: str,
    entries: Sequence[Entry],
    ratchet: bool = False,
    start: SealRoot | None = None,
) -> Checkpoint:
    """Add entries to the chain in their order, in the caller's transaction.

    Every operation writes one, so it is Core statements on the session's connection
    (the chain head and the seal state once, one INSERT for all of them), not ORM objects
    and a unit-of-work flush: that took a third of a one-row operation's time, and an
    import batch writes hundreds. The caller's own pending changes are flushed first, so
    they still reach the database (and fail) ahead of the entries. Each entry is sealed
    (``_Sealer``; ``ratchet`` moves the seal to a new epoch first, as every sign-in does,
    and ``start`` starts sealing with an admin's ``k0``), and the customers it names go
    to ``audit_customer``.
    Returns the new head of the chain.
    """
    if not entries:
        raise ValueError("append_many needs at least one entry")
    tx.flush()
    conn = tx.connection()
    if conn.dialect.name == "postgresql":
        return _append_on_server(conn, at, user, entries)
    chain = _chain_start(tx, conn)
    prev_id, prev_hash = chain.head_id, chain.head_hash
    naive_at = at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    sealer = _Sealer(chain.state, naive_at, ratchet, start, prev_id + 1)
    stored_at = naive_at.strftime(STORED_MOMENT)
    rows = []
    shown = []
    for entry in entries:
        prev_id += 1
        text = canonical_detail(entry.detail)
        text_hash = detail_digest(text)
        # What the hash covers, in the order of the table's columns after id, at, user.
        fields = (entry.action, entry.entity_type, entry.entity_id, entry.outcome, text)
        digest = entry_hash(prev_id, naive_at, user, *fields, prev_hash, detail_hash=text_hash)
        epoch, mac = sealer.seal(prev_id, digest)
        rows.append((prev_id, stored_at, user, *fields, prev_hash, digest, text_hash, epoch, mac))
        shown += [(c, prev_id) for c in sorted(entry.customer_ids())]
        prev_hash = digest
    driver_sql.executemany(conn, _INSERT_SQL, rows)
    if shown:
        driver_sql.executemany(conn, _INSERT_CUSTOMERS_SQL, shown)
    sealer.save(conn)
    return Checkpoint(prev_id, prev_hash)


# Branch server mode: the server computes the hashes and writes the entries itself
# (store/pg_audit_sql.py); a staff login may not insert into the log directly. The
# server enforces append-only, so its entries are not sealed (docs/admin/server.md).
_APPEND_ON_SERVER = sql_text(
    "SELECT head_id, head_hash FROM pharmdesk_audit_append(:at, :user, CAST(:entries AS jsonb))"
)


def _append_on_server(
    conn: Connection, at: dt.datetime, user: str, entries: Sequence[Entry]
) -> Checkpoint:
    naive_at = at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    payload = [
        {
            "action": entry.action,
            "entityType": entry.entity_type,
            "entityId": entry.entity_id,
            "outcome": entry.outcome,
            "detail": canonical_detail(entry.detail),
            "customers": sorted(entry.customer_ids()),
        }
        for entry in entries
    ]
    head = conn.execute(
        _APPEND_ON_SERVER, {"at": naive_at, "user": user, "entries": json.dumps(payload)}
    ).one()
    return Checkpoint(int(head.head_id), str(head.head_hash))


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
