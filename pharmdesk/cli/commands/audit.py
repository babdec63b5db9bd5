"""``pharmdesk audit verify``: the chain, against checkpoints, a backup or a printed code."""

from __future__ import annotations

from pharmdesk.cli.context import EXIT_OK, EXIT_REFUSED, Context
from pharmdesk.cli.secrets import sign_in_from_args


def cmd_audit(ctx: Context) -> int:
    desk = sign_in_from_args(ctx)
    try:
        params = {"backup": ctx.args.backup, "code": ctx.args.code}
        answer = desk.call("verifyAuditLog", {k: v for k, v in params.items() if v})
    finally:
        desk.close()
    ctx.emit(answer)
    if not answer.get("ok"):
        bad = answer.get("firstBadEntry")
        where = f"; first bad entry: {bad}" if bad else ""
        ctx.say(
            f"the audit log does NOT verify ({answer.get('reason')}{where}). "
            "Keep this PC as it is and contact your IT person."
        )
        return EXIT_REFUSED
    return EXIT_OK
