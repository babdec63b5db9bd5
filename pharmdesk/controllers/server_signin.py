"""Signing in at a desk of a branch server: as the person's own PostgreSQL login role.

The desk needs only the server's URL (and, once joined, the branch CA): no key slots. The
person's username and password connect as their login role (``pg_roles.login_role``) with
SCRAM-SHA-256, so the server itself decides who gets in and what they may do (GRANTs).
A wrong password, an unknown username and a disabled account (NOLOGIN) all answer the
same ``AUTH_FAILED``; the server's own SCRAM exchange costs the same for each.

Failed attempts cannot be written to the server (the person is not let in), so they are
counted at this desk as on a single PC (delay, lock-out after 5) and entered into the
audit log at the next successful sign-in here. PostgreSQL's ``auth_delay`` slows
guessing on the server itself (docs/admin/server.md).

The session keeps ``server.login_key`` as its key: it reconnects with it, quick unlock
wraps it under the PIN, and locking drops it with the engine, as the SQLCipher key.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from pharmdesk.clock import Clock
from pharmdesk.controllers.desk_session import DeskSession
from pharmdesk.controllers.session_parts import WRONG_PASSWORD, _locked_message
from pharmdesk.controllers.signin import open_session
from pharmdesk.errors import AUTH_FAILED, DATABASE_ERROR, LOCKED_OUT, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import migrate, server, upgrade
from pharmdesk.store.attempts import SignInAttempts, failure_delay
from pharmdesk.store.engine import Database
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams

NEEDS_OWNER_UPGRADE = (
    "The branch server's database must be upgraded for this version of PharmDesk, which "
    "needs the database owner's login ({where}): put its password in PGPASSWORD or "
    "~/.pgpass on this desk once and sign in again, or ask your IT contact. Nothing was "
    "changed."
)


def sign_in_server(
    files: DatabaseFiles,
    username: str,
    password: str,
    *,
    clock: Clock | None = None,
    sleep: Callable[[float], None] = time.sleep,
    kdf: KdfParams = DEFAULT_KDF,
) -> DeskSession:
    assert files.server is not None
    clock = clock or Clock()
    files.db.parent.mkdir(parents=True, exist_ok=True)  # this desk's counters
    attempts = SignInAttempts.beside(files)
    username = username.strip().lower()
    now = clock.now()
    state = attempts.state(username, now)
    if state.locked_until is not None:
        attempts.record_locked_attempt(username, now)
        raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until))
    key = server.login_key(username, password)
    try:
        db = open_as(files, key)
    except server.LoginRefused:
        state = attempts.record_failure(username, clock.now())
        sleep(failure_delay(state.failures))
        if state.locked_until is not None:
            raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until)) from None
        raise PharmDeskError(AUTH_FAILED, WRONG_PASSWORD) from None
    session = open_session(files, username, key, clock=clock, kdf=kdf, db=db)
    attempts.clear(username)
    # This desk's own checkpoint of the chain, from its first sign-in on: verify at this
    # desk requires the chain to still contain it.
    session.write_checkpoint()
    return session


def open_as(files: DatabaseFiles, key: bytes) -> Database:
    """The server database as the person of ``key``; a schema left behind by this
    PharmDesk is upgraded first with the URL's own (owner's) login: staff logins may not
    change the schema."""
    assert files.server is not None
    engine = server.open_server_engine(files.server, key)
    try:
        if migrate.needs_upgrade(engine):
            _upgrade_as_owner(files)
    except BaseException:
        engine.dispose()
        raise
    return Database(files.db, engine)


def _upgrade_as_owner(files: DatabaseFiles) -> None:
    """The schema upgraded with the owner's login from the URL (after a verified backup
    into this desk's folder for the server, ``store.upgrade``)."""
    url = files.server
    assert url is not None
    owner: Engine | None = None
    try:
        owner = server.open_server_engine(url)
        upgrade.upgrade(owner, files)
    except PharmDeskError as exc:
        if exc.code != DATABASE_ERROR:
            raise
        raise PharmDeskError(
            DATABASE_ERROR, NEEDS_OWNER_UPGRADE.format(where=server.describe(url))
        ) from None
    except DBAPIError:
        raise PharmDeskError(
            DATABASE_ERROR, NEEDS_OWNER_UPGRADE.format(where=server.describe(url))
        ) from None
    finally:
        if owner is not None:
            owner.dispose()


def password_is_right(files: DatabaseFiles, username: str, password: str) -> bool:
    """Whether the server lets ``username`` in with ``password``: changeMyPassword's
    check of the current password."""
    assert files.server is not None
    return server.login_accepted(files.server, server.login_key(username, password))
