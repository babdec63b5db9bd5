"""Revocation: changing the database key so that a removed keyslot opens nothing.

Disabling a person and using the recovery key change the database key (API.md v3,
"Revocation and sessions"). The steps and their crash safety are described in
``store/vault.py`` (the journal) and ``store/rekey.py`` (the re-encryption). Here they are
put together:

- ``begin`` (inside the operation's transaction, as its last write): the person's slots
  go and the new key is sealed to every remaining slot, in one atomic write of the vault;
- ``complete`` (after the commit, or at a later sign-in): under the vault's lock, the new
  key is sealed to any slot added since, the database is re-encrypted, and the new key
  becomes every slot's current key;
- ``open_live`` (every sign-in): under the same lock, the slot's keys are read and the
  one that opens the database is used; a rekey that was interrupted after the
  re-encryption is finished on the spot.
So after a kill at any step exactly one key opens the database and every slot holds it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from pharmdesk.errors import AUTH_FAILED, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import migrate, upgrade
from pharmdesk.store.engine import (
    BUSY_TIMEOUT_SECONDS,
    KEY_BYTES,
    Database,
    DatabaseOpenError,
    open_store,
)
from pharmdesk.store.rekey import Progress, rekey_database
from pharmdesk.store.vault import Opened, Vault

log = logging.getLogger(__name__)

# How long a disable (or recovery sign-in) waits for other PharmDesk processes to close
# the database before leaving the rekey pending; a sign-in only takes a free database.
REKEY_WAIT = BUSY_TIMEOUT_SECONDS
SIGN_IN_WAIT = 0.5
SLOT_GONE = "Wrong username or password. Check both and try again."


def _no_progress(_done: int, _total: int) -> None:
    """Nobody is watching."""


def open_database(files: DatabaseFiles, key: bytes) -> Database:
    """Open an unlocked database and bring its schema up to date."""
    engine = open_store(files, key)
    try:
        if migrate.needs_upgrade(engine):
            upgrade.upgrade(engine, files)
    except BaseException:
        engine.dispose()
        raise
    return Database(files.db, engine)


@dataclass
class LiveKeys:
    """The open database and the keys a signed-in slot holds for it."""

    db: Database
    key: bytes
    next_key: bytes | None  # the key of a rekey still pending, when this slot holds it


def open_live(files: DatabaseFiles, vault: Vault, opened: Opened) -> LiveKeys:
    """Open the database with whichever of the slot's keys works now.

    Held under the vault's lock, so no rekey runs between reading the keys and opening.
    """
    with vault.lock():
        current, upcoming = vault.keys(opened)
        if current is None and upcoming is None:
            raise PharmDeskError(AUTH_FAILED, SLOT_GONE)  # revoked since it was opened
        if current is not None:
            try:
                return LiveKeys(open_database(files, current), current, upcoming)
            except DatabaseOpenError:
                if upcoming is None:
                    raise
        assert upcoming is not None
        # Re-encrypted under the new key, killed before the vault said so: finish it.
        db = open_database(files, upcoming)
        try:
            vault.finish_rekey(upcoming)
        except BaseException:
            db.close()
            raise
        return LiveKeys(db, upcoming, None)


def begin(vault: Vault, reason: str, revoke: str | None = None) -> bytes:
    """Step A: drop ``revoke``'s slots and seal a new key to the rest; returns the key."""
    new_key = os.urandom(KEY_BYTES)
    vault.begin_rekey(new_key, reason, revoke)
    return new_key


@dataclass
class Outcome:
    rekeyed: bool
    live: LiveKeys
    need_new_password: list[str]


def complete(
    files: DatabaseFiles,
    vault: Vault,
    live: LiveKeys,
    *,
    wait: float = REKEY_WAIT,
    progress: Progress = _no_progress,
) -> Outcome:
    """Steps B and C when the database is free within ``wait`` seconds; else it stays
    pending. ``live.db`` must be outside any transaction."""
    new_key = live.next_key
    if new_key is None:
        return Outcome(False, live, [])
    with vault.lock():
        if vault.pending_rekey() is None:
            return Outcome(True, LiveKeys(live.db, live.key, None), [])
        vault.seal_next_to_all(new_key)
        dropped: list[str] = []
        failures: list[BaseException] = []

        def step_c() -> None:
            try:
                dropped.extend(vault.finish_rekey(new_key))
            except (OSError, PharmDeskError) as exc:
                # The database is re-encrypted; the journal stays and the next sign-in
                # finishes step C (every slot holds the new key as ``next``).
                failures.append(exc)

        done = rekey_database(live.db, new_key, wait=wait, progress=progress, after_rekey=step_c)
        if not done:
            return Outcome(False, live, [])
        live.db.close()
        reopened = LiveKeys(open_database(files, new_key), new_key, None)
    if failures:
        log.warning("database rekeyed; key file not yet updated: %s", type(failures[0]).__name__)
    return Outcome(True, reopened, dropped)
