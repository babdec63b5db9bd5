"""Signing in: unwrapping a keyslot (single PC), opening the database, auditing it.

On a branch server a person signs in as their own PostgreSQL login instead
(``server_signin``); the sign-in entry and its upkeep (``open_session``) are the same.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pharmdesk.clock import Clock, to_iso
from pharmdesk.controllers import audit, revocation, sealing
from pharmdesk.controllers.audit_seal import (
    SealRoot,
    staff_secret,
)
from pharmdesk.controllers.desk_session import DeskSession
from pharmdesk.controllers.registry import (
    ADMIN,
)
from pharmdesk.controllers.revocation import open_database
from pharmdesk.controllers.session_parts import (
    WRONG_PASSWORD,
    StaffInfo,
    _locked_message,
    record_pending_failures,
)
from pharmdesk.errors import (
    AUTH_FAILED,
    LOCKED_OUT,
    NOT_FOUND,
    PASSWORD_CHANGE_REQUIRED,
    PharmDeskError,
)
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import server
from pharmdesk.store.attempts import SignInAttempts, failure_delay
from pharmdesk.store.engine import Database
from pharmdesk.store.schema import AuditEntry, Staff
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams, Vault

log = logging.getLogger(__name__)


# -- sign-in ------------------------------------------------------------------------------
def _require_files(files: DatabaseFiles) -> None:
    if files.server is not None:
        if not files.vault.exists():
            raise PharmDeskError(
                NOT_FOUND,
                "This PC has no sign-in keys for this branch server yet: run 'pharmdesk "
                "init' for it here (see the server guide), or check the server address.",
            )
        return
    if not files.db.exists() and not files.vault.exists():
        raise PharmDeskError(
            NOT_FOUND,
            f"No PharmDesk database at {files.db}. Create one with 'pharmdesk init', or "
            "choose the right file with --db.",
        )
    if not files.db.exists():
        raise PharmDeskError(
            NOT_FOUND,
            "The database file is missing (its key file is there). Restore it from a backup.",
        )


def sign_in(
    files: DatabaseFiles,
    username: str,
    password: str,
    *,
    clock: Clock | None = None,
    sleep: Callable[[float], None] = time.sleep,
    kdf: KdfParams = DEFAULT_KDF,
) -> DeskSession:
    """Unwrap the person's keyslot, open the database, audit the sign-in.

    A wrong password and an unknown username cost the same key derivation and give the
    same answer. Failures are counted outside the database and audited at the next
    successful sign-in by anyone.
    """
    clock = clock or Clock()
    if files.server is not None and not _admin_slot_here(files, kdf, username):
        # At a desk of a branch server each person signs in as their own PostgreSQL
        # login, so the server's GRANTs hold for them. Only at the desk that ran
        # 'pharmdesk init' (the owner's login is kept there) do admins still sign in
        # through their key slots, which also seal server backups and keep the
        # recovery key.
        return _own_login(files, username, password, clock=clock, sleep=sleep, kdf=kdf)
    _require_files(files)
    vault = Vault(files.vault, kdf)
    attempts = SignInAttempts.beside(files)
    username = username.strip().lower()
    now = clock.now()
    state = attempts.state(username, now)
    if state.locked_until is not None:
        attempts.record_locked_attempt(username, now)
        raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until))
    if files.server is not None:  # locked out by the server's count, from any desk
        from pharmdesk.controllers.server_signin import locked_on_server

        until = locked_on_server(files, username)
        if until is not None:
            raise PharmDeskError(LOCKED_OUT, _locked_message(until))
    opened = vault.open_staff(username, password)
    if opened is None:
        state = attempts.record_failure(username, clock.now())
        sleep(failure_delay(state.failures))
        if state.locked_until is not None:
            raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until))
        raise PharmDeskError(AUTH_FAILED, WRONG_PASSWORD)
    live = revocation.open_live(files, vault, opened)
    session = open_session(
        files, username, live.key, clock=clock, kdf=kdf, password=password, db=live.db
    )
    if files.server is not None and session.staff.role != ADMIN:
        # A slot of someone who is no admin (made by an older PharmDesk, or kept past
        # a demotion): it goes, and the person signs in as their own login.
        session.close()
        vault.remove_staff(username)
        return _own_login(files, username, password, clock=clock, sleep=sleep, kdf=kdf)
    attempts.clear(username)
    if opened.legacy_key is not None:
        # A slot from before sealed slots: rewritten now, while the password is known,
        # so that a later rekey can carry it over.
        _upgrade_legacy(lambda: vault.set_staff_password(username, password, live.key))
    session.next_key = live.next_key
    if session.next_key is not None:
        session.finish_rekey(revocation.SIGN_IN_WAIT)
    return session


def _admin_slot_here(files: DatabaseFiles, kdf: KdfParams, username: str) -> bool:
    """Whether this desk keeps a key slot for the person (a branch server's first desk
    keeps its admins')."""
    return files.vault.exists() and Vault(files.vault, kdf).has_staff_slot(username.strip().lower())


def _own_login(
    files: DatabaseFiles,
    username: str,
    password: str,
    *,
    clock: Clock,
    sleep: Callable[[float], None],
    kdf: KdfParams,
) -> DeskSession:
    from pharmdesk.controllers.server_signin import sign_in_server  # server-only imports

    return sign_in_server(files, username, password, clock=clock, sleep=sleep, kdf=kdf)


def _upgrade_legacy(write: Callable[[], None]) -> None:
    try:
        write()
    except (OSError, PharmDeskError) as exc:
        log.warning("could not rewrite an old keyslot: %s", type(exc).__name__)


def open_session(
    files: DatabaseFiles,
    username: str,
    key: bytes,
    *,
    clock: Clock,
    kdf: KdfParams = DEFAULT_KDF,
    method: str | None = None,
    password: str | None = None,
    seal: SealRoot | None = None,
    db: Database | None = None,
) -> DeskSession:
    """Open the database with a key already unwrapped (a keyslot, or a quick-unlock PIN
    as ``method="pin"``, which hands back the seal root it kept) and audit the sign-in as
    ``username``. With the ``password``, an admin's seal root is unwrapped too. ``db``:
    already opened with that key."""
    if db is None:
        db = open_database(files, key)
    secret = None if password is None else staff_secret(password)
    try:
        staff, seal = _audit_sign_in(
            db,
            files,
            username,
            clock,
            method,
            secret,
            Vault(files.vault, kdf),
            seal,
            own_login=server.login_of(key) is not None,
        )
    except BaseException:
        db.close()
        raise
    session = DeskSession(files, db, key, staff, clock, kdf, seal)
    session.resume_due_plans()
    return session


def _audit_sign_in(
    db: Database,
    files: DatabaseFiles,
    username: str,
    clock: Clock,
    method: str | None,
    secret: bytes | None,
    vault: Vault,
    seal: SealRoot | None,
    *,
    own_login: bool = False,
) -> tuple[StaffInfo, SealRoot | None]:
    attempts = SignInAttempts.beside(files)
    pending, seq = attempts.pending_and_seq()
    with db.transaction() as tx:
        row = tx.scalar(select(Staff).where(Staff.username == username))
        if row is None or row.disabled:
            raise PharmDeskError(AUTH_FAILED, WRONG_PASSWORD)
        if method is not None and row.must_change_password:
            # An admin reset this password while the screen was locked: only the
            # one-time password may open it now (nothing is written).
            raise PharmDeskError(
                PASSWORD_CHANGE_REQUIRED,
                "An admin reset your password. Sign in with the one-time password.",
            )
        now = clock.now()
        if own_login:
            # Each desk of a branch server keeps its own counters and checkpoint, and
            # the server keeps the log append-only: nothing here to compare with what
            # the database saw of another desk's files.
            watch = sealing.FileWatch()
        else:
            watch = sealing.check_files(tx, files.checkpoint, seq, pending)
        if watch.forgive_missing_counters:
            attempts.forgive_missing()
            pending = [e for e in pending if e.get("action") != "tamper"]
        record_pending_failures(tx, pending, now)
        sealing.record_tamper(tx, now, username, watch.found)
        # A branch server keeps the log append-only itself: no forward-secure seal there.
        access = (
            sealing.SealAccess()
            if files.server is not None
            else sealing.at_sign_in(
                tx, vault, username, row.role == ADMIN, secret=secret, kept=seal, now=now
            )
        )
        newest = _newest_entry_at(tx)
        detail: dict[str, Any] = {} if method is None else {"method": method}
        if newest is not None and now.replace(tzinfo=None) < newest:
            detail["clockBehind"] = {"newestEntry": to_iso(newest.replace(tzinfo=dt.UTC))}
        audit.append(
            tx,
            at=now,
            user=username,
            action="signIn",
            detail=detail,
            ratchet=True,
            start=access.start,
        )
        access.finish()
        if not own_login:
            row.last_sign_in = now.replace(tzinfo=None)
        else:  # staff logins may not write the staff table: their own row, by the server
            tx.execute(text("SELECT pharmdesk_signed_in(:at)"), {"at": now.replace(tzinfo=None)})
        info = StaffInfo(
            row.username,
            row.full_name,
            row.role,
            row.must_change_password,
            clock_behind="clockBehind" in detail,
        )
    attempts.forget_pending(len(pending))
    return info, access.root


def _newest_entry_at(tx: Session) -> dt.datetime | None:
    if tx.get_bind().dialect.name == "postgresql":  # only admins read the log there
        head = tx.execute(text("SELECT head_at FROM pharmdesk_audit_head()")).first()
        return None if head is None else head[0]
    return tx.scalar(select(AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1))


def clock_is_behind(session: DeskSession) -> bool:
    """True when the last sign-in found the PC's clock earlier than the audit log."""
    if session.files.server is not None:
        return session.staff.clock_behind  # the log is not every login's to read there
    with session.db.transaction() as tx:
        entry = tx.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "signIn", AuditEntry.user == session.staff.username)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        return entry is not None and "clockBehind" in entry.detail
