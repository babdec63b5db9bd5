"""``pharmdesk init`` (a new database and its first admin) and ``pharmdesk demo``."""

from __future__ import annotations

from pathlib import Path

from pharmdesk.cli.context import EXIT_OK, Context, TerminalProgress
from pharmdesk.cli.secrets import ask_password
from pharmdesk.controllers.session import create_database
from pharmdesk.demo import DEFAULT_CUSTOMERS, DEFAULT_SEED, DemoProgress, create_demo
from pharmdesk.errors import validation
from pharmdesk.paths import DatabaseFiles


def cmd_init(ctx: Context) -> int:
    files = ctx.files
    if files.exists():
        raise validation(
            f"A PharmDesk database already exists at {files.where}; nothing was changed.", "db"
        )
    admin = ctx.args.admin
    password = ask_password(ctx, admin, confirm=True)
    recovery = create_database(
        files,
        admin=admin,
        full_name=ctx.args.full_name or admin,
        password=password,
        branch_name=ctx.args.branch_name,
        clock=ctx.clock,
        kdf=ctx.kdf,
    )
    ctx.emit(
        {
            "success": True,
            "database": files.where,
            "admin": admin.strip().lower(),
            "recoveryKey": recovery,
            "notice": "Write down the recovery key now and keep it somewhere safe, away from "
            "this PC. It is shown only this once. It opens the database if every admin "
            "password is lost.",
        }
    )
    ctx.say(
        "database created. Write down the recoveryKey above now, on paper kept away from "
        "this PC: it will not be shown again."
    )
    return EXIT_OK


def cmd_demo(ctx: Context) -> int:
    path = Path(ctx.args.db).expanduser() if getattr(ctx.args, "db", None) else ctx.demo_db_path()
    show = TerminalProgress(ctx.err)

    def report(step: DemoProgress) -> None:
        show(step.stage, step.done, step.total)

    customers = DEFAULT_CUSTOMERS if ctx.args.customers is None else ctx.args.customers
    result = create_demo(
        DatabaseFiles(path),
        customers=customers,
        seed=DEFAULT_SEED if ctx.args.seed is None else ctx.args.seed,
        clock=ctx.clock,
        progress=report,
        kdf=ctx.kdf,
    )
    ctx.emit(result.to_json())
    ctx.say(
        f"demo database ready in {result.seconds:.1f} s. Sign in as '{result.username}' "
        f"with the password '{result.password}'."
    )
    return EXIT_OK
