"""The command line's options: ``build_parser`` knows every command and its flags."""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn

from pharmdesk import __version__
from pharmdesk.cli.context import EXIT_USAGE, PASSWORD_ENV, RECOVERY_KEY_ENV, USER_ENV
from pharmdesk.errors import VALIDATION_ERROR, PharmDeskError


def common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
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
    common_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        common_options(sub, top=False)
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
        help="the restore drill: restore into a temporary folder (a server's backup: a "
        "scratch database on the --db server, dropped after), verify, report what the "
        "backup holds; the database is not touched",
    )
    restore.add_argument(
        "--with-recovery-key",
        action="store_true",
        help="a branch server's backup: open it with the recovery key instead of an "
        f"admin's password (from --recovery-key-file, else ${RECOVERY_KEY_ENV}, else a prompt)",
    )
    restore.add_argument(
        "--recovery-key-file", metavar="FILE", help="with --with-recovery-key: read it from FILE"
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

    server_cmd = command(
        "server",
        "branch server: 'certs' on the server PC (a branch CA and the server's "
        "certificate), 'join' at a desk (keep the branch CA, check the secure connection), "
        "'import-file' (move a single-PC database onto an empty server database)",
    )
    server_cmd.add_argument("action", choices=["certs", "join", "import-file"])
    server_cmd.add_argument(
        "--host",
        action="append",
        metavar="NAME",
        help="certs: a name or address desks use for the server (repeat for each)",
    )
    server_cmd.add_argument(
        "--folder", metavar="DIR", help="certs: where the branch CA is kept (made once, reused)"
    )
    server_cmd.add_argument(
        "--data-dir", metavar="DIR", help="certs: the PostgreSQL data folder to set up for TLS"
    )
    server_cmd.add_argument("--branch-name", metavar="TEXT", help="certs: the branch's name")
    server_cmd.add_argument("--ca", metavar="FILE", help="join: the branch CA (branch-ca.crt)")
    server_cmd.add_argument(
        "--fingerprint", metavar="HEX", help="join: the CA fingerprint the server printed"
    )
    server_cmd.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        help="import-file: the single-PC database file (it is only read; sign in as its admin)",
    )
    return parser
