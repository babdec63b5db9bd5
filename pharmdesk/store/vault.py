"""Keyslots: each staff password, and the recovery key, unlocks the one database key.

The database key is 32 random bytes made once at ``init``; nobody ever types it. Each
slot holds it wrapped with AES-256-GCM under a key derived from a password with
Argon2id (parameters stored per slot, so they can be raised later). The slot's kind and
owner are the GCM associated data, so a slot cannot be moved to another account.
The vault file sits beside the database and is always replaced atomically.
"""

from __future__ import annotations

import base64
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.store.files import read_json, write_json_atomic
from pharmdesk.store.locking import SideFileLock

VAULT_FORMAT = "pharmdesk-vault"
VAULT_VERSION = 1
RECOVERY = "recovery"
STAFF = "staff"
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper
RECOVERY_GROUPS = 6
RECOVERY_GROUP_LEN = 4


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost; RFC 9106's second recommended option by default."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def to_json(self) -> dict[str, int]:
        return {
            "timeCost": self.time_cost,
            "memoryKiB": self.memory_kib,
            "parallelism": self.parallelism,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        return cls(int(data["timeCost"]), int(data["memoryKiB"]), int(data["parallelism"]))


DEFAULT_KDF = KdfParams()


def normalize_password(password: str) -> bytes:
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def normalize_recovery_key(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def new_recovery_key() -> str:
    chars = "".join(
        secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP_LEN)
    )
    groups = [chars[i : i + RECOVERY_GROUP_LEN] for i in range(0, len(chars), RECOVERY_GROUP_LEN)]
    return "-".join(groups)


def derive(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(
        secret,
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _aad(kind: str, owner: str) -> bytes:
    return f"pharmdesk-keyslot:{kind}:{owner}".encode()


def make_slot(kind: str, owner: str, secret: bytes, db_key: bytes, params: KdfParams) -> dict:
    salt = os.urandom(16)
    nonce = os.urandom(12)
    wrapping = derive(secret, salt, params)
    wrapped = AESGCM(wrapping).encrypt(nonce, db_key, _aad(kind, owner))
    return {
        "kind": kind,
        "owner": owner,
        "kdf": {"name": "argon2id", "salt": _b64(salt), **params.to_json()},
        "nonce": _b64(nonce),
        "wrappedKey": _b64(wrapped),
    }


def open_slot(slot: dict, secret: bytes) -> bytes | None:
    """The database key, or None when the secret is wrong."""
    params = KdfParams.from_json(slot["kdf"])
    wrapping = derive(secret, _unb64(slot["kdf"]["salt"]), params)
    try:
        return AESGCM(wrapping).decrypt(
            _unb64(slot["nonce"]), _unb64(slot["wrappedKey"]), _aad(slot["kind"], slot["owner"])
        )
    except InvalidTag:
        return None


class VaultError(PharmDeskError):
    def __init__(self, message: str) -> None:
        super().__init__(DATABASE_ERROR, message)


class Vault:
    """The keyslot file of one database."""

    def __init__(self, path: Path, kdf: KdfParams = DEFAULT_KDF) -> None:
        self.path = path
        self.kdf = kdf
        # Read-modify-write of the slots happens under a file lock, so that two
        # processes (the window and a command) changing staff at once both count.
        self._lock = SideFileLock(path)

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
        if data.get("version") != VAULT_VERSION:
            raise VaultError("The key file was written by a newer PharmDesk. Install that version.")
        return data

    def slots(self) -> list[dict]:
        return list(self._load()["slots"])

    def staff_usernames(self) -> list[str]:
        return [s["owner"] for s in self.slots() if s["kind"] == STAFF]

    def has_staff_slot(self, username: str) -> bool:
        return username in self.staff_usernames()

    def _find(self, kind: str, owner: str) -> dict | None:
        for slot in self.slots():
            if slot["kind"] == kind and slot["owner"] == owner:
                return slot
        return None

    def unlock_staff(self, username: str, password: str) -> bytes | None:
        """The database key, or None. An unknown user costs the same derivation."""
        slots = self.slots()
        slot = next((s for s in slots if s["kind"] == STAFF and s["owner"] == username), None)
        secret = normalize_password(password)
        if slot is None:
            derive(secret, os.urandom(16), self._decoy_cost(slots))
            return None
        return open_slot(slot, secret)

    def _decoy_cost(self, slots: list[dict]) -> KdfParams:
        """The cost a real staff slot here has, so an unknown name takes as long to refuse
        as a wrong password (slots keep their own cost when the default changes)."""
        for slot in slots:
            if slot["kind"] == STAFF:
                return KdfParams.from_json(slot["kdf"])
        return self.kdf

    def unlock_recovery(self, recovery_key: str) -> bytes | None:
        slot = self._find(RECOVERY, RECOVERY)
        secret = normalize_recovery_key(recovery_key).encode("ascii")
        if slot is None:
            derive(secret, os.urandom(16), self.kdf)
            return None
        return open_slot(slot, secret)

    # -- writing (always whole-file, atomic) ------------------------------------------------
    def _write(self, slots: list[dict]) -> None:
        write_json_atomic(
            self.path, {"format": VAULT_FORMAT, "version": VAULT_VERSION, "slots": slots}
        )

    def create(self, db_key: bytes, admin: str, password: str) -> str:
        """Write a new vault with the first admin's slot and a recovery slot.

        Returns the recovery key, to be shown once.
        """
        if self.path.exists():
            raise VaultError("A key file already exists here; nothing was changed.")
        recovery = new_recovery_key()
        self._write(
            [
                make_slot(STAFF, admin, normalize_password(password), db_key, self.kdf),
                make_slot(
                    RECOVERY,
                    RECOVERY,
                    normalize_recovery_key(recovery).encode("ascii"),
                    db_key,
                    self.kdf,
                ),
            ]
        )
        return recovery

    def set_staff_password(self, username: str, password: str, db_key: bytes) -> None:
        """Add or replace a staff slot in one atomic write (old or new works, never neither)."""
        slot = make_slot(STAFF, username, normalize_password(password), db_key, self.kdf)
        with self._lock:
            kept = [s for s in self.slots() if not (s["kind"] == STAFF and s["owner"] == username)]
            self._write([*kept, slot])

    def remove_staff(self, username: str) -> None:
        with self._lock:
            kept = [s for s in self.slots() if not (s["kind"] == STAFF and s["owner"] == username)]
            self._write(kept)

    def replace_recovery(self, db_key: bytes) -> str:
        recovery = new_recovery_key()
        slot = make_slot(
            RECOVERY, RECOVERY, normalize_recovery_key(recovery).encode("ascii"), db_key, self.kdf
        )
        with self._lock:
            kept = [s for s in self.slots() if s["kind"] != RECOVERY]
            self._write([*kept, slot])
        return recovery
