"""Who is signing in: the username, the password and the recovery key, from a flag, the
environment or a prompt that does not echo, in that order."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from pharmdesk.cli.context import PASSWORD_ENV, RECOVERY_KEY_ENV, USER_ENV, Context
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import validation


def ask_username(ctx: Context) -> str:
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


def has_terminal() -> bool:
    if sys.stdin.isatty():
        return True
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Secret:
    """Where a secret may come from: its ``--NAME-file`` option, then its environment
    variable, then a prompt (only on a terminal)."""

    name: str
    option: str  # the argparse dest of the file option
    env: str
    file_field: str
    field: str
    first_line: Callable[[str], str]


PASSWORD = Secret(
    "password",
    "password_file",
    PASSWORD_ENV,
    "passwordFile",
    "password",
    lambda line: line.rstrip("\r\n"),  # a password may end in spaces
)
RECOVERY_KEY = Secret(
    "recovery key", "recovery_key_file", RECOVERY_KEY_ENV, "recoveryKey", "recoveryKey", str.strip
)


def given(ctx: Context, secret: Secret) -> str | None:
    """The secret from its file or the environment; None when it is to be asked for."""
    source = getattr(ctx.args, secret.option, None)
    if source:
        try:
            with open(source, encoding="utf-8") as handle:
                return secret.first_line(handle.readline())
        except OSError:
            raise validation(
                f"The {secret.name} file {source} cannot be read. Check the path.",
                secret.file_field,
            ) from None
    env = os.environ.get(secret.env)
    if env is not None:
        return env
    if not ctx.has_terminal():
        flag = "--" + secret.option.replace("_", "-")
        raise validation(
            f"No {secret.name} given: use {flag} FILE or ${secret.env}, or run the command "
            "in a terminal to be asked.",
            secret.field,
        )
    return None


def ask_password(ctx: Context, username: str, *, confirm: bool = False) -> str:
    known = given(ctx, PASSWORD)
    if known is not None:
        return known
    password = getpass.getpass(f"Password for {username}: ")
    if confirm and getpass.getpass("Type it again: ") != password:
        raise validation("The two passwords differ. Nothing was changed.", "password")
    return password


def sign_in_from_args(ctx: Context) -> DeskSession:
    username = ask_username(ctx)
    password = ask_password(ctx, username)
    return sign_in(ctx.files, username, password, clock=ctx.clock, kdf=ctx.kdf)


def ask_recovery_key(ctx: Context) -> str:
    """The recovery key: a file, the environment, or a prompt that does not echo."""
    known = given(ctx, RECOVERY_KEY)
    return known if known is not None else getpass.getpass("Recovery key (from its paper): ")
