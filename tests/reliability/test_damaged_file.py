"""Item 6: a damaged file is reported clearly, never crashes, and is never written to.

Two kinds of damage: bytes flipped inside a data page (the file opens; the first read of
that page fails SQLCipher's per-page HMAC and is reported as damage with the number of
bad pages), and a damaged header/salt (the file cannot be opened at all). Either way the
message points to restoring a backup, and the damaged bytes stay exactly as they were.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import DatabaseDamaged, open_engine
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reliability.checks import digests, pharmdesk_command, pharmdesk_env, unlock_key

PAGE = 4096


def _fill(admin: DeskSession, count: int = 60) -> None:
    for i in range(count):
        admin.call(
            "addProviderCustomer",
            {
                "name": f"Damage Test {i:03d}",
                "phone": f"+234806{i:07d}",
                "notes": "Keep the inhaler in the fridge. " * 20,
                "medicalConditions": ["Asthma"],
            },
        )


def _customer_root_page(files: DatabaseFiles) -> int:
    engine = open_engine(files.db, unlock_key(files))
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT rootpage FROM sqlite_master WHERE name = 'customer'")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _flip(path: Path, start: int, length: int) -> None:
    data = bytearray(path.read_bytes())
    for i in range(start, start + length):
        data[i] ^= 0xA5
    path.write_bytes(bytes(data))


def _page(path: Path, number: int) -> bytes:
    return path.read_bytes()[(number - 1) * PAGE : number * PAGE]


def _written(files: DatabaseFiles) -> dict[str, str]:
    return {k: v for k, v in digests(files.db.parent).items() if not k.endswith("-shm")}


def _sign_in(files: DatabaseFiles) -> DeskSession:
    return sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)


@pytest.fixture
def damaged_data_page(admin: DeskSession, db_files: DatabaseFiles) -> tuple[DatabaseFiles, int]:
    """60 customers, closed cleanly; then bytes in the customer table's root page flipped."""
    _fill(admin)
    admin.close()
    page = _customer_root_page(db_files)
    assert page > 1
    _flip(db_files.db, (page - 1) * PAGE + 1000, 48)
    return db_files, page


def test_a_damaged_data_page_is_reported_with_the_page_count(
    damaged_data_page: tuple[DatabaseFiles, int],
) -> None:
    files, page = damaged_data_page
    damaged_bytes = _page(files.db, page)
    total_pages = files.db.stat().st_size // PAGE
    desk = _sign_in(files)  # the sign-in touches other pages only
    try:
        # The database and its write-ahead log (the -shm index is shared memory: read
        # transactions update it).
        before = _written(files)
        with pytest.raises(DatabaseDamaged) as info:
            desk.call("fetchCustomers", {})
        error = info.value
        assert error.code == "DATABASE_ERROR"
        assert (error.bad_pages, error.total_pages) == (1, total_pages)
        assert f"1 of its {total_pages} pages" in error.message
        assert "damaged" in error.message and "backup" in error.message
        assert "Traceback" not in error.message and "sqlcipher" not in error.message.lower()
        # From now on the open database refuses everything: nothing more is written.
        for name, params in (
            ("addProviderCustomer", {"name": "New Person", "phone": "+2348069999999"}),
            ("listPlans", {}),
        ):
            with pytest.raises(DatabaseDamaged):
                desk.call(name, params)
        assert _written(files) == before
    finally:
        # Closing reads the chain head for the checkpoint, which the damage refuses; the
        # session may say so, but it must close (and drop the key) either way.
        with contextlib.suppress(PharmDeskError):
            desk.close()
    assert not desk.is_open
    assert _page(files.db, page) == damaged_bytes


def test_the_command_line_reports_it_without_a_trace(
    damaged_data_page: tuple[DatabaseFiles, int],
) -> None:
    files, page = damaged_data_page
    damaged_bytes = _page(files.db, page)
    done = subprocess.run(
        pharmdesk_command(files, "call", "fetchCustomers"),
        env=pharmdesk_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["success"] is False and answer["error"]["code"] == "DATABASE_ERROR"
    assert "pages fail their integrity check" in answer["error"]["message"]
    assert "Traceback" not in done.stderr
    # SQLCipher's own per-page log lines do not flood the terminal.
    assert "hmac" not in done.stderr.lower()
    assert _page(files.db, page) == damaged_bytes


@pytest.mark.parametrize(
    ("where", "start", "length"),
    [("salt", 0, 16), ("first page", 200, 64), ("whole header page", 0, PAGE)],
)
def test_a_damaged_header_cannot_be_opened_and_is_untouched(
    db_files: DatabaseFiles, where: str, start: int, length: int
) -> None:
    _flip(db_files.db, start, length)
    before = digests(db_files.db.parent)
    with pytest.raises(PharmDeskError) as info:
        _sign_in(db_files)
    assert info.value.code == "DATABASE_ERROR"
    assert "damaged or is not a PharmDesk database" in info.value.message
    assert "backup" in info.value.message
    assert "Traceback" not in info.value.message
    assert digests(db_files.db.parent) == before
    assert not db_files.wal.exists()


def test_a_damaged_header_through_the_command_line(db_files: DatabaseFiles) -> None:
    _flip(db_files.db, 0, 16)
    digest = hashlib.sha256(db_files.db.read_bytes()).hexdigest()
    done = subprocess.run(
        pharmdesk_command(db_files, "audit", "verify"),
        env=pharmdesk_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert "damaged or is not a PharmDesk database" in answer["error"]["message"]
    assert "Traceback" not in done.stderr
    assert hashlib.sha256(db_files.db.read_bytes()).hexdigest() == digest


def test_a_file_that_is_not_a_database_at_all(db_files: DatabaseFiles) -> None:
    db_files.db.write_bytes(b"PK\x03\x04 this is a zip file, not a database" * 100)
    before = digests(db_files.db.parent)
    with pytest.raises(PharmDeskError) as info:
        _sign_in(db_files)
    assert "damaged or is not a PharmDesk database" in info.value.message
    assert digests(db_files.db.parent) == before
