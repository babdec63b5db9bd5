"""One keyslot: how a password (or the recovery key) reaches the database key.

A slot holds an X25519 key pair of its own. The private half is wrapped with AES-256-GCM
under a key derived from the password with Argon2id; the database key is *sealed to the
public half* (an ephemeral X25519 exchange, HKDF, AES-256-GCM). Sealing needs no
password, so when the database key changes (a person is disabled, the recovery key was
used) the new key is sealed to every remaining slot without knowing anyone's password,
and a slot that was removed (or copied off the PC earlier) never learns it.

The slot's kind and owner are bound into every GCM tag as associated data, so a slot
cannot be moved to another account. Slots written before sealing existed ("legacy":
the database key wrapped directly under the password) still open; they are rewritten in
the sealed form at their owner's next sign-in.
"""

from __future__ import annotations

import base64
import os
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

RECOVERY = "recovery"
STAFF = "staff"
KEY_KINDS = (STAFF, RECOVERY)  # the slots that hold the database key
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


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _aad(kind: str, owner: str) -> bytes:
    return f"pharmdesk-keyslot:{kind}:{owner}".encode()


def is_key_slot(slot: dict) -> bool:
    return slot.get("kind") in KEY_KINDS


def is_legacy(slot: dict) -> bool:
    return "publicKey" not in slot


# -- sealing the database key to a slot's public key ----------------------------------------
def _sealing_key(shared: bytes, ephemeral: bytes, public: bytes, aad: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + public, info=b"sealed-db-key:" + aad
    ).derive(shared)


def seal(slot: dict, db_key: bytes) -> dict[str, str]:
    """The database key sealed to this slot's public key (no password needed)."""
    public = unb64(slot["publicKey"])
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    aad = _aad(slot["kind"], slot["owner"])
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    nonce = os.urandom(12)
    sealed = AESGCM(_sealing_key(shared, ephemeral_public, public, aad)).encrypt(nonce, db_key, aad)
    return {"ephemeral": b64(ephemeral_public), "nonce": b64(nonce), "sealedKey": b64(sealed)}


def unseal(slot: dict, identity: bytes, sealed: dict[str, str]) -> bytes | None:
    private = X25519PrivateKey.from_private_bytes(identity)
    public = private.public_key().public_bytes_raw()
    ephemeral = unb64(sealed["ephemeral"])
    aad = _aad(slot["kind"], slot["owner"])
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    try:
        return AESGCM(_sealing_key(shared, ephemeral, public, aad)).decrypt(
            unb64(sealed["nonce"]), unb64(sealed["sealedKey"]), aad
        )
    except InvalidTag:
        return None


# -- making and opening slots -----------------------------------------------------------------
Derive = Callable[[bytes, bytes, KdfParams], bytes]


def make_slot(
    kind: str, owner: str, secret: bytes, db_key: bytes, params: KdfParams, kdf: Derive = derive
) -> dict:
    """A new sealed slot: a fresh key pair, its private half under the secret."""
    private = X25519PrivateKey.generate()
    salt = os.urandom(16)
    nonce = os.urandom(12)
    wrapping = kdf(secret, salt, params)
    identity = private.private_bytes_raw()
    slot: dict[str, Any] = {
        "kind": kind,
        "owner": owner,
        "kdf": {"name": "argon2id", "salt": b64(salt), **params.to_json()},
        "nonce": b64(nonce),
        "wrappedIdentity": b64(AESGCM(wrapping).encrypt(nonce, identity, _aad(kind, owner))),
        "publicKey": b64(private.public_key().public_bytes_raw()),
    }
    slot["sealed"] = seal(slot, db_key)
    return slot


@dataclass(frozen=True)
class Opened:
    """What a right secret opens: the slot's private key (sealed slots) or, for a legacy
    slot, the database key itself."""

    kind: str
    owner: str
    identity: bytes | None = None
    legacy_key: bytes | None = None

    def keys(self, slot: dict) -> tuple[bytes | None, bytes | None]:
        """(current, next) database keys this slot holds, read from ``slot`` as it is now
        (the keys change under a rekey; the key pair does not)."""
        if self.identity is None:
            return self.legacy_key, None
        if is_legacy(slot):
            return None, None
        current = unseal(slot, self.identity, slot["sealed"])
        upcoming = unseal(slot, self.identity, slot["next"]) if "next" in slot else None
        return current, upcoming


def open_slot_secret(slot: dict, secret: bytes, kdf: Derive = derive) -> Opened | None:
    """Open a slot with its secret; None when the secret is wrong."""
    params = KdfParams.from_json(slot["kdf"])
    wrapping = kdf(secret, unb64(slot["kdf"]["salt"]), params)
    field = "wrappedKey" if is_legacy(slot) else "wrappedIdentity"
    try:
        inner = AESGCM(wrapping).decrypt(
            unb64(slot["nonce"]), unb64(slot[field]), _aad(slot["kind"], slot["owner"])
        )
    except InvalidTag:
        return None
    if is_legacy(slot):
        return Opened(slot["kind"], slot["owner"], legacy_key=inner)
    return Opened(slot["kind"], slot["owner"], identity=inner)


def open_slot(slot: dict, secret: bytes) -> bytes | None:
    """The database key the slot holds now, or None when the secret is wrong."""
    opened = open_slot_secret(slot, secret)
    return None if opened is None else opened.keys(slot)[0]
