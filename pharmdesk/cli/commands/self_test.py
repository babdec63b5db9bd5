"""``pharmdesk self-test``: this installation checked end to end in a temporary folder."""

from __future__ import annotations

from pharmdesk.cli.context import EXIT_OK, EXIT_REFUSED, Context
from pharmdesk.selftest import run_self_test


def cmd_self_test(ctx: Context) -> int:
    report = run_self_test(ctx.err)
    ctx.emit(report.to_json())
    return EXIT_OK if report.ok else EXIT_REFUSED
