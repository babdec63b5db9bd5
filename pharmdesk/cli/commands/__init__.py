"""Every ``pharmdesk COMMAND``, by the name typed on the command line."""

from __future__ import annotations

from collections.abc import Callable

from pharmdesk.cli.commands.audit import cmd_audit
from pharmdesk.cli.commands.backup import cmd_backup, cmd_restore
from pharmdesk.cli.commands.call import cmd_call
from pharmdesk.cli.commands.create import cmd_demo, cmd_init
from pharmdesk.cli.commands.import_file import cmd_import
from pharmdesk.cli.commands.recover import cmd_recover
from pharmdesk.cli.commands.self_test import cmd_self_test
from pharmdesk.cli.commands.server import cmd_server
from pharmdesk.cli.context import Context

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
    "server": cmd_server,
}
