"""Staff accounts: who may sign in, with which role, and their keyslots.

A staff member is two things kept in step: a row in the ``staff`` table (name, role,
disabled and must-change-password flags) and a keyslot in the vault file beside the
database (their password wrapping the database key). Sign-in needs both.

Order of writes. The row and the vault file cannot be one transaction. Every handler
here makes its database changes and its audit entry first (flushed, so constraint
errors surface), and writes the vault file last, still inside the transaction; the
commit follows when the handler returns. So a vault write that fails rolls the database
back and nothing changed. The one window left is "vault written, commit lost" (a crash
or a full disk at commit), and each operation is arranged so that window errs safe:
- addStaff / enableStaff: a new slot without its row, or while the row still says
  disabled, signs nobody in (sign-in also requires an active row);
- disableStaff: the slot is gone, so the person is already shut out even though the row
  still says active (the revocation takes effect first);
- resetStaffPassword / changeMyPassword: the new password works; at worst the
  must-change flag is stale and the person is asked for one more change.
In every case, running the same operation again completes it.

On a branch server each person is also a PostgreSQL login role (``store/pg_roles``): the
operations bring it in step with the row in the same transaction (created by addStaff,
its group changed by setStaffRole, NOLOGIN by disableStaff, its password set from a
SCRAM verifier made at the desk), so a rolled-back operation leaves the role as it was;
people sign in as that login (only admins keep key slots, at the server's first desk)."""

from __future__ import annotations

import errno
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import false, func, select

from pharmdesk.controllers import sealing
from pharmdesk.controllers.audit_seal import staff_secret
from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.passwords import check_new_password
from pharmdesk.controllers.registry import ADMIN, ADMINS, EVERYONE, ROLES, Op, operation
from pharmdesk.controllers.session import _locked_message, validate_username
from pharmdesk.controllers.validation import Param, boolean, choice, free_text, string
from pharmdesk.errors import (
    DATABASE_ERROR,
    DISK_FULL,
    DUPLICATE,
    LOCKED_OUT,
    PharmDeskError,
    not_found,
    validation,
)
from pharmdesk.store import pg_roles, server
from pharmdesk.store.attempts import SignInAttempts, failure_delay
from pharmdesk.store.schema import Staff

MAX_PASSWORD_INPUT = 4096  # the rule allows 1,024 after NFKC; refuse absurd input early


def _username(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise validation(f"{name} must be text.", name)
    return validate_username(value, name)


def _full_name(name: str, value: Any) -> str:
    text = free_text(0, 120)(name, value)
    if not text:
        raise validation(f"{name} cannot be empty.", name)
    return text


USERNAME = Param(_username, required=True)
PASSWORD = Param(string(1, MAX_PASSWORD_INPUT, strip=False), required=True)
MUST_CHANGE = Param(boolean(), default=False)


# -- shared helpers -------------------------------------------------------------------------
def _get_staff(op: Op, username: str) -> Staff:
    row = op.tx.scalar(select(Staff).where(Staff.username == username))
    if row is None:
        raise not_found(f"No staff account named '{username}'. Check the username.", "username")
    return row


def _active_admins(op: Op) -> int:
    return int(
        op.tx.scalar(
            select(func.count(Staff.id)).where(Staff.role == ADMIN, Staff.disabled == false())
        )
        or 0
    )


def _refuse_losing_last_admin(op: Op, row: Staff, field: str, action: str) -> None:
    """Someone must always be able to manage staff, so the last active admin stays one."""
    if row.role == ADMIN and not row.disabled and _active_admins(op) <= 1:
        raise validation(
            f"'{row.username}' is the only active admin and cannot be {action}. "
            "Make another account an admin first.",
            field,
        )


def write_vault(change: Callable[[], None]) -> None:
    """Run one vault-file write; a file-system failure becomes an error a person can act on."""
    try:
        change()
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise PharmDeskError(
                DISK_FULL,
                "The disk is full: nothing was saved. Free some space on this PC and try again.",
            ) from None
        raise PharmDeskError(
            DATABASE_ERROR,
            "The key file beside the database could not be written; nothing was saved. "
            "Check that the folder is writable and try again.",
        ) from None


def _server_login(op: Op, username: str, password: str | None = None) -> None:
    """On a branch server: the person's PostgreSQL login role follows their staff row
    (created, its group, LOGIN or NOLOGIN) in this transaction, with the new password's
    SCRAM verifier when given (``store/pg_roles.sync_login``). Nothing on a single PC."""
    conn = op.tx.connection()
    if conn.dialect.name != "postgresql":
        return
    op.tx.flush()
    pg_roles.sync_login(conn, username, password)


def _set_password(op: Op, username: str, password: str, role: str) -> None:
    """The person's login role on a branch server, then their keyslot, then their
    audit-seal entry under the same password: an admin's holds the seal root (when this
    session has it), everyone's a key pair for later."""
    _server_login(op, username, password)
    if op.desk.own_server_login:
        # The server checks passwords itself: no key slot at the desk (this session's
        # key is the signed-in person's login, never to be wrapped for someone else).
        return
    if op.desk.files.server is not None and role != ADMIN:  # see the module's last note
        write_vault(lambda: op.desk.vault.remove_staff(username))
        return
    write_vault(
        lambda: op.desk.vault.set_staff_password(username, password, op.desk.key, op.desk.next_key)
    )
    root = op.desk.seal if role == ADMIN else None
    write_vault(lambda: sealing.password_set(op.desk.vault, username, staff_secret(password), root))


def audit_staff(op: Op, username: str | None, event: str, **detail: Any) -> None:
    """One ``staff`` entry per operation; passwords never reach it."""
    op.audit("staff", "staff", username, {"event": event, **detail})


# -- listStaff ------------------------------------------------------------------------------
@operation("listStaff", params={}, roles=ADMINS)
def list_staff(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    locked = SignInAttempts(op.desk.files.attempts).locked_out_users(op.now)
    rows = op.tx.scalars(select(Staff).order_by(Staff.username)).all()
    conn = op.tx.connection()
    database = pg_roles.current_database(conn) if conn.dialect.name == "postgresql" else None
    if database is not None:  # a branch server counts every desk's failures
        from pharmdesk.controllers.server_signin import locked_out_on_server

        locked |= locked_out_on_server(op.tx)
    staff = [
        {
            "username": row.username,
            "fullName": row.full_name,
            "role": row.role,
            "disabled": row.disabled,
            "lockedOut": row.username in locked,
            "lastSignIn": iso_or_none(row.last_sign_in),
        }
        for row in rows
    ]
    if database is not None:  # branch server mode: each person's own PostgreSQL login
        for entry in staff:
            entry["dbRole"] = pg_roles.login_role(database, str(entry["username"]))
    audit_staff(op, None, "list", shown=len(staff))
    return {"staff": staff}


# -- addStaff -------------------------------------------------------------------------------
@operation(
    "addStaff",
    params={
        "username": USERNAME,
        "fullName": Param(_full_name, required=True),
        "role": Param(choice(*ROLES), required=True),
        "password": PASSWORD,
        "mustChangePassword": MUST_CHANGE,
    },
    roles=ADMINS,
)
def add_staff(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    username = p["username"]
    password = check_new_password(p["password"], username=username)
    if op.tx.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise PharmDeskError(
            DUPLICATE,
            f"A staff account named '{username}' already exists. Choose another username, "
            "or enable that account.",
            "username",
        )
    op.tx.add(
        Staff(
            username=username,
            full_name=p["fullName"],
            role=p["role"],
            disabled=False,
            must_change_password=p["mustChangePassword"],
            created_at=op.naive_now,
        )
    )
    audit_staff(op, username, "add", role=p["role"], mustChangePassword=p["mustChangePassword"])
    # Vault last (see the module docstring): a slot without its row opens nothing.
    _set_password(op, username, password, p["role"])
    return {"success": True}


# -- disableStaff / enableStaff -----------------------------------------------------------
@operation("disableStaff", params={"username": USERNAME}, roles=ADMINS)
def disable_staff(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    row = _get_staff(op, p["username"])
    if row.username == op.user:
        raise validation(
            "You cannot disable your own account. Ask another admin to do it.", "username"
        )
    if row.disabled:
        raise validation(f"'{row.username}' is already disabled.", "username")
    _refuse_losing_last_admin(op, row, "username", "disabled")
    row.disabled = True
    audit_staff(op, row.username, "disable")
    op.tx.flush()
    # Removing the slot is what shuts the person out; done last (inside the transaction),
    # a lost commit still leaves them unable to sign in. The same atomic write seals a new
    # database key to everyone else; the database is re-encrypted under it after the
    # commit (DeskSession.call adds "rekeyed"), so a copy of the old key file, with the
    # old password, opens nothing any more.
    username = row.username
    _server_login(op, username)  # NOLOGIN, and its password gone, on a branch server
    if op.desk.own_server_login:
        return {"success": True}  # the server lets them in no more; no key to change
    write_vault(lambda: sealing.disabled(op.desk.vault, username))
    write_vault(lambda: op.desk.request_rekey(f"{username} disabled", revoke=username))
    return {"success": True}


@operation(
    "enableStaff",
    params={"username": USERNAME, "password": PASSWORD, "mustChangePassword": MUST_CHANGE},
    roles=ADMINS,
)
def enable_staff(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    password = check_new_password(p["password"], username=p["username"])
    row = _get_staff(op, p["username"])
    if not row.disabled:
        raise validation(
            f"'{row.username}' is not disabled. To give them a new password, use "
            "resetStaffPassword.",
            "username",
        )
    row.disabled = False
    row.must_change_password = p["mustChangePassword"]
    audit_staff(op, row.username, "enable", mustChangePassword=p["mustChangePassword"])
    op.tx.flush()
    # A slot written while the row still says disabled opens nothing.
    _set_password(op, row.username, password, row.role)
    return {"success": True}


# -- unlockStaff ----------------------------------------------------------------------------
@operation("unlockStaff", params={"username": USERNAME}, roles=ADMINS)
def unlock_staff(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    row = _get_staff(op, p["username"])
    attempts = SignInAttempts(op.desk.files.attempts)
    was_locked = row.username in attempts.locked_out_users(op.now)
    if op.tx.get_bind().dialect.name == "postgresql":  # the server's counters, every desk's
        from pharmdesk.controllers.server_signin import clear_on_server

        was_locked = clear_on_server(op.tx, row.username) or was_locked
    audit_staff(op, row.username, "unlock", wasLockedOut=was_locked)
    op.tx.flush()
    attempts.clear(row.username)
    return {"success": True}


# -- setStaffRole ---------------------------------------------------------------------------
@operation(
    "setStaffRole",
    params={"username": USERNAME, "role": Param(choice(*ROLES), required=True)},
    roles=ADMINS,
)
def set_staff_role(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    row = _get_staff(op, p["username"])
    old = row.role
    if old == ADMIN and p["role"] != ADMIN:
        _refuse_losing_last_admin(op, row, "role", "demoted")
    row.role = p["role"]
    audit_staff(op, row.username, "setRole", old=old, new=p["role"])
    op.tx.flush()
    _server_login(op, row.username)  # the new group's rights, from the next statement
    if not op.desk.own_server_login:
        # A new admin gets the audit seal root handed to their key pair; a former one
        # loses it.
        write_vault(
            lambda: sealing.role_changed(
                op.desk.vault, row.username, p["role"] == ADMIN, op.desk.seal
            )
        )
        if op.desk.files.server is not None and p["role"] != ADMIN:  # no admin: no slot
            write_vault(lambda: op.desk.vault.remove_staff(row.username))
    if row.username == op.user:
        # An admin who demotes themself loses the rights now, not at the next sign-in.
        op.desk.staff = replace(op.desk.staff, role=p["role"])
        if p["role"] != ADMIN:
            op.desk.seal = None
    return {"success": True}


# -- resetStaffPassword ---------------------------------------------------------------------
@operation(
    "resetStaffPassword",
    params={"username": USERNAME, "password": PASSWORD, "mustChangePassword": MUST_CHANGE},
    roles=ADMINS,
)
def reset_staff_password(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    password = check_new_password(p["password"], username=p["username"])
    row = _get_staff(op, p["username"])
    if row.disabled:
        raise validation(
            f"'{row.username}' is disabled. Use enableStaff, which sets a new password too.",
            "username",
        )
    row.must_change_password = p["mustChangePassword"]
    audit_staff(op, row.username, "resetPassword", mustChangePassword=p["mustChangePassword"])
    op.tx.flush()
    _set_password(op, row.username, password, row.role)
    return {"success": True}


# -- changeMyPassword -----------------------------------------------------------------------
@operation(
    "changeMyPassword",
    params={
        "oldPassword": Param(string(1, MAX_PASSWORD_INPUT, strip=False), required=True),
        "newPassword": PASSWORD,
    },
    roles=EVERYONE,
    allowed_before_password_change=True,
)
def change_my_password(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    new = check_new_password(p["newPassword"], username=op.user, field="newPassword")
    if new == unicodedata.normalize("NFKC", p["oldPassword"]):
        raise validation("The new password must be different from the current one.", "newPassword")
    # Checking the old password is a sign-in: one key derivation, and a wrong one counts
    # like a wrong password at the sign-in screen (delay, counter, lock-out, audit).
    attempts = SignInAttempts.beside(op.desk.files)
    state = attempts.state(op.user, op.now)
    if state.locked_until is not None:
        attempts.record_locked_attempt(op.user, op.now)
        raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until))
    if not _old_password_is_right(op, p["oldPassword"]):
        state = attempts.record_failure(op.user, op.desk.clock.now())
        # Slept by DeskSession.call once this transaction is over (no lock held meanwhile).
        op.desk.failure_delay = failure_delay(state.failures)
        if state.locked_until is not None:
            raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until))
        raise validation(
            "The current password is not right. Nothing was changed; try again.", "oldPassword"
        )
    attempts.clear(op.user)
    row = _get_staff(op, op.user)
    if not op.desk.own_server_login or row.role == ADMIN:
        row.must_change_password = False
    # (Other staff logins may not update the staff table: setting their own password on
    # the server clears the flag, in pharmdesk_staff_login.)
    audit_staff(op, op.user, "changePassword")
    op.tx.flush()
    # The new slot replaces the old in one atomic file write: the old password or the
    # new one works, never neither. A lost commit leaves the new one working and, at
    # worst, the must-change flag set, so the person is asked once more.
    _set_password(op, op.user, new, row.role)
    op.desk.mark_password_changed()
    if op.desk.own_server_login:
        # The session reconnects with the new password once it is the server's.
        key = server.login_key(op.user, new)
        op.after_commit.append(lambda: op.desk.use_server_login(key))
    return {"success": True}


def _old_password_is_right(op: Op, password: str) -> bool:
    if op.desk.own_server_login:
        from pharmdesk.controllers.server_signin import password_is_right

        return password_is_right(op.desk.files, op.user, password)
    return op.desk.vault.unlock_staff(op.user, password) is not None
