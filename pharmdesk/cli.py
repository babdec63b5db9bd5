"""The command line: the GUI by default, and JSON for scripts and IT staff.

Every command prints one JSON value on stdout (``call --batch``: one per line) and says
what went wrong in one line on stderr. A person's mistake (wrong password, missing or
damaged file, bad JSON) is a PharmDesk error object and exit code 1, never a traceback;
a usage error is exit code 2 (argparse's); a bug is a generic message and exit code 3,
with no patient data. Operations run through the same controllers, checks and audit as
the GUI.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib
import json
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

import sqlcipher3.dbapi2 as sqlcipher

from pharmdesk import __version__
from pharmdesk.clock import Clock
from pharmdesk.console import prepare_streams
from pharmdesk.controllers import api, backups
from pharmdesk.controllers.session import (
    DeskSession,
    create_database,
    sign_in,
)
from pharmdesk.errors import (
    DATABASE_ERROR,
    NOT_FOUND,
    VALIDATION_ERROR,
    PharmDeskError,
    validation,
)
from pharmdesk.paths import DatabaseFiles, demo_db_path, resolve_db_files, resolve_db_path
from pharmdesk.store import backup
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_BUG = 3
PASSWORD_ENV = "PHARMDESK_PASSWORD"
USER_ENV = "PHARMDESK_USER"
RECOVERY_KEY_ENV = "PHARMDESK_RECOVERY_KEY"
NO_GUI_MESSAGE = (
    "The desktop window is not part of this build yet; use the commands: "
    "pharmdesk init | demo | call | backup | restore | audit verify | self-test "
    "(pharmdesk --help explains each)."
)
UNEXPECTED = (
    "Something went wrong inside PharmDesk and the command stopped; nothing more was "
    "changed. Try again; if it happens again, run 'pharmdesk self-test' and contact your "
    "IT person."
)


@dataclass
class Context:
    """What every command gets: the parsed options and where to write."""

    args: argparse.Namespace
    out: IO[str]
    err: IO[str]
    stdin: IO[str]
    clock: Clock
    kdf: KdfParams

    @property
    def files(self) -> DatabaseFiles:
        return resolve_db_files(self.args.db)

    def emit(self, value: Any) -> None:
        self.out.write(json.dumps(value, ensure_ascii=False) + "\n")
        self.out.flush()

    def say(self, message: str) -> None:
        self.err.write(f"pharmdesk: {message}\n")
        self.err.flush()


# -- arguments ----------------------------------------------------------------------------
def _common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On subcommands the defaults are SUPPRESS, so "pharmdesk --db X call ..." keeps X.
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=default,
        help="the database file (else $PHARMDESK_DB, else the PC's default location)",
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        default=default,
        help=f"the staff username to sign in as (else ${USER_ENV})",
    )
    parser.add_argument(
        "--password-file",
        metavar="FILE",
        default=default,
        help=f"read the password from FILE's first line (else ${PASSWORD_ENV}, else a prompt)",
    )


class JsonArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is also a JSON error object on stdout (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        error = PharmDeskError(VALIDATION_ERROR, f"{message}. See pharmdesk --help.")
        sys.stdout.write(json.dumps(error.to_json()) + "\n")
        sys.stdout.flush()
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = JsonArgumentParser(
        prog="pharmdesk",
        description="PharmDesk: the offline, encrypted customer desk for pharmacy branches. "
        "Without a command it opens the desktop window.",
    )
    parser.add_argument("--version", action="version", version=f"pharmdesk {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the window on the demo database (created on first use)",
    )
    _common_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _common_options(sub, top=False)
        return sub

    init = command("init", "create a new encrypted database with its first admin")
    init.add_argument("--admin", required=True, metavar="NAME", help="the admin's username")
    init.add_argument("--full-name", metavar="TEXT", help="the admin's full name")
    init.add_argument("--branch-name", metavar="TEXT", help="the branch's name")

    demo = command("demo", "create a demo database with realistic sample data")
    demo.add_argument("--customers", type=int, default=None, metavar="N")
    demo.add_argument("--seed", type=int, default=None, metavar="S")

    call = command("call", "run one operation (or a batch) and print the answer as JSON")
    call.add_argument("operation", nargs="?", help="an operation name, e.g. fetchCustomers")
    call.add_argument("params", nargs="?", help="its params as JSON, or - to read stdin")
    call.add_argument(
        "--batch", metavar="FILE", help='JSON Lines of {"operation", "params"} (- for stdin)'
    )

    backup_cmd = command("backup", "write an encrypted, verified backup to FILE")
    backup_cmd.add_argument("file", metavar="FILE", nargs="?")
    backup_cmd.add_argument(
        "--scheduled",
        action="store_true",
        help="the scheduled backup: into the backup folder of Settings when one is due, "
        "verified, old copies rotated (for cron / Task Scheduler)",
    )
    backup_cmd.add_argument(
        "--now", action="store_true", help="with --scheduled: even if none is due yet"
    )

    restore = command("restore", "restore a backup FILE into --db")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument(
        "--replace",
        action="store_true",
        help="move the current database aside (never deleted) and restore in its place",
    )
    restore.add_argument(
        "--check",
        action="store_true",
        help="the restore drill: restore into a temporary folder, verify, report what the "
        "backup holds; the database is not touched",
    )

    import_cmd = command(
        "import", "import customers from a CSV or Excel file: a dry-run report, then the import"
    )
    import_cmd.add_argument("file", metavar="FILE", help="a .csv or .xlsx file")
    import_cmd.add_argument(
        "--mapping",
        metavar="JSON",
        help='corrections to the guessed columns, e.g. \'{"Tel": "phone", "Ref": null}\'',
    )
    import_cmd.add_argument(
        "--dry-run", action="store_true", help="only check the file and report; write nothing"
    )
    import_cmd.add_argument("--report", metavar="CSV", help="write the full dry-run report here")
    import_cmd.add_argument("--yes", action="store_true", help="import without asking")
    import_cmd.add_argument(
        "--likely-duplicates",
        choices=["skip", "import"],
        default="skip",
        help="what to do with rows that look like a customer already on file (default skip)",
    )

    audit_cmd = command("audit", "check the audit log")
    audit_cmd.add_argument("action", choices=["verify"])
    audit_cmd.add_argument(
        "--backup",
        metavar="FILE",
        help="also check the chain against the checkpoint inside this backup file",
    )
    audit_cmd.add_argument(
        "--code",
        metavar="CODE",
        help="also check the chain against a printed checkpoint code (AUD-1234:0123abcd...)",
    )

    command("self-test", "check this installation end to end in a temporary folder")

    recover = command(
        "recover",
        "break-glass: open the database with the recovery key and give an admin a new password",
    )
    recover.add_argument(
        "--reason", required=True, metavar="TEXT", help="why (a few words; kept in the audit log)"
    )
    recover.add_argument(
        "--admin", required=True, metavar="NAME", help="the admin account that gets a new password"
    )
    recover.add_argument(
        "--create", action="store_true", help="create NAME as a new admin account instead"
    )
    recover.add_argument("--full-name", metavar="TEXT", help="the new admin's full name")
    recover.add_argument(
        "--recovery-key-file",
        metavar="FILE",
        help=f"read the recovery key from FILE (else ${RECOVERY_KEY_ENV}, else a prompt)",
    )
    return parser


# -- who is signing in --------------------------------------------------------------------
def _username(ctx: Context) -> str:
    name = getattr(ctx.args, "user", None) or os.environ.get(USER_ENV)
    if name:
        return str(name)
    if ctx.stdin.isatty():
        ctx.err.write("Username: ")
        ctx.err.flush()
        typed = ctx.stdin.readline().strip()
        if typed:
            return typed
    raise validation(f"Give the staff username with --user NAME or ${USER_ENV}.", "user")


def _has_terminal() -> bool:
    if sys.stdin.isatty():
        return True
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return False


def _password(ctx: Context, username: str, *, confirm: bool = False) -> str:
    source = getattr(ctx.args, "password_file", None)
    if source:
        try:
            with open(source, encoding="utf-8") as handle:
                return handle.readline().rstrip("\r\n")
        except OSError:
            raise validation(
                f"The password file {source} cannot be read. Check the path.", "passwordFile"
            ) from None
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    if not _has_terminal():
        raise validation(
            f"No password given: use --password-file FILE or ${PASSWORD_ENV}, or run the "
            "command in a terminal to be asked.",
            "password",
        )
    password = getpass.getpass(f"Password for {username}: ")
    if confirm and getpass.getpass("Type it again: ") != password:
        raise validation("The two passwords differ. Nothing was changed.", "password")
    return password


def _sign_in(ctx: Context) -> DeskSession:
    username = _username(ctx)
    password = _password(ctx, username)
    return sign_in(ctx.files, username, password, clock=ctx.clock, kdf=ctx.kdf)


# -- progress on the terminal ----------------------------------------------------------------
class TerminalProgress:
    """One updating line on a terminal; a line per stage and per tenth otherwise."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.stage = ""
        self.tenth = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if self.live:
            end = "\n" if done >= total else ""
            self.stream.write(f"\r{stage}: {done:,} / {total:,} ({percent}%)   {end}")
        elif stage != self.stage or percent // 10 != self.tenth:
            self.stream.write(f"{stage}: {done:,} / {total:,} ({percent}%)\n")
        self.stage, self.tenth = stage, percent // 10
        self.stream.flush()


# -- commands ----------------------------------------------------------------------------------
def cmd_init(ctx: Context) -> int:
    files = ctx.files
    if files.exists():
        raise validation(
            f"A PharmDesk database already exists at {files.where}; nothing was changed.", "db"
        )
    admin = ctx.args.admin
    password = _password(ctx, admin, confirm=True)
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
    from pharmdesk.demo import DEFAULT_CUSTOMERS, DEFAULT_SEED, DemoProgress, create_demo

    path = Path(ctx.args.db).expanduser() if getattr(ctx.args, "db", None) else demo_db_path()
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


def _read_text(ctx: Context, source: str) -> str:
    if source == "-":
        return ctx.stdin.read()
    return source


def _parse_json(text: str, what: str) -> Any:
    """``what`` names the input in the message: "The params are", "Batch line 3 is"."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise validation(
            f"{what} not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}). "
            "Check quotes and brackets.",
            "params",
        ) from None
    except RecursionError:
        raise validation(f"{what} nested too deeply to read.", "params") from None


def cmd_call(ctx: Context) -> int:
    args = ctx.args
    if args.batch is not None:
        if args.operation is not None:
            raise validation("Give either an operation or --batch FILE, not both.", "operation")
        return _call_batch(ctx, args.batch)
    if not args.operation:
        raise validation(
            "Name the operation to run, e.g. pharmdesk call fetchCustomers '{\"page\": 1}'.",
            "operation",
        )
    text = _read_text(ctx, args.params) if args.params is not None else None
    desk = _sign_in(ctx)
    try:
        params = _parse_json(text, "The params are") if text is not None and text.strip() else None
        ctx.emit(api.call(desk, args.operation, params))
    finally:
        desk.close()
    return EXIT_OK


def _batch_lines(ctx: Context, source: str) -> Iterator[str]:
    if source == "-":
        yield from ctx.stdin
        return
    try:
        handle = open(source, encoding="utf-8")  # noqa: SIM115  (closed below, streamed)
    except OSError:
        raise PharmDeskError(
            NOT_FOUND, f"The batch file {source} cannot be read. Check the path.", "batch"
        ) from None
    with handle:
        yield from handle


def _batch_request(line: str, number: int) -> tuple[str, Any]:
    request = _parse_json(line, f"Batch line {number} is")
    if not isinstance(request, dict) or not isinstance(request.get("operation"), str):
        raise validation(
            f'Batch line {number} must be an object such as {{"operation": '
            '"fetchCustomers", "params": {}}.',
            "operation",
        )
    unknown = sorted(set(request) - {"operation", "params"})
    if unknown:
        raise validation(
            f"Unknown key '{str(unknown[0])[:40]}' in batch line {number}. Accepted: "
            "operation, params.",
            str(unknown[0])[:40],
        )
    return request["operation"], request.get("params")


def _call_batch(ctx: Context, source: str) -> int:
    if source != "-" and not Path(source).is_file():
        raise PharmDeskError(
            NOT_FOUND, f"The batch file {source} cannot be read. Check the path.", "batch"
        )
    desk = _sign_in(ctx)
    failures = 0
    try:
        for number, line in enumerate(_batch_lines(ctx, source), start=1):
            if not line.strip():
                continue
            try:
                name, params = _batch_request(line, number)
                answer = api.call(desk, name, params)
            except PharmDeskError as exc:
                failures += 1
                answer = exc.to_json()
            ctx.emit(answer)  # written and flushed once the operation has committed
    finally:
        desk.close()
    if failures:
        ctx.say(f"{failures} line(s) of the batch failed; see their answers.")
        return EXIT_REFUSED
    return EXIT_OK


# The backup machinery lives in controllers/backups.py (the GUI uses it too); these names
# stay importable from here for scripts and tests.
chain_check = backups.chain_check
run_backup = backups.run_backup
run_restore = backups.run_restore


def cmd_backup(ctx: Context) -> int:
    if ctx.args.scheduled:
        if ctx.args.file:
            raise validation(
                "--scheduled writes into the backup folder set in Settings; leave out FILE.",
                "file",
            )
        desk = _sign_in(ctx)
        try:
            outcome = backups.run_scheduled_for(desk, force=ctx.args.now)
        finally:
            desk.close()
        ctx.emit(outcome.to_json())
        ctx.say(outcome.message)
        return EXIT_REFUSED if outcome.status in ("failed", "off") else EXIT_OK
    if not ctx.args.file:
        raise validation("Give the backup FILE to write, or --scheduled.", "file")
    target = Path(ctx.args.file).expanduser().absolute()
    if target.exists():
        raise validation(
            f"{target} already exists; a backup never overwrites a file. Choose a new name.",
            "file",
        )
    desk = _sign_in(ctx)
    try:
        ctx.emit(run_backup(desk, target, TerminalProgress(ctx.err)))
    finally:
        desk.close()
    ctx.say(f"backup written and verified: {target}")
    return EXIT_OK


def cmd_restore(ctx: Context) -> int:
    files = ctx.files
    source = Path(ctx.args.file).expanduser().absolute()
    if ctx.args.check and ctx.args.replace:
        raise validation("--check never touches a database; leave out --replace.", "replace")
    if not ctx.args.check and files.server is not None:
        raise validation(
            "A backup file restores into a single-PC database only: give --db a file path. "
            "A branch server's database is restored on the server with pg_restore.",
            "db",
        )
    if not ctx.args.check and backup.target_in_use(files) and not ctx.args.replace:
        raise validation(
            f"A database already exists at {files.db}; nothing was changed. Restore into "
            "another --db, or add --replace to move the current one aside first.",
            "db",
        )
    if not source.is_file():
        raise PharmDeskError(
            NOT_FOUND, f"No backup file at {source}. Check the path and the drive.", "file"
        )
    username = _username(ctx)
    password = _password(ctx, username)
    if ctx.args.check:
        report = backups.check_backup(
            source, username, password, kdf=ctx.kdf, progress=TerminalProgress(ctx.err)
        )
        ctx.emit(report)
        ctx.say(
            f"the backup verifies: {report['customers']} customers, last audit entry "
            f"{report['lastAuditEntryAt']}, schema {report['schemaRevision']}; nothing was "
            "restored."
        )
        return EXIT_OK
    answer = run_restore(
        files,
        source,
        username,
        password,
        replace=ctx.args.replace,
        clock=ctx.clock,
        kdf=ctx.kdf,
        progress=TerminalProgress(ctx.err),
    )
    ctx.emit(answer)
    ctx.say(f"restored into {files.db}")
    return EXIT_OK


def cmd_audit(ctx: Context) -> int:
    desk = _sign_in(ctx)
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


MAX_PROBLEMS_SHOWN = 1000


def _confirm_import(ctx: Context, count: int) -> bool | None:
    """Yes, no, or None when nobody can be asked (no terminal and no --yes)."""
    if ctx.args.yes:
        return True
    if not ctx.stdin.isatty():
        return None
    ctx.err.write(f"Import {count:,} customer(s) now? [y/N] ")
    ctx.err.flush()
    return ctx.stdin.readline().strip().casefold() in ("y", "yes")


def cmd_import(ctx: Context) -> int:
    """Dry run (the report), then, once confirmed, the import in batches."""
    from pharmdesk.importing import (
        DryRun,
        ImportRun,
        apply_overrides,
        branch_settings,
        check_mapping,
        guess_mapping,
        new_import_id,
        open_table,
        write_report,
    )

    args = ctx.args
    table = open_table(args.file)
    mapping = guess_mapping(table.headers)
    if args.mapping:
        overrides = _parse_json(_read_text(ctx, args.mapping), "The mapping is")
        if not isinstance(overrides, dict):
            raise validation(
                'The mapping must be an object such as {"Tel": "phone", "Ref": null}.', "mapping"
            )
        mapping = apply_overrides(table.headers, mapping, overrides)
    check_mapping(table.headers, mapping)
    desk = _sign_in(ctx)
    try:
        settings = branch_settings(desk.call, mapping, desk.clock.local_date(desk.clock.now()))
        import_id = new_import_id(desk.clock.now())
        estimate = table.estimated_rows()
        show = TerminalProgress(ctx.err)
        dry_run = DryRun(desk.call, table, settings, import_id=import_id)
        report = dry_run.run(lambda done: show("Checking rows", done, max(done, estimate)))
        show("Checking rows", report.rows, report.rows)
        for problem in report.problems:
            problem.import_anyway = problem.outcome == "likelyDuplicate" and (
                args.likely_duplicates == "import"
            )
        if args.report:
            try:
                write_report(Path(args.report).expanduser(), report.problems)
            except OSError:
                raise validation(
                    f"The report cannot be written to {args.report}. Check the folder exists "
                    "and is writable; nothing was imported.",
                    "report",
                ) from None
        counts = report.counts()
        ctx.say(
            f"{table.description}. {counts['rows']:,} rows: {counts['willCreate']:,} new, "
            f"{counts['duplicates']:,} already on file or repeated (skipped), "
            f"{counts['likelyDuplicates']:,} likely duplicates "
            f"({args.likely_duplicates}), {counts['errors']:,} with errors (skipped)."
        )
        answer: dict[str, Any] = {
            "success": True,
            "importId": import_id,
            "file": str(table.path),
            "read": table.description,
            "columns": {
                h or f"column {i + 1}": f
                for i, (h, f) in enumerate(zip(table.headers, mapping, strict=True))
            },
            "dryRun": counts,
            "problems": [p.to_json() for p in report.problems[:MAX_PROBLEMS_SHOWN]],
            "report": str(Path(args.report).expanduser()) if args.report else None,
            "imported": None,
        }
        to_write = counts["willCreate"] + (
            counts["likelyDuplicates"] if args.likely_duplicates == "import" else 0
        )
        confirmed = _confirm_import(ctx, to_write) if to_write and not args.dry_run else False
        if confirmed:
            run = ImportRun(
                desk.call, table, settings, import_id=import_id, skip_rows=report.skipped_rows()
            )
            result = run.run(lambda done: show("Importing", done, max(done, report.rows)))
            answer["imported"] = result.to_json()
            ctx.say(
                f"imported {result.counts.created:,} customer(s) (import {import_id}); "
                "running the same file again adds only rows not yet in."
            )
        elif confirmed is None:
            ctx.emit(answer)
            ctx.say(
                "nothing was imported: add --yes to import without being asked (or --dry-run "
                "to only check the file)."
            )
            return EXIT_REFUSED
        elif not args.dry_run and to_write:
            ctx.say("nothing was imported.")
        ctx.emit(answer)
    finally:
        desk.close()
    return EXIT_OK


def cmd_self_test(ctx: Context) -> int:
    from pharmdesk.selftest import run_self_test

    report = run_self_test(ctx.err)
    ctx.emit(report.to_json())
    return EXIT_OK if report.ok else EXIT_REFUSED


GUI_ON_SERVER = (
    "The window does not open on a branch server yet: this version works with a server "
    "through 'pharmdesk call' only. Start the window without --db (or PHARMDESK_DB) to "
    "use this PC's own database."
)


def open_gui(ctx: Context) -> int:
    """The desktop window, imported only when wanted (the CLI needs no Qt)."""
    demo = bool(ctx.args.demo)
    if demo:
        path = Path(ctx.args.db).expanduser() if ctx.args.db else demo_db_path()
    elif ctx.files.server is not None:
        ctx.err.write(GUI_ON_SERVER + "\n")
        return EXIT_USAGE
    else:
        path = resolve_db_path(ctx.args.db)
    try:
        module = importlib.import_module("pharmdesk.ui.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("pharmdesk.ui", "pharmdesk.ui.app"):
            raise
        ctx.err.write(NO_GUI_MESSAGE + "\n")
        return EXIT_USAGE
    run_gui: Callable[[Path, bool], int] | None = getattr(module, "run_gui", None)
    if run_gui is None:
        ctx.err.write(NO_GUI_MESSAGE + "\n")
        return EXIT_USAGE
    return int(run_gui(path, demo))


def _recovery_key(ctx: Context) -> str:
    """The recovery key: a file, the environment, or a prompt that does not echo."""
    source = getattr(ctx.args, "recovery_key_file", None)
    if source:
        try:
            with open(source, encoding="utf-8") as handle:
                return handle.readline().strip()
        except OSError:
            raise validation(
                f"The recovery key file {source} cannot be read. Check the path.", "recoveryKey"
            ) from None
    env = os.environ.get(RECOVERY_KEY_ENV)
    if env is not None:
        return env
    if not _has_terminal():
        raise validation(
            f"No recovery key given: use --recovery-key-file FILE or ${RECOVERY_KEY_ENV}, or "
            "run the command in a terminal to be asked.",
            "recoveryKey",
        )
    return getpass.getpass("Recovery key (from its paper): ")


def cmd_recover(ctx: Context) -> int:
    """Break-glass (controllers/recovery.py): audited ``emergencyAccess`` with the reason,
    then the admin's new password (asked twice); nothing else is opened."""
    from pharmdesk.controllers.recovery import check_reason, recovery_sign_in

    check_reason(ctx.args.reason)  # before any secret is asked for
    recovery = recovery_sign_in(
        ctx.files, _recovery_key(ctx), ctx.args.reason, clock=ctx.clock, kdf=ctx.kdf
    )
    try:
        password = _password(ctx, ctx.args.admin, confirm=True)
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


COMMANDS: dict[str, Callable[[Context], int]] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "call": cmd_call,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "audit": cmd_audit,
    "import": cmd_import,
    "self-test": cmd_self_test,
    "recover": cmd_recover,
}


def quiet_sqlcipher() -> None:
    """SQLCipher logs decryption failures ("ERROR CORE ...") straight to stderr; on a
    damaged file the person would see those lines around the one message meant for them.
    The level is process-wide and set through any connection."""
    with contextlib.closing(sqlcipher.connect(":memory:")) as conn:
        conn.execute("PRAGMA cipher_log_level = NONE")


def main(
    argv: list[str] | None = None,
    *,
    clock: Clock | None = None,
    kdf: KdfParams = DEFAULT_KDF,
) -> int:
    """Run one command; returns the process exit code."""
    prepare_streams()
    multiprocessing.freeze_support()  # the frozen app's demo workers start here
    quiet_sqlcipher()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error (already reported)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    ctx = Context(args, sys.stdout, sys.stderr, sys.stdin, clock or Clock(), kdf)
    try:
        if args.command is None:
            return open_gui(ctx)
        return COMMANDS[args.command](ctx)
    except PharmDeskError as exc:
        ctx.emit(exc.to_json())
        if exc.code == VALIDATION_ERROR:
            # A validation message may quote what was typed (a mistyped phone or email),
            # and stderr ends up in automation logs: only the code and field there; the
            # JSON answer on stdout has the message.
            where = f" ({exc.field})" if exc.field else ""
            ctx.say(f"refused: {exc.code}{where}; the message is in the JSON answer above.")
        else:
            ctx.say(exc.message)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        ctx.say("stopped.")
        return 130
    except Exception as exc:  # a bug: say so without data or a trace
        ctx.emit(PharmDeskError(DATABASE_ERROR, UNEXPECTED).to_json())
        ctx.say(f"{UNEXPECTED} (internal error: {type(exc).__name__})")
        return EXIT_BUG
