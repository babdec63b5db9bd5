"""The signed-in staff member: running operations, jobs, the rekey, checkpoint and lock.

A ``DeskSession`` is what every front end holds after a successful sign-in
(``controllers/signin``; on a branch server ``controllers/server_signin``). It owns the
open database and the key; locking or signing out closes the one and forgets the other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from pharmdesk.clock import Clock
from pharmdesk.controllers import audit, revocation, sealing
from pharmdesk.controllers.audit_seal import SealRoot
from pharmdesk.controllers.plans import resume_due_plans
from pharmdesk.controllers.registry import (
    ADMIN,
    JOBS,
    REGISTRY,
    JobRun,
    Op,
    Progress,
    allowed,
    no_progress,
)
from pharmdesk.controllers.revocation import LiveKeys
from pharmdesk.controllers.session_parts import (
    ACCOUNT_DISABLED,
    CHECKPOINT_EVERY,
    StaffInfo,
    _ClosedDatabase,
    _Denied,
    _Revoked,
    record_pending_failures,
    staff_now,
)
from pharmdesk.controllers.settings_store import load_settings
from pharmdesk.controllers.validation import parse_params
from pharmdesk.errors import (
    AUTH_FAILED,
    LOCKED_OUT,
    PASSWORD_CHANGE_REQUIRED,
    PERMISSION_DENIED,
    PharmDeskError,
    validation,
)
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import server
from pharmdesk.store.attempts import SignInAttempts
from pharmdesk.store.engine import Database
from pharmdesk.store.rekey import Progress as RekeyProgress
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams, Vault

log = logging.getLogger(__name__)


class DeskSession:
    """One staff member signed in to one database."""

    def __init__(
        self,
        files: DatabaseFiles,
        db: Database,
        key: bytes,
        staff: StaffInfo,
        clock: Clock,
        kdf: KdfParams = DEFAULT_KDF,
        seal: SealRoot | None = None,
        *,
        staff_row: bool = True,
    ) -> None:
        self.files = files
        self.db = db
        self._key: bytes | None = key
        self.staff = staff
        self.clock = clock
        self.vault = Vault(files.vault, kdf)
        self._settings: dict[str, Any] | None = None
        self._last_checkpoint = clock.now()
        # An admin's audit seal root (k0), unwrapped at sign-in; None for everyone else.
        self.seal = seal
        self.sleep: Callable[[float], None] = time.sleep
        self.failure_delay = 0.0
        # Whether every operation re-reads this person's staff row (the recovery key has
        # none: it is its own, audited, way in).
        self._staff_row = staff_row
        # The key of a pending rekey, when this session knows it (it asked for the rekey,
        # or its slot held it at sign-in); see controllers/revocation.py.
        self.next_key: bytes | None = None
        self._rekey_wanted = False
        self.need_new_password: list[str] = []  # from the last rekey this session did
        self._closed_message = "The session is locked. Sign in again."
        # Long work inside an operation (the rekey) reports here; the GUI listens.
        self.progress: RekeyProgress | None = None

    # -- what operations use ------------------------------------------------------------
    @property
    def key(self) -> bytes:
        if self._key is None:
            raise PharmDeskError(AUTH_FAILED, "The session is locked. Sign in again.")
        return self._key

    @property
    def is_open(self) -> bool:
        return self._key is not None

    @property
    def own_server_login(self) -> bool:
        """Signed in to a branch server as the person's own PostgreSQL login
        (``server_signin``), rather than through a key slot kept at this desk."""
        return self._key is not None and server.login_of(self._key) is not None

    def settings(self) -> dict[str, Any]:
        if self._settings is None:
            with self.db.transaction() as tx:
                self._settings = load_settings(tx)
        return self._settings

    def forget_settings(self) -> None:
        self._settings = None

    def mark_password_changed(self) -> None:
        self.staff = replace(self.staff, must_change_password=False)

    def use_server_login(self, key: bytes) -> None:
        """Branch server: reconnect as this person with a new password (changeMyPassword),
        so that no connection or key kept here holds the old one."""
        from pharmdesk.controllers.server_signin import open_as

        if not self.is_open:
            return
        fresh = open_as(self.files, key)
        old, self.db, self._key = self.db, fresh, key
        old.close()

    # -- running an operation -------------------------------------------------------------
    def call(self, name: str, params: Any = None) -> dict[str, Any]:
        """Run one operation of API.md; raise ``PharmDeskError`` for a refusal.

        Each operation first re-reads the person's staff row in its own transaction (one
        indexed read): a disabled account ends the session here, and a changed role
        applies to this operation already.
        """
        if not self.is_open:
            raise PharmDeskError(AUTH_FAILED, self._closed_message)
        op_def = REGISTRY.get(name)
        if op_def is None:
            raise validation(f"Unknown operation '{str(name)[:60]}'.", "operation")
        self._rekey_wanted = False
        self.settings()  # cached; loaded outside the operation's transaction
        try:
            with self.db.transaction(shared=op_def.reads) as tx:
                self._refresh_staff(tx)
                self._check_allowed(name, op_def.allowed_before_password_change)
                checked = parse_params(params, op_def.params)
                op = Op(tx, self, self.clock.now())
                result = op_def.handler(op, checked)
        except _Revoked:
            raise self._revoked() from None
        except _Denied:
            raise self._denied(name) from None
        except PharmDeskError as exc:
            if name == "changeMyPassword":
                # A wrong current password is a failed sign-in (staff.change_my_password):
                # the same delay, and it is in the log now, not only at the next sign-in.
                delay, self.failure_delay = self.failure_delay, 0.0
                self.sleep(delay)
                self.enter_failed_attempts()
                if exc.code == LOCKED_OUT:
                    self.lock()
            raise
        for after in op.after_commit:
            after()
        if self._rekey_wanted:
            self._rekey_wanted = False
            result = {**result, "rekeyed": self.finish_rekey(revocation.REKEY_WAIT)}
            if self.need_new_password:
                # Keyslots from an older PharmDesk nobody had used since: their owners
                # need a new password (resetStaffPassword) to sign in again.
                result["needNewPassword"] = self.need_new_password
        self._maybe_checkpoint()
        return result

    def _revoked(self) -> PharmDeskError:
        """The account was disabled: the session ends here."""
        self._end(None)
        self._closed_message = ACCOUNT_DISABLED
        return PharmDeskError(AUTH_FAILED, ACCOUNT_DISABLED)

    def _denied(self, name: str) -> PharmDeskError:
        self._audit_denied(name)
        return PharmDeskError(
            PERMISSION_DENIED,
            f"Your role ({self.staff.role}) may not use {name}. Ask an admin.",
        )

    def _refresh_staff(self, tx: Session) -> None:
        if not self._staff_row:
            return
        found = staff_now(tx, self.staff.username)
        if found is None or found[1]:  # gone, or disabled
            raise _Revoked
        role = found[0]
        if role != self.staff.role:
            self.staff = replace(self.staff, role=role)
            if role != ADMIN:
                self.seal = None  # the audit seal root is an admin's only

    def _check_allowed(self, name: str, before_password_change: bool = False) -> None:
        """The checks every operation and job passes after sign-in, in API.md's order
        (the role rule is the registry's ``allowed``: one place)."""
        if self.staff.must_change_password and not before_password_change:
            raise PharmDeskError(
                PASSWORD_CHANGE_REQUIRED,
                "You must choose a new password before doing anything else (changeMyPassword).",
            )
        if not allowed(name, self.staff.role):
            raise _Denied

    def _authorize(self, name: str, before_password_change: bool = False) -> None:
        """``call``'s checks for work outside an operation (jobs): the staff row re-read,
        password change, role; a refusal by role is audited as ``denied``."""
        try:
            with self.db.transaction() as tx:
                self._refresh_staff(tx)
                self._check_allowed(name, before_password_change)
        except _Revoked:
            raise self._revoked() from None
        except _Denied:
            raise self._denied(name) from None

    def may(self, name: str) -> bool:
        """Whether the signed-in person may run the operation or job ``name`` now: what a
        screen asks before it shows a menu entry or a button (it keeps no role list)."""
        if not self.is_open:
            return False
        op_def = REGISTRY.get(name)
        before = op_def is not None and op_def.allowed_before_password_change
        if self.staff.must_change_password and not before:
            return False
        return allowed(name, self.staff.role)

    def prepare_job(self, name: str, params: Any = None) -> Callable[[Progress], Any]:
        """Check a job as ``call`` checks an operation (sign-in, password change, role,
        params) and bind it to this session: the answer runs the job, in this thread or
        a worker, with a progress callback. The caller never sees the key."""
        if not self.is_open:
            raise PharmDeskError(AUTH_FAILED, "The session is locked. Sign in again.")
        definition = JOBS.get(name)
        if definition is None:
            raise validation(f"Unknown job '{str(name)[:60]}'.", "operation")
        self._authorize(name)
        checked = parse_params(params, definition.params)
        run = JobRun(self.files, self.staff.username, self.clock, self.vault.kdf, self.key)

        def bound(progress: Progress = no_progress) -> Any:
            return definition.handler(run, checked, progress)

        return bound

    def run_job(self, name: str, params: Any = None, progress: Progress | None = None) -> Any:
        """Check and run a job here and now (the command line)."""
        return self.prepare_job(name, params)(progress or no_progress)

    def enter_failed_attempts(self) -> None:
        attempts = SignInAttempts.beside(self.files)
        pending = attempts.pending()
        if not pending:
            return
        with self.db.transaction() as tx:
            record_pending_failures(tx, pending, self.clock.now())
        attempts.forget_pending(len(pending))

    # -- revocation ------------------------------------------------------------------------
    def request_rekey(self, reason: str, revoke: str | None = None) -> None:
        """Called by an operation (as its last write): drop ``revoke``'s slots and seal a
        new database key to everyone else; the re-encryption follows the commit."""
        self.next_key = revocation.begin(self.vault, reason, revoke)
        self._rekey_wanted = True

    def finish_rekey(self, wait: float) -> bool:
        """Re-encrypt the database under the pending key if no other PharmDesk process
        has it open within ``wait`` seconds. True when done (audited); False leaves it
        pending for the next sign-in that finds the database free."""
        if self.next_key is None or not self.is_open:
            return False
        live = LiveKeys(self.db, self.key, self.next_key)
        reason = (self.vault.pending_rekey() or {}).get("reason", "")
        try:
            outcome = revocation.complete(
                self.files,
                self.vault,
                live,
                wait=wait,
                progress=self.progress or (lambda _d, _t: None),
            )
        except PharmDeskError as exc:
            log.warning("the database key could not be changed now: %s", exc.code)
            return False
        self.db, self._key, self.next_key = outcome.live.db, outcome.live.key, outcome.live.next_key
        if outcome.rekeyed:
            detail: dict[str, Any] = {"event": "rekey", "reason": str(reason)[:200]}
            self.need_new_password = outcome.need_new_password
            if outcome.need_new_password:
                detail["needNewPassword"] = outcome.need_new_password
            with self.db.transaction() as tx:
                audit.append(
                    tx,
                    at=self.clock.now(),
                    user=self.staff.username,
                    action="staff",
                    entity_type="staff",
                    detail=detail,
                )
        return outcome.rekeyed

    def resume_due_plans(self) -> None:
        """Sign-in upkeep: plans whose pause ends today (or ended while nobody was signed
        in) become active again, audited as this person's session; see
        ``plans.resume_due_plans``. A failure here never stops the sign-in."""
        if self.staff.must_change_password:
            return
        try:
            with self.db.transaction() as tx:
                resume_due_plans(Op(tx, self, self.clock.now()))
        except PharmDeskError as exc:
            log.warning("could not end due pauses at sign-in: %s", exc.code)

    def _audit_denied(self, name: str) -> None:
        with self.db.transaction() as tx:
            audit.append(
                tx,
                at=self.clock.now(),
                user=self.staff.username,
                action="denied",
                outcome="denied",
                detail={"operation": name},
            )

    # -- checkpoint, lock, sign out --------------------------------------------------------
    def write_checkpoint(self) -> None:
        with self.db.transaction() as tx:
            head = audit.chain_head(tx)
        if head is not None and audit.write_checkpoint(self.files.checkpoint, head):
            # The database remembers it, so a deleted or older checkpoint file is noticed.
            with self.db.transaction() as tx:
                sealing.remember_checkpoint(tx, head.entry_id)
        self._last_checkpoint = self.clock.now()

    def _maybe_checkpoint(self) -> None:
        if self.clock.now() - self._last_checkpoint >= CHECKPOINT_EVERY:
            self.write_checkpoint()

    def _end(self, action: str | None) -> None:
        if not self.is_open:
            return
        try:
            if action is not None:
                with self.db.transaction() as tx:
                    audit.append(tx, at=self.clock.now(), user=self.staff.username, action=action)
            self.write_checkpoint()
        except PharmDeskError as exc:
            # Locking and signing out must always close the database and drop the key,
            # even when the closing entry cannot be written (full disk, damaged file).
            log.warning("could not record %s: %s", action or "close", exc.code)
        finally:
            self.db.close()
            # The closed engine still holds the key in its connection factory: let it
            # go, so that nothing reachable from a locked session can reopen the file.
            self.db = _ClosedDatabase(self.db.path)
            self._key = None
            self.seal = None  # the audit seal root goes with the key
            self.next_key = None
            self._settings = None

    def lock(self) -> None:
        """Idle or manual lock: audited, database closed, key dropped."""
        self._end("lock")

    def sign_out(self) -> None:
        self._end("signOut")

    def close(self) -> None:
        """End a command-line session: checkpoint and close, no sign-out entry."""
        self._end(None)
