"""Signing in at a desk of a branch server: as the person's own PostgreSQL login role.

The desk needs only the server's URL (and, once joined, the branch CA): no key slots. The
person's username and password connect as their login role (``pg_roles.login_role``) with
SCRAM-SHA-256, so the server itself decides who gets in and what they may do (GRANTs).
A wrong password, an unknown username and a disabled account (NOLOGIN) all answer the
same ``AUTH_FAILED``; the server's own SCRAM exchange costs the same for each.

Failed attempts are counted by the server, for every desk at once: the person is not let
in, so the desk reports the refusal through the database's sign-in gate login
(``store/pg_signin_sql``), whose functions count it, lock the account after 5 failures
for 15 minutes as on a single PC, and enter each failure and lock-out into the audit
log at once. A locked account is refused before its password is tried, at every desk,
also at the desk that signs in through key slots and by a quick-unlock PIN
(``locked_on_server``; those two still count their own failures in the desk's file).
PostgreSQL's ``auth_delay`` slows guessing on the server itself (docs/admin/branch-server.md).

The desk's own counter file still counts in two cases: a server database from before the
gate (schema 0009 or older, until its first sign-in upgrades it, or a gate the server
refuses), and a wrong current password in changeMyPassword, which is checked inside the
operation's transaction (the gate's functions wait for that transaction's lock). Its
lock-outs hold at this desk, and its events enter the log at the next sign-in here.

The session keeps ``server.login_key`` as its key: it reconnects with it, quick unlock
wraps it under the PIN, and locking drops it with the engine, as the SQLCipher key.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from pharmdesk.clock import Clock
from pharmdesk.controllers.desk_session import DeskSession
from pharmdesk.controllers.session_parts import WRONG_PASSWORD, _locked_message
from pharmdesk.controllers.signin import open_session
from pharmdesk.errors import AUTH_FAILED, DATABASE_ERROR, LOCKED_OUT, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import migrate, pg_roles, pg_signin_sql, server, upgrade
from pharmdesk.store.attempts import AttemptState, SignInAttempts, failure_delay
from pharmdesk.store.engine import Database
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams

log = logging.getLogger(__name__)
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
    counters = _Counters(files)
    username = username.strip().lower()
    locked_until = counters.locked_until(username, clock.now())
    if locked_until is not None:
        raise PharmDeskError(LOCKED_OUT, _locked_message(locked_until))
    key = server.login_key(username, password)
    try:
        db = open_as(files, key)
    except server.LoginRefused:
        state = counters.failed(username, clock.now())
        sleep(failure_delay(state.failures))
        if state.locked_until is not None:
            raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until)) from None
        raise PharmDeskError(AUTH_FAILED, WRONG_PASSWORD) from None
    session = open_session(files, username, key, clock=clock, kdf=kdf, db=db)
    if counters.failures_on_server:  # a success starts the count again
        try:
            with session.db.transaction() as tx:
                clear_on_server(tx, username)
        except BaseException:
            session.close()
            raise
    counters.desk.clear(username)
    # This desk's own checkpoint of the chain, from its first sign-in on: verify at this
    # desk requires the chain to still contain it.
    session.write_checkpoint()
    return session


def locked_on_server(files: DatabaseFiles, username: str) -> dt.datetime | None:
    """Until when the server has ``username`` locked out (None: not locked, or no gate
    yet). For the other ways in at a desk of a branch server (its key slots, a quick
    unlock PIN): a lock-out holds at every desk, whichever way."""
    try:
        row = _ask_gate(files, "pharmdesk_sign_in_check", username.strip().lower())
    except _GateClosed:
        return None
    return None if row is None or row[0] is None else _aware(row[0])


class _GateClosed(Exception):
    """The server has no sign-in gate for this database yet, or refuses it."""


@dataclass
class _Counters:
    """The server's counters through the gate; this desk's file when there is no gate
    (and for the lock-outs only this desk's file knows of: changeMyPassword's)."""

    files: DatabaseFiles

    def __post_init__(self) -> None:
        self.desk = SignInAttempts.beside(self.files)
        self.gate_open = True
        self.failures_on_server = 0  # as the check found them

    def _ask(self, function: str, username: str) -> tuple[Any, ...] | None:
        """The gate function's row; None once the gate is found closed (from then on
        this desk's file counts)."""
        if not self.gate_open:
            return None
        try:
            row = _ask_gate(self.files, function, username)
        except _GateClosed:
            self.gate_open = False
            return None
        assert row is not None
        return row

    def locked_until(self, username: str, now: dt.datetime) -> dt.datetime | None:
        row = self._ask("pharmdesk_sign_in_check", username)
        if row is not None:
            self.failures_on_server = int(row[1])
            if row[0] is not None:
                return _aware(row[0])
        state = self.desk.state(username, now)
        if state.locked_until is not None:
            self.desk.record_locked_attempt(username, now)
        return state.locked_until

    def failed(self, username: str, now: dt.datetime) -> AttemptState:
        row = self._ask("pharmdesk_sign_in_failed", username)
        if row is not None:
            return AttemptState(int(row[0]), None if row[1] is None else _aware(row[1]))
        return self.desk.record_failure(username, now)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC)


# SQLSTATEs of a database whose gate functions are not there yet (made before schema
# 0010) or not the gate's to run: the desk counts in its own file instead. So it does
# while the gate has all the connections it may have (someone holding them open must
# not keep the branch from signing in).
_NO_GATE_STATES = ("42883", "42501", "42P01")


def _ask_gate(files: DatabaseFiles, function: str, username: str) -> tuple[Any, ...] | None:
    """One call of a gate function, on a connection of its own made for it. The server's
    clock decides about lock-outs (``store/pg_signin_sql``), not this desk's."""
    url = files.server
    assert url is not None
    target = make_url(server.sqlalchemy_url(server.connection_url(url)))
    database = str(target.database)
    engine = create_engine(
        target.set(username=pg_roles.gate_role(database), password=None),
        poolclass=NullPool,
        hide_parameters=True,
        connect_args={
            "connect_timeout": server.CONNECT_TIMEOUT_SECONDS,
            "application_name": "PharmDesk sign-in",
            "options": f"-c lock_timeout={server.LOCK_TIMEOUT} -c TimeZone=UTC",
            "password": pg_signin_sql.gate_password(database),
        },
    )
    name = username[: pg_signin_sql.USERNAME_CHARS].replace("\x00", "\ufffd")
    try:
        with engine.begin() as conn:
            row = conn.execute(
                text(f"SELECT * FROM {function}(:username)"), {"username": name}
            ).first()
            return None if row is None else tuple(row)
    except DBAPIError as exc:
        state = getattr(getattr(exc, "orig", None), "sqlstate", None)
        busy = "too many connections for role" in str(getattr(exc, "orig", exc)).lower()
        if server.is_login_refusal(exc) or state in _NO_GATE_STATES or busy:
            log.warning("no sign-in gate on the server; counting failures at this desk")
            raise _GateClosed from None
        raise server.connection_error(exc, url) from None
    finally:
        engine.dispose()


def clear_on_server(tx: Session, username: str) -> bool:
    """Forget ``username``'s failed sign-ins on the server (their own successful sign-in,
    or an admin's unlockStaff); whether the account was locked."""
    return bool(
        tx.execute(
            text("SELECT pharmdesk_sign_in_clear(:username)"), {"username": username}
        ).scalar_one()
    )


def locked_out_on_server(tx: Session) -> set[str]:
    """The usernames the server has locked out now, by its clock (listStaff; admins
    read the table)."""
    query = f"SELECT username FROM sign_in_counter WHERE locked_until > {pg_signin_sql.SERVER_NOW}"
    return {str(name) for name in tx.execute(text(query)).scalars()}


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
