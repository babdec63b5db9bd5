"""Who is signing in: the username, the password and the recovery key, from a flag, the
environment or a prompt that does not echo, in that order."""

from __future__ import annotations

import getpass
import os
import sys

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


def ask_password(ctx: Context, username: str, *, confirm: bool = False) -> str:
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
    if not ctx.has_terminal():
        raise validation(
            f"No password given: use --password-file FILE or ${PASSWORD_ENV}, or run the "
            "command in a terminal to be asked.",
            "password",
        )
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
    if not ctx.has_terminal():
        raise validation(
            f"No recovery key given: use --recovery-key-file FILE or ${RECOVERY_KEY_ENV}, or "
            "run the command in a terminal to be asked.",
            "recoveryKey",
        )
    return getpass.getpass("Recovery key (from its paper): ")
