"""``replaceRecoveryKey``: a new recovery key replaces the old one (admins)."""

from __future__ import annotations

from typing import Any

from pharmdesk.controllers import sealing
from pharmdesk.controllers.audit_seal import RECOVERY_OWNER, recovery_secret
from pharmdesk.controllers.recovery import MIN_REASON_WORDS, check_reason
from pharmdesk.controllers.registry import ADMINS, Op, operation
from pharmdesk.controllers.staff import audit_staff, write_vault
from pharmdesk.controllers.validation import Param
from pharmdesk.errors import validation
from pharmdesk.store.vault import normalize_recovery_key

NEW_KEY_REASON_RULE = (
    f"Write why the recovery key is being replaced, in at least {MIN_REASON_WORDS} words "
    "(for example: 'the paper was read at a break-glass sign-in'). It is kept in the audit log."
)


@operation(
    "replaceRecoveryKey",
    params={
        "reason": Param(
            lambda _name, value: check_reason(value, NEW_KEY_REASON_RULE), required=True
        )
    },
    roles=ADMINS,
)
def replace_recovery_key(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """A new recovery key replaces the old one, which opens nothing from now on: after a
    break-glass sign-in (whoever read the paper could use it again), when the paper is
    lost, or when an upgrade dropped an old-style recovery slot. Shown once, like at setup;
    it also carries the audit seal's root, as the first one did."""
    if op.desk.own_server_login:
        raise validation(
            "A branch server has no recovery key to replace: people sign in with their own "
            "server logins, and the database owner's login is the way in when no admin "
            "can (see the server guide).",
            "reason",
        )
    audit_staff(op, None, "replaceRecoveryKey", reason=p["reason"])
    op.tx.flush()
    keys: list[str] = []
    write_vault(lambda: keys.append(op.desk.vault.replace_recovery(op.desk.key, op.desk.next_key)))
    secret = recovery_secret(normalize_recovery_key(keys[0]))
    write_vault(lambda: sealing.password_set(op.desk.vault, RECOVERY_OWNER, secret, op.desk.seal))
    return {"success": True, "recoveryKey": keys[0]}
