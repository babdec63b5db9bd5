"""Forward-secure sealing of the audit log: the keys, the MACs, and who holds the root.

Everyone who signs in at one PC unwraps the same database key, so the hash chain alone
proves nothing against someone who runs their own code with that key: they can rewrite
the chain and its checkpoint. Sealing adds a MAC to every entry under an *epoch key*:

- the root ``k0`` (32 random bytes) is never in the database. It is kept only in the
  vault, wrapped for each admin (under their password, Argon2id + AES-GCM) and for the
  recovery key: ``sealKey`` entries, a kind of their own beside the database-key slots,
  so a rekey of the database key leaves them alone;
- the database holds only the *current* epoch key ``k(n)``. At every sign-in and at
  least hourly it moves on, ``k(n+1) = HMAC(k(n), "next")``, and ``k(n)`` is overwritten;
- an entry of epoch ``e`` is MACed under ``k(e)``, except the first entry of an epoch,
  which is MACed under the *previous* epoch's key ``k(e-1)`` (the first sealed entry of
  all under ``k0``). That entry closes the previous epoch: its MAC covers its hash, which
  covers every entry before it.

Someone who holds the database key today learns ``k(n)`` and can add entries, but cannot
compute ``k(n-1)`` or older, so an entry sealed in an earlier epoch cannot be changed,
removed or re-labelled without an admin's verify (which re-derives every key from
``k0``) naming it.

Every person also has an X25519 key pair in their ``sealKey`` entry (private half under
their password), so an admin holding ``k0`` can hand it to someone whose password they do
not know (a promotion to admin, an admin who has no grant yet after an upgrade): a
*pending grant*, turned into a password-wrapped grant at that person's next sign-in once
it matches the database's current key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pharmdesk.store.keyslots import b64, unb64
from pharmdesk.store.vault import KdfParams, Vault, derive, normalize_password

SEAL_KIND = "sealKey"
RECOVERY_OWNER = "recovery"
ROOT_BYTES = 32
_RAW = serialization.Encoding.Raw


# -- keys and MACs --------------------------------------------------------------------------
def next_key(key: bytes) -> bytes:
    return hmac.new(key, b"next", hashlib.sha256).digest()


def entry_mac(key: bytes, entry_id: int, epoch: int, entry_hash: str) -> str:
    message = f"pharmdesk-seal:{entry_id}:{epoch}:{entry_hash}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class EpochKeys:
    """``k(0), k(1), ...`` re-derived from the root on demand (verify walks them in order)."""

    def __init__(self, root: bytes) -> None:
        self._keys = [root]

    def key(self, epoch: int) -> bytes:
        while len(self._keys) <= epoch:
            self._keys.append(next_key(self._keys[-1]))
        return self._keys[epoch]


@dataclass(frozen=True)
class SealRoot:
    """What an admin's session holds: ``k0`` and the id of the first sealed entry."""

    root: bytes
    start: int

    def payload(self) -> bytes:
        return self.root + struct.pack(">Q", self.start)

    @classmethod
    def from_payload(cls, data: bytes) -> SealRoot | None:
        if len(data) != ROOT_BYTES + 8:
            return None
        return cls(data[:ROOT_BYTES], struct.unpack(">Q", data[ROOT_BYTES:])[0])


def new_root() -> bytes:
    return os.urandom(ROOT_BYTES)


# -- the sealKey vault entries --------------------------------------------------------------
def _aad(part: str, owner: str) -> bytes:
    return f"pharmdesk-seal:{part}:{owner}".encode()


def recovery_secret(normalized_key: str) -> bytes:
    return normalized_key.encode("ascii")


def staff_secret(password: str) -> bytes:
    return normalize_password(password)


def make_entry(
    owner: str, secret: bytes, kdf: KdfParams, *, grant: SealRoot | None = None
) -> dict[str, Any]:
    """A new ``sealKey`` entry: a fresh key pair, and ``k0`` when given."""
    salt = os.urandom(16)
    wrapping = AESGCM(derive(secret, salt, kdf))
    private = X25519PrivateKey.generate()
    nonce = os.urandom(12)
    entry: dict[str, Any] = {
        "kind": SEAL_KIND,
        "owner": owner,
        "kdf": {"name": "argon2id", "salt": b64(salt), **kdf.to_json()},
        "publicKey": b64(private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)),
        "nonce": b64(nonce),
        "wrappedPrivate": b64(
            wrapping.encrypt(
                nonce,
                private.private_bytes(
                    _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
                ),
                _aad("private", owner),
            )
        ),
        "grant": None,
        "pendingGrant": None,
    }
    if grant is not None:
        entry["grant"] = _seal_grant(wrapping, owner, grant)
    return entry


def _seal_grant(wrapping: AESGCM, owner: str, root: SealRoot) -> dict[str, str]:
    nonce = os.urandom(12)
    sealed = wrapping.encrypt(nonce, root.payload(), _aad("grant", owner))
    return {"nonce": b64(nonce), "wrapped": b64(sealed)}


@dataclass
class OpenedEntry:
    """A ``sealKey`` entry opened with its owner's secret."""

    entry: dict[str, Any]
    private: X25519PrivateKey
    wrapping: AESGCM
    granted: SealRoot | None
    pending: SealRoot | None


def open_entry(entry: dict[str, Any], secret: bytes) -> OpenedEntry | None:
    """None when the secret does not open it (an older password's entry, or damage)."""
    owner = str(entry.get("owner"))
    try:
        params = KdfParams.from_json(entry["kdf"])
        wrapping = AESGCM(derive(secret, unb64(entry["kdf"]["salt"]), params))
        raw = wrapping.decrypt(
            unb64(entry["nonce"]), unb64(entry["wrappedPrivate"]), _aad("private", owner)
        )
        private = X25519PrivateKey.from_private_bytes(raw)
        granted = None
        if entry.get("grant"):
            grant = entry["grant"]
            granted = SealRoot.from_payload(
                wrapping.decrypt(
                    unb64(grant["nonce"]), unb64(grant["wrapped"]), _aad("grant", owner)
                )
            )
        pending = _open_pending(entry, private)
    except (InvalidTag, KeyError, TypeError, ValueError):
        return None
    return OpenedEntry(entry, private, wrapping, granted, pending)


def _hkdf(shared: bytes, owner: str, ephemeral: bytes, public: bytes) -> bytes:
    info = b"pharmdesk-seal-pending:" + owner.encode() + ephemeral + public
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def pending_grant(entry: dict[str, Any], root: SealRoot) -> dict[str, str]:
    """``k0`` encrypted to the entry's public key (no password needed to write it)."""
    owner = str(entry["owner"])
    public_raw = unb64(entry["publicKey"])
    ephemeral = X25519PrivateKey.generate()
    eph_raw = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    key = _hkdf(
        ephemeral.exchange(X25519PublicKey.from_public_bytes(public_raw)),
        owner,
        eph_raw,
        public_raw,
    )
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, root.payload(), _aad("pending", owner))
    return {"ephemeralPublic": b64(eph_raw), "nonce": b64(nonce), "wrapped": b64(sealed)}


def _open_pending(entry: dict[str, Any], private: X25519PrivateKey) -> SealRoot | None:
    pending = entry.get("pendingGrant")
    if not pending:
        return None
    owner = str(entry["owner"])
    eph_raw = unb64(pending["ephemeralPublic"])
    public_raw = unb64(entry["publicKey"])
    key = _hkdf(
        private.exchange(X25519PublicKey.from_public_bytes(eph_raw)), owner, eph_raw, public_raw
    )
    data = AESGCM(key).decrypt(
        unb64(pending["nonce"]), unb64(pending["wrapped"]), _aad("pending", owner)
    )
    return SealRoot.from_payload(data)


def with_grant(opened: OpenedEntry, root: SealRoot | None) -> dict[str, Any]:
    """The entry re-written with ``root`` as its own grant (or none) and no pending one."""
    entry = dict(opened.entry)
    entry["grant"] = None if root is None else _seal_grant(opened.wrapping, entry["owner"], root)
    entry["pendingGrant"] = None
    return entry


# -- reading and writing them in the vault ----------------------------------------------------
def entries(vault: Vault) -> dict[str, dict[str, Any]]:
    return {
        str(s["owner"]): s for s in vault.slots() if s.get("kind") == SEAL_KIND and "owner" in s
    }


def entry_of(vault: Vault, owner: str) -> dict[str, Any] | None:
    return entries(vault).get(owner)


def put(vault: Vault, *new: dict[str, Any]) -> None:
    """Replace (or add) these owners' entries in one atomic write of the vault."""
    owners = {e["owner"] for e in new}

    def change(slots: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = [s for s in slots if not (s.get("kind") == SEAL_KIND and s.get("owner") in owners)]
        return [*kept, *new]

    vault.update_slots(change)


def drop(vault: Vault, owner: str) -> None:
    def change(slots: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [s for s in slots if not (s.get("kind") == SEAL_KIND and s.get("owner") == owner)]

    vault.update_slots(change)


def set_secret(vault: Vault, owner: str, secret: bytes, root: SealRoot | None) -> None:
    """A person's secret (password) was set: a new entry under it, holding ``root`` when
    given (an admin's; else a later sign-in of an admin who holds ``k0`` hands it on)."""
    put(vault, make_entry(owner, secret, vault.kdf, grant=root))


def grant_pending(vault: Vault, owners: list[str], root: SealRoot) -> list[str]:
    """Hand ``k0`` to those of ``owners`` whose entry holds neither a grant nor a pending
    one. Returns who got one."""
    current = entries(vault)
    updated = []
    for owner in owners:
        entry = current.get(owner)
        if entry is None or entry.get("grant") or entry.get("pendingGrant"):
            continue
        updated.append({**entry, "pendingGrant": pending_grant(entry, root)})
    if updated:
        put(vault, *updated)
    return [e["owner"] for e in updated]


def strip_grant(vault: Vault, owner: str) -> None:
    """No longer an admin: the entry keeps its key pair but no longer holds ``k0``."""
    entry = entry_of(vault, owner)
    if entry is not None and (entry.get("grant") or entry.get("pendingGrant")):
        put(vault, {**entry, "grant": None, "pendingGrant": None})
