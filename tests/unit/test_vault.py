"""Keyslots: the real Argon2id cost, wrong secrets, slot binding, atomic rewrites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pharmdesk.errors import PharmDeskError
from pharmdesk.store import vault as vault_module
from pharmdesk.store.vault import DEFAULT_KDF, Vault, normalize_recovery_key

KEY = bytes(range(32))
PASSWORD = "a long enough password, really"


def test_default_cost_is_rfc9106_or_stronger() -> None:
    assert DEFAULT_KDF.memory_kib >= 64 * 1024
    assert DEFAULT_KDF.time_cost >= 3
    assert DEFAULT_KDF.parallelism == 4


def test_created_slots_store_the_default_cost(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "db.vault")
    vault.create(KEY, "ada", PASSWORD)
    slots = json.loads((tmp_path / "db.vault").read_text())["slots"]
    assert {s["kind"] for s in slots} == {"staff", "recovery"}
    for slot in slots:
        assert slot["kdf"]["name"] == "argon2id"
        assert slot["kdf"]["memoryKiB"] == 64 * 1024
        assert slot["kdf"]["timeCost"] == 3
        assert slot["kdf"]["parallelism"] == 4
        assert KEY.hex() not in json.dumps(slot)


def test_unlock_right_and_wrong(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "db.vault")
    recovery = vault.create(KEY, "ada", PASSWORD)
    assert vault.unlock_staff("ada", PASSWORD) == KEY
    assert vault.unlock_staff("ada", PASSWORD + " ") is None
    assert vault.unlock_staff("bola", PASSWORD) is None
    assert vault.unlock_recovery(recovery) == KEY
    assert vault.unlock_recovery(recovery.lower().replace("-", " ")) == KEY
    assert vault.unlock_recovery("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF") is None


def test_unicode_passwords_are_normalised(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "db.vault")
    composed = 'Adéwálé\'s key; \\ "quoted" 🔑 ok'
    vault.create(KEY, "ada", composed)
    decomposed = 'Ade\u0301wa\u0301le\u0301\'s key; \\ "quoted" 🔑 ok'
    assert vault.unlock_staff("ada", decomposed) == KEY


def test_one_derivation_per_attempt_known_or_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = Vault(tmp_path / "db.vault")
    vault.create(KEY, "ada", PASSWORD)
    calls: list[int] = []
    real = vault_module.derive

    def counting(secret: bytes, salt: bytes, params: vault_module.KdfParams) -> bytes:
        calls.append(params.memory_kib)
        return real(secret, salt, params)

    monkeypatch.setattr(vault_module, "derive", counting)
    vault.unlock_staff("ada", "wrong password here")
    vault.unlock_staff("nobody", "wrong password here")
    assert calls == [64 * 1024, 64 * 1024]


def test_a_slot_cannot_be_moved_to_another_account(tmp_path: Path) -> None:
    path = tmp_path / "db.vault"
    vault = Vault(path)
    vault.create(KEY, "ada", PASSWORD)
    data = json.loads(path.read_text())
    for slot in data["slots"]:
        if slot["kind"] == "staff":
            slot["owner"] = "mallory"
    path.write_text(json.dumps(data))
    assert vault.unlock_staff("mallory", PASSWORD) is None


def test_set_and_remove_staff(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "db.vault")
    vault.create(KEY, "ada", PASSWORD)
    vault.set_staff_password("bola", "bola's own long password", KEY)
    assert vault.unlock_staff("bola", "bola's own long password") == KEY
    vault.set_staff_password("bola", "bola's second long password", KEY)
    assert vault.unlock_staff("bola", "bola's own long password") is None
    assert vault.staff_usernames() == ["ada", "bola"]
    vault.remove_staff("bola")
    assert vault.staff_usernames() == ["ada"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_create_refuses_an_existing_vault(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "db.vault")
    vault.create(KEY, "ada", PASSWORD)
    before = (tmp_path / "db.vault").read_bytes()
    with pytest.raises(PharmDeskError):
        vault.create(KEY, "ada", PASSWORD)
    assert (tmp_path / "db.vault").read_bytes() == before


def test_failed_write_leaves_the_old_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db.vault"
    vault = Vault(path)
    vault.create(KEY, "ada", PASSWORD)
    before = path.read_bytes()

    def broken_replace(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pharmdesk.store.files.os.replace", broken_replace)
    with pytest.raises(OSError):
        vault.set_staff_password("bola", "bola's own long password", KEY)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("text", ["{broken", json.dumps({"format": "other"}), json.dumps([])])
def test_damaged_vault_is_reported(tmp_path: Path, text: str) -> None:
    path = tmp_path / "db.vault"
    path.write_text(text)
    with pytest.raises(PharmDeskError) as info:
        Vault(path).unlock_staff("ada", PASSWORD)
    assert "key file" in info.value.message


def test_recovery_key_shape() -> None:
    key = vault_module.new_recovery_key()
    groups = key.split("-")
    assert len(groups) == 6 and all(len(g) == 4 for g in groups)
    assert normalize_recovery_key(key.lower()) == key.replace("-", "")
    assert not set(key) & set("01IO")
