"""Keyslots: each staff password, and the recovery key, unlocks the one database key.

The database key is 32 random bytes made at ``init`` and changed when someone's access
is revoked; nobody ever types it. Each slot holds it sealed to the slot's own key pair,
whose private half is wrapped under an Argon2id-derived key (see ``keyslots``). The vault
file sits beside the database and is always replaced atomically, whole.

The file may hold more than database-key slots (other kinds of wrapped secrets, other
top-level sections): every write keeps what it does not itself change, and a rekey only
touches the slots of ``KEY_KINDS``.

Rekey journal. Changing the key is three steps that cannot be one write: (A) the new key
is sealed to every slot beside the current one (``next``) and the file notes a pending
rekey; (B) SQLCipher re-encrypts the database; (C) ``next`` becomes the current key and
the note goes. A kill between steps leaves every slot holding both keys, and whoever
signs in next opens the database with whichever works and finishes the job (see
``controllers/revocation.py``). When step B cannot run yet (another PharmDesk process
has the database open) the note stays and the next sign-in that finds the database free
does it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.store.files import read_json, write_json_atomic
from pharmdesk.store.keyslots import (
    DEFAULT_KDF,
    KEY_KINDS,
    RECOVERY,
    STAFF,
    KdfParams,
    Opened,
    derive,
    is_key_slot,
    is_legacy,
    make_slot,
    new_recovery_key,
    normalize_password,
    normalize_recovery_key,
    open_slot,
    open_slot_secret,
    seal,
)
from pharmdesk.store.locking import lock_path

__all__ = [
    "DEFAULT_KDF",
    "KEY_KINDS",
    "RECOVERY",
    "STAFF",
    "KdfParams",
    "Opened",
    "Vault",
    "VaultError",
    "derive",
    "make_slot",
    "new_recovery_key",
    "normalize_password",
    "normalize_recovery_key",
    "open_slot",
]

VAULT_FORMAT = "pharmdesk-vault"
VAULT_VERSION = 2  # 2: sealed slots and the rekey journal; version 1 files still open
READABLE_VERSIONS = (1, 2)
LOCK_TIMEOUT = 30.0
KEY_CHANGE_IN_PROGRESS = (
    "PharmDesk is changing the database key on this PC (someone's access was revoked). "
    "Wait a minute and try again."
)


class VaultError(PharmDeskError):
    def __init__(self, message: str) -> None:
        super().__init__(DATABASE_ERROR, message)


class Vault:
    """The keyslot file of one database."""

    def __init__(self, path: Path, kdf: KdfParams = DEFAULT_KDF) -> None:
        self.path = path
        self.kdf = kdf
        # Read-modify-write of the slots happens under a file lock, so that two
        # processes (the window and a command) changing staff at once both count. A
        # rekey holds it from its first step to its last.
        self._lock = FileLock(str(lock_path(path)), timeout=LOCK_TIMEOUT, mode=0o600)

    @contextlib.contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the key file's lock (re-entrant in this process)."""
        try:
            self._lock.acquire(timeout=timeout)
        except Timeout:
            raise VaultError(KEY_CHANGE_IN_PROGRESS) from None
        try:
            yield
        finally:
            self._lock.release()

    # -- reading -------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def _load(self) -> dict:
        if not self.path.exists():
            raise VaultError(
                "The key file beside the database is missing, so the database cannot be "
                "unlocked. Restore the database and its key file from a backup."
            )
        try:
            data = read_json(self.path)
        except (OSError, ValueError) as exc:
            raise VaultError(
                "The key file beside the database is damaged. Restore it from a backup."
            ) from exc
        if not isinstance(data, dict) or data.get("format") != VAULT_FORMAT:
            raise VaultError("The key file beside the database is not a PharmDesk key file.")
        if data.get("version") not in READABLE_VERSIONS:
            raise VaultError("The key file was written by a newer PharmDesk. Install that version.")
        return data

    def slots(self) -> list[dict]:
        return list(self._load()["slots"])

    def key_slots(self) -> list[dict]:
        return [s for s in self.slots() if is_key_slot(s)]

    def staff_usernames(self) -> list[str]:
        return [s["owner"] for s in self.slots() if s["kind"] == STAFF]

    def has_staff_slot(self, username: str) -> bool:
        return username in self.staff_usernames()

    def _find(self, kind: str, owner: str) -> dict | None:
        for slot in self.slots():
            if slot["kind"] == kind and slot["owner"] == owner:
                return slot
        return None

    def pending_rekey(self) -> dict[str, Any] | None:
        """The journal of a rekey not yet finished, or None."""
        journal = self._load().get("rekey")
        return dict(journal) if isinstance(journal, dict) else None

    def open_staff(self, username: str, password: str) -> Opened | None:
        """The person's opened slot, or None. An unknown user costs the same derivation."""
        slots = self.slots()
        slot = next((s for s in slots if s["kind"] == STAFF and s["owner"] == username), None)
        secret = normalize_password(password)
        if slot is None:
            derive(secret, os.urandom(16), self._decoy_cost(slots))
            return None
        return open_slot_secret(slot, secret, derive)

    def has_recovery(self) -> bool:
        """Whether a recovery key opens the database (an upgrade can drop an old one)."""
        return self._find(RECOVERY, RECOVERY) is not None

    def open_recovery(self, recovery_key: str) -> Opened | None:
        slot = self._find(RECOVERY, RECOVERY)
        secret = normalize_recovery_key(recovery_key).encode("ascii")
        if slot is None:
            derive(secret, os.urandom(16), self.kdf)
            return None
        return open_slot_secret(slot, secret, derive)

    def keys(self, opened: Opened) -> tuple[bytes | None, bytes | None]:
        """The (current, next) database keys an opened slot holds in the file as it is now.
        (None, None) when the slot is gone (revoked since it was opened)."""
        slot = self._find(opened.kind, opened.owner)
        if slot is None:
            return None, None
        return opened.keys(slot)

    def unlock_staff(self, username: str, password: str) -> bytes | None:
        """The current database key, or None. An unknown user costs the same derivation."""
        opened = self.open_staff(username, password)
        return None if opened is None else self.keys(opened)[0]

    def _decoy_cost(self, slots: list[dict]) -> KdfParams:
        """The cost a real staff slot here has, so an unknown name takes as long to refuse
        as a wrong password (slots keep their own cost when the default changes)."""
        for slot in slots:
            if slot["kind"] == STAFF:
                return KdfParams.from_json(slot["kdf"])
        return self.kdf

    def unlock_recovery(self, recovery_key: str) -> bytes | None:
        opened = self.open_recovery(recovery_key)
        return None if opened is None else self.keys(opened)[0]

    # -- writing (always whole-file, atomic, keeping what it does not change) --------------
    def _write(self, data: dict) -> None:
        write_json_atomic(self.path, {**data, "format": VAULT_FORMAT, "version": VAULT_VERSION})

    def _update(self, change: Callable[[dict], Any]) -> Any:
        with self.lock():
            data = self._load()
            result = change(data)
            self._write(data)
            return result

    def create(self, db_key: bytes, admin: str, password: str) -> str:
        """Write a new vault with the first admin's slot and a recovery slot.

        Returns the recovery key, to be shown once.
        """
        if self.path.exists():
            raise VaultError("A key file already exists here; nothing was changed.")
        recovery = new_recovery_key()
        self._write(
            {
                "slots": [
                    make_slot(STAFF, admin, normalize_password(password), db_key, self.kdf, derive),
                    self._recovery_slot(recovery, db_key),
                ]
            }
        )
        return recovery

    def _recovery_slot(self, recovery_key: str, db_key: bytes) -> dict:
        secret = normalize_recovery_key(recovery_key).encode("ascii")
        return make_slot(RECOVERY, RECOVERY, secret, db_key, self.kdf, derive)

    def _put_slot(self, slot: dict, next_key: bytes | None) -> None:
        def change(data: dict) -> None:
            kept = [
                s
                for s in data["slots"]
                if not (s["kind"] == slot["kind"] and s["owner"] == slot["owner"])
            ]
            if "rekey" in data and next_key is not None:
                slot["next"] = seal(slot, next_key)
            data["slots"] = [*kept, slot]

        self._update(change)

    def set_staff_password(
        self, username: str, password: str, db_key: bytes, next_key: bytes | None = None
    ) -> None:
        """Add or replace a staff slot in one atomic write (old or new works, never neither).
        ``next_key``: the key of a pending rekey, when the caller knows it."""
        slot = make_slot(STAFF, username, normalize_password(password), db_key, self.kdf, derive)
        self._put_slot(slot, next_key)

    def remove_staff(self, username: str) -> None:
        """Remove every slot this person owns (their database-key slot and any other)."""

        def change(data: dict) -> None:
            data["slots"] = [s for s in data["slots"] if s["owner"] != username]

        self._update(change)

    def replace_recovery(self, db_key: bytes, next_key: bytes | None = None) -> str:
        recovery = new_recovery_key()
        self._put_slot(self._recovery_slot(recovery, db_key), next_key)
        return recovery

    def set_recovery(self, recovery_key: str, db_key: bytes) -> None:
        """Rewrite the recovery slot for the same recovery key (an old slot's new form)."""
        self._put_slot(self._recovery_slot(recovery_key, db_key), None)

    # -- the rekey journal ----------------------------------------------------------------
    def begin_rekey(self, new_key: bytes, reason: str, revoke: str | None = None) -> None:
        """Step A: in one atomic write, remove ``revoke``'s slots (if any), seal the new key
        to every remaining database-key slot as ``next`` and note the pending rekey."""

        def change(data: dict) -> None:
            if revoke is not None:
                data["slots"] = [s for s in data["slots"] if s["owner"] != revoke]
            for slot in data["slots"]:
                if is_key_slot(slot) and not is_legacy(slot):
                    slot["next"] = seal(slot, new_key)
            data["rekey"] = {
                "reason": reason,
                "requestedAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }

        self._update(change)

    def seal_next_to_all(self, new_key: bytes) -> None:
        """Before step B: seal the pending key to slots added since step A (written only
        when one lacks it)."""
        with self.lock():
            data = self._load()
            missing = [
                s for s in data["slots"] if is_key_slot(s) and not is_legacy(s) and "next" not in s
            ]
            for slot in missing:
                slot["next"] = seal(slot, new_key)
            if missing:
                self._write(data)

    def finish_rekey(self, new_key: bytes) -> list[str]:
        """Step C: the new key becomes every slot's current key; the journal goes.

        Returns the owners of legacy slots that could not be carried over (their key is
        wrapped under a password PharmDesk does not know): they need a new password.
        """

        def change(data: dict) -> list[str]:
            dropped: list[str] = []
            kept: list[dict] = []
            for slot in data["slots"]:
                if not is_key_slot(slot):
                    kept.append(slot)
                elif is_legacy(slot):
                    dropped.append(slot["owner"])
                else:
                    slot.pop("next", None)
                    slot["sealed"] = seal(slot, new_key)
                    kept.append(slot)
            data["slots"] = kept
            data.pop("rekey", None)
            return dropped

        return list(self._update(change))

    def update_slots(self, change: Callable[[list[dict]], list[dict]]) -> None:
        """Read, change and rewrite the slots under the file lock, in one atomic write
        (used for the audit seal's own ``sealKey`` entries, which are not key slots)."""

        def apply(data: dict) -> None:
            data["slots"] = change(list(data["slots"]))

        self._update(apply)
