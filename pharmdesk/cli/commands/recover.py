"""``pharmdesk recover``: break-glass with the recovery key."""

from __future__ import annotations

from pharmdesk.cli.context import EXIT_OK, Context
from pharmdesk.cli.secrets import ask_password, ask_recovery_key
from pharmdesk.controllers.recovery import check_reason, recovery_sign_in


def cmd_recover(ctx: Context) -> int:
    """Break-glass (controllers/recovery.py): audited ``emergencyAccess`` with the reason,
    then the admin's new password (asked twice); nothing else is opened."""
    check_reason(ctx.args.reason)  # before any secret is asked for
    recovery = recovery_sign_in(
        ctx.files, ask_recovery_key(ctx), ctx.args.reason, clock=ctx.clock, kdf=ctx.kdf
    )
    try:
        password = ask_password(ctx, ctx.args.admin, confirm=True)
        if ctx.args.create:
            name = recovery.create_admin(
                ctx.args.admin, ctx.args.full_name or ctx.args.admin, password
            )
        else:
            name = recovery.set_admin_password(ctx.args.admin, password)
    finally:
        recovery.close()
    ctx.emit({"success": True, "admin": name, "rekeyed": recovery.rekeyed})
    ctx.say(
        f"'{name}' can sign in with the new password now. The use of the recovery key and "
        "the reason are in the audit log."
    )
    if not recovery.rekeyed:
        ctx.say(
            "PharmDesk is open elsewhere on this PC, so the database key changes at the next "
            "sign-in."
        )
    return EXIT_OK
