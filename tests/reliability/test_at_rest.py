"""Items 1 and 2: nothing readable on disk, and nothing changed by a failed way in.

The database, its -wal/-shm, the vault, the checkpoint, a backup and the temp folder are
scanned for the patient data just entered (UTF-8 and UTF-16, the phone in every form).
The cipher is checked at open, and a wrong key, a wrong password or the standard sqlite3
module leave every file byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import pharmdesk.store.engine as engine_module
from pharmdesk import cli
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import (
    EXPECTED_CIPHER_SETTINGS,
    cipher_version,
    execute_pragma,
    open_engine,
)
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reliability.checks import digests_from_outside

SECRETS = {
    "name": "Oluwaseyifunmi Adekunle-Bamidele",
    "phone": "+2348039876543",
    "address": "17 Ogunlana Drive, Surulere",
    "email": "seyifunmi.bamidele@example.com",
    "notes": "Prefers the blue inhaler",
    "allergy": "Quetiapinexyl",
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


def _enter_the_secrets(admin: DeskSession) -> None:
    admin.call(
        "addProviderCustomer",
        {
            "name": SECRETS["name"],
            "phone": SECRETS["phone"],
            "address": SECRETS["address"],
            "email": SECRETS["email"],
            "notes": SECRETS["notes"],
            "allergies": [SECRETS["allergy"]],
            "medicalConditions": ["Sickle cell disease"],
        },
    )
    admin.call("fetchCustomers", {"search": "seyifunmi"})
    admin.call("fetchCustomers", {"search": "9876543"})
    admin.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    admin.call("updateProviderCustomer", {"customerId": "CUST-1", "notes": SECRETS["notes"] + "!"})


def test_no_plaintext_patient_data_on_disk(admin: DeskSession, db_files: DatabaseFiles) -> None:
    _enter_the_secrets(admin)
    # while open (WAL and shm present) and after closing
    assert db_files.wal.exists()
    assert _scan(db_files.db.parent) == []
    admin.close()
    assert _scan(db_files.db.parent) == []
    assert not db_files.db.read_bytes().startswith(b"SQLite format 3")


def test_backups_and_the_temp_folder_hold_no_plaintext(
    admin: DeskSession,
    db_files: DatabaseFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setenv("SQLITE_TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    monkeypatch.setenv("PHARMDESK_USER", ADMIN)
    monkeypatch.setenv("PHARMDESK_PASSWORD", ADMIN_PASSWORD)
    _enter_the_secrets(admin)
    backups = tmp_path / "usb"
    backups.mkdir()
    target = backups / "pharmdesk-backup.zip"
    code = cli.main(["--db", str(db_files.db), "backup", str(target)], kdf=TEST_KDF)
    assert code == 0, capsys.readouterr()
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["success"] is True
    # The backup opens (it is a real one) and is noise where the data is.
    restored = DatabaseFiles(tmp_path / "restored" / "pharmdesk.db")
    code = cli.main(["--db", str(restored.db), "restore", str(target)], kdf=TEST_KDF)
    assert code == 0, capsys.readouterr()
    assert _scan(backups) == []
    assert _scan(temp) == []
    assert _scan(restored.db.parent) == []
    restored_desk = sign_in(restored, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        view = restored_desk.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
        assert view["name"] == SECRETS["name"]
    finally:
        restored_desk.close()


def test_cipher_settings_at_open_are_the_expected_ones(admin: DeskSession) -> None:
    engine = admin.db.engine
    assert cipher_version(engine).startswith("4.")
    for pragma, expected in EXPECTED_CIPHER_SETTINGS.items():
        assert execute_pragma(engine, pragma) == [(expected,)]
    assert execute_pragma(engine, "cipher_use_hmac") == [("1",)]


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("version", "needs SQLCipher 4"),
        ("settings", "encryption settings are not the expected ones"),
    ],
)
def test_the_app_refuses_to_start_on_the_wrong_cipher(
    db_files: DatabaseFiles, monkeypatch: pytest.MonkeyPatch, patch: str, message: str
) -> None:
    if patch == "version":
        monkeypatch.setattr(engine_module, "cipher_version", lambda _engine: "3.4.2 community")
    else:
        monkeypatch.setitem(EXPECTED_CIPHER_SETTINGS, "cipher_hmac_algorithm", "HMAC_SHA1")
    before = _digests(db_files)
    with pytest.raises(PharmDeskError) as info:
        sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    assert info.value.code == "DATABASE_ERROR"
    assert message in info.value.message and "Reinstall PharmDesk" in info.value.message
    assert _digests(db_files) == before


def test_stdlib_sqlite_cannot_read_it_and_changes_nothing(db_files: DatabaseFiles) -> None:
    before = _digests(db_files)
    conn = sqlite3.connect(db_files.db)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("SELECT * FROM sqlite_master").fetchall()
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("PRAGMA integrity_check").fetchall()
    conn.close()
    assert _digests(db_files) == before


STDLIB_PROBE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
try:
    conn.execute("SELECT count(*) FROM customer").fetchall()
except sqlite3.DatabaseError as exc:
    print(exc)
conn.close()
"""


def test_stdlib_sqlite_changes_nothing_while_the_app_is_writing(
    admin: DeskSession, db_files: DatabaseFiles
) -> None:
    """Another program (its own process: POSIX locks are per process) opening the live
    file: it cannot read it, and cannot checkpoint or remove the app's write-ahead log."""
    _enter_the_secrets(admin)
    assert db_files.wal.exists()
    before = digests_from_outside(db_files.db.parent)
    done = subprocess.run(
        [sys.executable, "-c", STDLIB_PROBE, str(db_files.db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "file is not a database" in done.stdout, done
    after = digests_from_outside(db_files.db.parent)
    before.pop("pharmdesk.db-shm"), after.pop("pharmdesk.db-shm")  # shared memory, no data
    assert after == before
    # The app carries on, and nothing it wrote was lost.
    admin.call("addProviderCustomer", {"name": "After The Probe", "phone": "+2348039876500"})
    assert admin.call("fetchCustomers", {})["total"] == 2


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
    before = _digests(db_files)
    with pytest.raises(PharmDeskError) as info:
        open_engine(db_files.db, b"\x01" * 32)
    assert info.value.code == "DATABASE_ERROR"
    assert "damaged or is not a PharmDesk database" in info.value.message
    assert _digests(db_files) == before
    assert not db_files.wal.exists()
