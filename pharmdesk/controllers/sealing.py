"""Sign-in upkeep of the audit log: who holds the seal root, and the files beside the
database that vanished or went back in time.

``audit_seal`` has the keys and the vault entries; ``audit`` seals each entry. This module
decides, at a sign-in (inside its transaction, before the ``signIn`` entry), whether
sealing starts now, whose seal root is unwrapped, who gets one handed over, and which
``tamper`` entries to write. Staff operations call ``password_set``, ``role_changed`` and
``disabled`` so that every admin, and the recovery key, keep the root.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import false, select, update
from sqlalchemy.orm import Session

from pharmdesk.controllers import audit
from pharmdesk.controllers.audit_seal import (
    RECOVERY_OWNER,
    EpochKeys,
    SealRoot,
    drop,
    entry_of,
    grant_pending,
    make_entry,
    new_root,
    open_entry,
    put,
    strip_grant,
    with_grant,
)
from pharmdesk.store.files import read_json
from pharmdesk.store.schema import AuditEntry, AuditState, Staff
from pharmdesk.store.vault import Vault

log = logging.getLogger(__name__)

TAMPER_USER = "(pharmdesk)"  # not a valid username: PharmDesk itself noticed it
ADMIN = "admin"


def _vault_write(what: str, write: Callable[[], None]) -> bool:
    """Seal-entry writes never stop a sign-in or an operation; a failure waits for the
    next one (and verify says what is missing meanwhile)."""
    try:
        write()
    except OSError as exc:
        log.warning("could not write %s to the key file: %s", what, type(exc).__name__)
        return False
    return True


# -- files beside the database -----------------------------------------------------------------
@dataclass
class FileWatch:
    found: list[dict[str, Any]] = field(default_factory=list)
    forgive_missing_counters: bool = False


def remember_checkpoint(tx: Session, entry_id: int) -> None:
    state = audit.ensure_state(tx.connection())
    if entry_id > int(state.checkpoint_id or 0):
        tx.execute(update(AuditState).where(AuditState.id == 1).values(checkpoint_id=entry_id))


def check_files(
    tx: Session, checkpoint: Path, seq: int, pending: list[dict[str, Any]]
) -> FileWatch:
    """Compare the counter file's sequence number and the checkpoint file with what the
    database last saw of them; remember the counter file's number now."""
    state = audit.ensure_state(tx.connection())
    watch = FileWatch()
    known_seq = int(state.attempts_seq or 0)
    remade = any(e.get("action") == "tamper" for e in pending)
    if remade and known_seq == 0:
        watch.forgive_missing_counters = True  # made before PharmDesk tracked the file
    elif seq < known_seq and not remade:
        watch.found.append(
            {
                "file": "signInCounters",
                "found": "olderCopy",
                "seq": seq,
                "expectedAtLeast": known_seq,
            }
        )
    tx.execute(update(AuditState).where(AuditState.id == 1).values(attempts_seq=seq))
    known_checkpoint = int(state.checkpoint_id or 0)
    if known_checkpoint > 0:
        problem = _checkpoint_problem(checkpoint, known_checkpoint)
        if problem is not None:
            watch.found.append(
                {
                    "file": "checkpoint",
                    "found": problem,
                    "expectedAtLeast": f"AUD-{known_checkpoint}",
                }
            )
    return watch


def _checkpoint_problem(path: Path, known: int) -> str | None:
    if not path.exists():
        return "missing"
    try:
        stored = audit.Checkpoint.from_json(read_json(path))
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable"
    return "olderCopy" if stored.entry_id < known else None


def record_tamper(
    tx: Session, now: dt.datetime, noticed_by: str, events: list[dict[str, Any]]
) -> None:
    for event in events:
        detail = {k: v for k, v in event.items() if k not in ("user", "action")}
        if noticed_by:
            detail["noticedBy"] = noticed_by
        audit.append(
            tx,
            at=now,
            user=TAMPER_USER,
            action="tamper",
            entity_type="file",
            entity_id=str(event.get("file", ""))[:24],
            outcome="failed",
            detail=detail,
        )


# -- the seal root at sign-in --------------------------------------------------------------
@dataclass
class SealAccess:
    root: SealRoot | None = None
    start: SealRoot | None = None
    after: list[Callable[[], None]] = field(default_factory=list)

    def finish(self) -> None:
        """Vault writes that follow the ``signIn`` entry (still inside its transaction)."""
        for step in self.after:
            step()


def _state(tx: Session) -> Any:
    return tx.connection().execute(select(AuditState.__table__).where(AuditState.id == 1)).first()


def _head_id(tx: Session) -> int:
    return int(tx.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0)


def _matches(root: SealRoot, state: Any) -> bool:
    return EpochKeys(root.root).key(int(state.seal_epoch)).hex() == state.seal_key


def _admins(tx: Session) -> list[str]:
    rows = tx.scalars(
        select(Staff.username).where(Staff.role == ADMIN, Staff.disabled == false())
    ).all()
    return [*rows, RECOVERY_OWNER]


def at_sign_in(
    tx: Session,
    vault: Vault,
    owner: str,
    is_admin: bool,
    *,
    secret: bytes | None,
    kept: SealRoot | None,
    now: dt.datetime,
) -> SealAccess:
    """Unwrap ``owner``'s seal root (admins and the recovery key), start sealing when
    nobody has yet, hand the root to admins who lack it, and note what does not fit."""
    if not is_admin:
        if secret is not None and entry_of(vault, owner) is None:
            # A key pair for later (a promotion to admin hands the root to it).
            _vault_write("a seal entry", lambda: put(vault, make_entry(owner, secret, vault.kdf)))
        return SealAccess()
    if kept is not None:  # a quick unlock hands back what the locked session held
        return SealAccess(root=kept)
    if secret is None:
        return SealAccess()
    state = _state(tx)
    started = state is not None and state.seal_key is not None
    entry = entry_of(vault, owner)
    opened = open_entry(entry, secret) if entry is not None else None
    candidate = None if opened is None else (opened.granted or opened.pending)
    access = SealAccess()
    if not started:
        head = _head_id(tx)
        if (
            candidate is not None
            and opened is not None
            and opened.granted
            and candidate.start <= head
        ):
            # Sealing had begun with this root, yet the database's seal state is gone.
            record_tamper(tx, now, owner, [{"file": "database", "found": "sealStateMissing"}])
            _restore_state(tx, candidate, now)
            access.root = candidate
        else:
            root = SealRoot(new_root(), head + 1)
            if not _vault_write(
                "the seal root",
                lambda: put(vault, make_entry(owner, secret, vault.kdf, grant=root)),
            ):
                return access
            access.root = access.start = root
    elif candidate is not None and opened is not None:
        if _matches(candidate, state):
            access.root = candidate
            if opened.granted is None:  # a pending grant becomes this person's own
                root = candidate
                _vault_write("the seal root", lambda: put(vault, with_grant(opened, root)))
        else:
            record_tamper(
                tx, now, owner, [{"file": "database", "found": "sealStateMismatch", "admin": owner}]
            )
    elif opened is None:
        _vault_write("a seal entry", lambda: put(vault, make_entry(owner, secret, vault.kdf)))
    if access.root is not None:
        root = access.root
        admins = _admins(tx)

        def hand_on() -> None:
            _vault_write("seal grants", lambda: _grant(vault, admins, root, owner))

        access.after.append(hand_on)
    return access


def _grant(vault: Vault, owners: list[str], root: SealRoot, me: str) -> None:
    grant_pending(vault, [o for o in owners if o != me], root)


def _restore_state(tx: Session, root: SealRoot, now: dt.datetime) -> None:
    last = tx.scalar(
        select(AuditEntry.epoch)
        .where(AuditEntry.epoch.is_not(None))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    epoch = int(last or 0)
    audit.forget_prefetched(tx)
    audit.ensure_state(tx.connection())
    key = EpochKeys(root.root).key(epoch) if epoch else root.root
    tx.execute(
        update(AuditState)
        .where(AuditState.id == 1)
        .values(seal_epoch=epoch, seal_key=key.hex(), sealed_at=now.replace(tzinfo=None))
    )


# -- staff operations ------------------------------------------------------------------------
def password_set(vault: Vault, owner: str, secret: bytes, root: SealRoot | None) -> None:
    """A new password (or recovery key): a new entry under it, with the root for admins."""
    put(vault, make_entry(owner, secret, vault.kdf, grant=root))


def role_changed(vault: Vault, owner: str, is_admin: bool, root: SealRoot | None) -> None:
    if not is_admin:
        strip_grant(vault, owner)
    elif root is not None:
        grant_pending(vault, [owner], root)


def disabled(vault: Vault, owner: str) -> None:
    drop(vault, owner)
