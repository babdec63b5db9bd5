"""Nothing readable on disk, and nothing changed on disk by a failed way in."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import cipher_version, open_engine
from tests.conftest import ADMIN, ADMIN_PASSWORD

SECRETS = {
    "name": "Oluwaseyifunmi Adekunle-Bamidele",
    "phone": "+2348039876543",
    "address": "17 Ogunlana Drive, Surulere",
    "email": "seyifunmi.bamidele@example.com",
    "notes": "Prefers the blue inhaler",
}


def _needles() -> list[bytes]:
    needles = []
    for value in SECRETS.values():
        for encoding in ("utf-8", "utf-16-le"):
            needles.append(value.encode(encoding))
    needles.append(b"2348039876543")
    needles.append(b"08039876543")
    needles.append(b"oluwaseyifunmi")
    return needles


def _scan(folder: Path) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in _needles():
                if needle in data:
                    found.append(path.name)
    return found


def _digests(files: DatabaseFiles) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files.db.parent.iterdir()
        if p.is_file() and not p.name.endswith(".lock")
    }


def test_no_plaintext_patient_data_on_disk(admin: DeskSession, db_files: DatabaseFiles) -> None:
    admin.call(
        "addProviderCustomer",
        {
            "name": SECRETS["name"],
            "phone": SECRETS["phone"],
            "address": SECRETS["address"],
            "email": SECRETS["email"],
            "notes": SECRETS["notes"],
            "medicalConditions": ["Sickle cell disease"],
        },
    )
    admin.call("fetchCustomers", {"search": "seyifunmi"})
    admin.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    # while open (WAL and shm present) and after closing
    assert _scan(db_files.db.parent) == []
    admin.close()
    assert _scan(db_files.db.parent) == []
    assert not db_files.db.read_bytes().startswith(b"SQLite format 3")


def test_cipher_is_sqlcipher_4(admin: DeskSession) -> None:
    assert cipher_version(admin.db.engine).startswith("4.")


def test_stdlib_sqlite_cannot_read_it_and_changes_nothing(db_files: DatabaseFiles) -> None:
    before = _digests(db_files)
    conn = sqlite3.connect(db_files.db)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("SELECT * FROM sqlite_master").fetchall()
    conn.close()
    assert _digests(db_files) == before


@pytest.mark.parametrize(
    ("username", "password"),
    [(ADMIN, "not the right password at all"), ("nobody", ADMIN_PASSWORD)],
)
def test_wrong_password_and_unknown_user_change_nothing(
    db_files: DatabaseFiles, username: str, password: str
) -> None:
    db_before = hashlib.sha256(db_files.db.read_bytes()).hexdigest()
    vault_before = db_files.vault.read_bytes()
    with pytest.raises(PharmDeskError) as info:
        sign_in(db_files, username, password, clock=FixedClock(), sleep=lambda _s: None)
    assert info.value.code == "AUTH_FAILED"
    assert info.value.message == "Wrong username or password. Check both and try again."
    assert hashlib.sha256(db_files.db.read_bytes()).hexdigest() == db_before
    assert db_files.vault.read_bytes() == vault_before
    assert not db_files.wal.exists()


def test_damaged_database_gives_clear_error_and_is_untouched(db_files: DatabaseFiles) -> None:
    data = bytearray(db_files.db.read_bytes())
    for i in range(0, 64):
        data[i] ^= 0xFF
    db_files.db.write_bytes(bytes(data))
    before = _digests(db_files)
    with pytest.raises(PharmDeskError) as info:
        sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), sleep=lambda _s: None)
    assert info.value.code == "DATABASE_ERROR"
    assert "damaged" in info.value.message
    assert "Traceback" not in info.value.message
    assert _digests(db_files) == before


def test_missing_database_gives_clear_error(db_files: DatabaseFiles) -> None:
    db_files.db.unlink()
    before = _digests(db_files)
    with pytest.raises(PharmDeskError) as info:
        sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), sleep=lambda _s: None)
    assert info.value.code == "NOT_FOUND"
    assert "backup" in info.value.message
    assert _digests(db_files) == before
    assert not db_files.db.exists()


def test_nothing_there_at_all(tmp_path: Path) -> None:
    files = DatabaseFiles(tmp_path / "none.db")
    with pytest.raises(PharmDeskError) as info:
        sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), sleep=lambda _s: None)
    assert info.value.code == "NOT_FOUND"
    assert "pharmdesk init" in info.value.message
    assert list(tmp_path.iterdir()) == []


def test_missing_or_damaged_vault(db_files: DatabaseFiles) -> None:
    db_files.vault.write_text("{not json", encoding="utf-8")
    with pytest.raises(PharmDeskError) as info:
        sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), sleep=lambda _s: None)
    assert info.value.code == "DATABASE_ERROR"
    assert "key file" in info.value.message
    db_files.vault.unlink()
    with pytest.raises(PharmDeskError) as info:
        sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), sleep=lambda _s: None)
    assert "key file" in info.value.message


def test_wrong_key_is_refused_by_the_engine(db_files: DatabaseFiles) -> None:
    with pytest.raises(PharmDeskError) as info:
        open_engine(db_files.db, b"\x01" * 32)
    assert info.value.code == "DATABASE_ERROR"
