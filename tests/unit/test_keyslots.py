"""Sealed keyslots: a new database key reaches every slot without a password; slots from
before sealing still open, and are rewritten at their owner's sign-in."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.keyslots import b64, derive, normalize_password
from pharmdesk.store.vault import STAFF, Vault
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

KEY = bytes(range(32))
NEW_KEY = bytes(range(32, 64))
PASSWORD = "a long enough password 2026"


def test_a_new_key_is_sealed_to_every_slot_without_their_passwords(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "db.vault", TEST_KDF)
    recovery = vault.create(KEY, "ada", PASSWORD)
    vault.set_staff_password("bola", "bola's own long password", KEY)
    vault.begin_rekey(NEW_KEY, "femi disabled")
    opened = vault.open_staff("bola", "bola's own long password")
    assert opened is not None and vault.keys(opened) == (KEY, NEW_KEY)
    assert vault.finish_rekey(NEW_KEY) == []
    assert vault.unlock_staff("ada", PASSWORD) == NEW_KEY
    assert vault.unlock_staff("bola", "bola's own long password") == NEW_KEY
    assert vault.unlock_recovery(recovery) == NEW_KEY
    assert vault.pending_rekey() is None
    # The private half never leaves its wrapping: the file holds no key in the clear.
    text = (tmp_path / "db.vault").read_text()
    assert b64(KEY) not in text and b64(NEW_KEY) not in text


def _legacy_slot(owner: str, password: str, key: bytes) -> dict:
    """A slot as PharmDesk wrote them before sealing: the key wrapped under the password."""
    salt, nonce = os.urandom(16), os.urandom(12)
    wrapping = derive(normalize_password(password), salt, TEST_KDF)
    aad = f"pharmdesk-keyslot:{STAFF}:{owner}".encode()
    return {
        "kind": STAFF,
        "owner": owner,
        "kdf": {"name": "argon2id", "salt": b64(salt), **TEST_KDF.to_json()},
        "nonce": b64(nonce),
        "wrappedKey": b64(AESGCM(wrapping).encrypt(nonce, key, aad)),
    }


def test_an_old_slot_opens_and_is_sealed_at_its_owners_sign_in(
    db_files: DatabaseFiles, admin: object
) -> None:
    vault = Vault(db_files.vault, TEST_KDF)
    key = vault.unlock_staff(ADMIN, ADMIN_PASSWORD)
    assert key is not None
    admin.close()  # type: ignore[attr-defined]
    data = json.loads(db_files.vault.read_text())
    data["version"] = 1
    data["slots"] = [
        (
            _legacy_slot(ADMIN, ADMIN_PASSWORD, key)
            if s["owner"] == ADMIN and s["kind"] == "staff"
            else s
        )
        for s in data["slots"]
    ]
    db_files.vault.write_text(json.dumps(data))
    assert vault.unlock_staff(ADMIN, ADMIN_PASSWORD) == key  # still opens
    sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF).close()
    slot = next(s for s in vault.slots() if s["owner"] == ADMIN and s["kind"] == "staff")
    assert "publicKey" in slot and "wrappedKey" not in slot
    assert json.loads(db_files.vault.read_text())["version"] == 2
    assert vault.unlock_staff(ADMIN, ADMIN_PASSWORD) == key


def test_an_old_slot_nobody_used_before_a_rekey_is_named_for_a_new_password(
    tmp_path: Path,
) -> None:
    vault = Vault(tmp_path / "db.vault", TEST_KDF)
    vault.create(KEY, "ada", PASSWORD)
    data = json.loads((tmp_path / "db.vault").read_text())
    data["slots"].append(_legacy_slot("tunde", "tunde's own long password", KEY))
    (tmp_path / "db.vault").write_text(json.dumps(data))
    vault.begin_rekey(NEW_KEY, "femi disabled")
    assert vault.finish_rekey(NEW_KEY) == ["tunde"]
    assert not vault.has_staff_slot("tunde")
    assert vault.unlock_staff("ada", PASSWORD) == NEW_KEY
