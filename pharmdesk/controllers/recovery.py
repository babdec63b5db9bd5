"""Break-glass: the recovery key opens the database when every admin password is lost.

The recovery key (shown once at ``init``) has its own keyslot. Using it is an emergency,
so it is never a normal sign-in: it needs a written reason, it is audited as
``emergencyAccess`` with that reason before anything else happens, and the only thing it
allows is giving an admin account a new password (enabling a disabled admin, or creating
a new one when none is left) so that a real person signs in and carries on. Everything
it changes goes through the staff operations, audited under the name ``(recovery key)``.

Wrong recovery keys are counted like wrong passwords (same growing delay, same lockout),
under that same name, and entered in the audit log at the next successful sign-in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pharmdesk.clock import Clock
from pharmdesk.controllers import audit, revocation, sealing
from pharmdesk.controllers.audit_seal import RECOVERY_OWNER, recovery_secret
from pharmdesk.controllers.registry import ADMIN
from pharmdesk.controllers.session import (
    DeskSession,
    StaffInfo,
    _require_files,
    record_pending_failures,
    validate_username,
)
from pharmdesk.controllers.validation import clean_text
from pharmdesk.errors import AUTH_FAILED, LOCKED_OUT, PharmDeskError, not_found, validation
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.attempts import SignInAttempts, failure_delay
from pharmdesk.store.rekey import Progress
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams, Vault, normalize_recovery_key

# Not a valid username (brackets, space), so it can never be mistaken for a staff account.
RECOVERY_USER = "(recovery key)"
MIN_REASON_CHARS = 12
MIN_REASON_WORDS = 3
MAX_REASON_CHARS = 500
WRONG_KEY = (
    "That recovery key is not right. Check it against the paper it was written on "
    "(letters and digits; dashes and spaces do not matter)."
)
REASON_RULE = (
    f"Write why the recovery key is being used, in at least {MIN_REASON_WORDS} words "
    "(for example: 'Ada, the only admin, forgot her password'). It is kept in the audit log."
)


def check_reason(text: Any, rule: str = REASON_RULE) -> str:
    """The written reason: required, a few words at least, kept in the audit log.
    ``rule``: the message when it is missing or too short."""
    if not isinstance(text, str):
        raise validation("The reason must be text.", "reason")
    reason = clean_text(text)
    if len(reason) < MIN_REASON_CHARS or len(reason.split()) < MIN_REASON_WORDS:
        raise validation(rule, "reason")
    if len(reason) > MAX_REASON_CHARS:
        raise validation(
            f"The reason is too long: at most {MAX_REASON_CHARS} characters.", "reason"
        )
    return reason


def _locked_message(until: Any) -> str:
    local = until.astimezone().strftime("%H:%M")
    return (
        f"Too many wrong recovery keys: recovery is blocked until {local}. Check the key "
        "on its paper and try again then."
    )


class RecoverySession:
    """What the recovery key opens: the staff accounts of the admin role, nothing else.

    Wraps a ``DeskSession`` acting as ``(recovery key)`` with the admin role, and exposes
    only the steps that get a real admin back in; every step is a staff operation, so it
    is validated and audited exactly like an admin's.
    """

    def __init__(self, session: DeskSession, rekeyed: bool = False) -> None:
        self._session = session
        # Whether opening changed the database key now (else it is pending: another
        # PharmDesk process had the database open; the next free sign-in does it).
        self.rekeyed = rekeyed

    @property
    def is_open(self) -> bool:
        return self._session.is_open

    def staff(self) -> list[dict[str, Any]]:
        """Every staff account (listStaff's rows), admins first, for choosing whom to let in."""
        rows = self._session.call("listStaff")["staff"]
        return sorted(rows, key=lambda row: (row["role"] != ADMIN, row["username"]))

    def admins(self) -> list[dict[str, Any]]:
        return [row for row in self.staff() if row["role"] == ADMIN]

    def set_admin_password(self, username: str, password: str) -> str:
        """Give an admin account (active or disabled) a new password and clear its lockout.

        Returns the username as stored. The person signs in with this password next.
        """
        name = validate_username(username)
        row = next((r for r in self.staff() if r["username"] == name), None)
        if row is None:
            raise not_found(f"No staff account named '{name}'. Check the username.", "username")
        if row["role"] != ADMIN:
            raise validation(
                f"'{name}' is not an admin. Choose an admin account, or create a new admin "
                "(they can change other people's roles once signed in).",
                "username",
            )
        params = {"username": name, "password": password, "mustChangePassword": False}
        if row["disabled"]:
            self._session.call("enableStaff", params)
        else:
            self._session.call("resetStaffPassword", params)
        if row["lockedOut"]:
            self._session.call("unlockStaff", {"username": name})
        return name

    def create_admin(self, username: str, full_name: str, password: str) -> str:
        """A new admin account (when no admin account can be used). Returns its username."""
        name = validate_username(username)
        self._session.call(
            "addStaff",
            {
                "username": name,
                "fullName": full_name,
                "role": ADMIN,
                "password": password,
                "mustChangePassword": False,
            },
        )
        return name

    def close(self) -> None:
        """Close the database and drop the key (a checkpoint is written, no sign-out entry)."""
        self._session.close()


def recovery_sign_in(
    files: DatabaseFiles,
    recovery_key: str,
    reason: str,
    *,
    clock: Clock | None = None,
    sleep: Callable[[float], None] = time.sleep,
    kdf: KdfParams = DEFAULT_KDF,
    rekey_wait: float = revocation.REKEY_WAIT,
    progress: Progress | None = None,
) -> RecoverySession:
    """Open the database with the recovery keyslot and audit ``emergencyAccess``.

    The reason is checked first (a missing reason costs no attempt). A wrong key is
    counted, delayed and locked out like a wrong password.
    """
    clock = clock or Clock()
    reason = check_reason(reason)
    if not recovery_key.strip():
        raise validation("Type the recovery key from its paper.", "recoveryKey")
    _require_files(files)
    attempts = SignInAttempts.beside(files)
    now = clock.now()
    state = attempts.state(RECOVERY_USER, now)
    if state.locked_until is not None:
        attempts.record_locked_attempt(RECOVERY_USER, now)
        raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until))
    vault = Vault(files.vault, kdf)
    opened = vault.open_recovery(recovery_key)
    if opened is None:
        state = attempts.record_failure(RECOVERY_USER, clock.now())
        sleep(failure_delay(state.failures))
        if state.locked_until is not None:
            raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until))
        raise PharmDeskError(AUTH_FAILED, WRONG_KEY, "recoveryKey")
    live = revocation.open_live(files, vault, opened)
    db, key = live.db, live.key
    try:
        pending = attempts.pending()
        with db.transaction() as tx:
            now = clock.now()
            record_pending_failures(tx, pending, now)
            access = sealing.at_sign_in(
                tx,
                vault,
                RECOVERY_OWNER,
                True,
                secret=recovery_secret(normalize_recovery_key(recovery_key)),
                kept=None,
                now=now,
            )
            audit.append(
                tx,
                at=now,
                user=RECOVERY_USER,
                action="emergencyAccess",
                entity_type="staff",
                detail={"reason": reason},
                ratchet=True,
                start=access.start,
            )
            access.finish()
        attempts.forget_pending(len(pending))
    except BaseException:
        db.close()
        raise
    attempts.clear(RECOVERY_USER)
    if opened.legacy_key is not None:
        # A recovery slot from before sealed slots: rewritten (same recovery key) so that
        # the rekey below carries it over.
        vault.set_recovery(recovery_key, key)
    staff = StaffInfo(RECOVERY_USER, "Recovery key", ADMIN, must_change_password=False)
    session = DeskSession(files, db, key, staff, clock, kdf, access.root, staff_row=False)
    session.progress = progress
    # Whoever held the recovery key's paper may have read it: the database key changes.
    session.request_rekey("recovery key used")
    rekeyed = session.finish_rekey(rekey_wait)
    return RecoverySession(session, rekeyed)
