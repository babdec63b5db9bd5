"""Item 5: a full disk is a clear error, leaves nothing half-written, and fails closed.

Two ways to run out of room:
- SQLite's own limit (``PRAGMA max_page_count``): the database cannot grow, SQLite
  answers SQLITE_FULL exactly as on a full disk. Works anywhere, so it always runs.
- A real full disk: a small tmpfs (needs root, as in CI here), with the database, its
  WAL, the key file, the sign-in counter and the checkpoint on it, and a second tiny
  tmpfs as the backup drive. Skipped, with the reason shown, where mounting is refused.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import pharmdesk.store.files as files_module
from pharmdesk import cli
from pharmdesk.clock import FixedClock
from pharmdesk.controllers import api
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import DISK_FULL, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import checkpoint_wal, execute_pragma
from pharmdesk.store.schema import AuditEntry, Customer, CustomerAllergy, Staff
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reliability.checks import check_database, sha256, unlock_key

FULL = "disk is full"
NEW_CUSTOMER = {
    "name": "Chiamaka Full-Disk",
    "phone": "+2348091112233",
    "address": "3 Overflow Lane, Yaba",
    "allergies": ["Penicillin", "Latex"],
    "medicalConditions": ["Asthma"],
    "notes": "Long notes that need room on a page. " * 60,
}
FEMI = {
    "username": "femi",
    "fullName": "Femi",
    "role": "frontdesk",
    "password": "femi likes long walks 2026",
}


def _counts(desk: DeskSession) -> dict[str, int]:
    """Rows that a failed operation must not have added (read without an audit entry)."""
    with desk.db.transaction() as tx:
        return {
            "customers": tx.scalar(select(func.count(Customer.id))) or 0,
            "allergies": tx.scalar(select(func.count(CustomerAllergy.id))) or 0,
            "audit": tx.scalar(select(func.count(AuditEntry.id))) or 0,
            "staff": tx.scalar(select(func.count(Staff.id))) or 0,
        }


def _refused_as_full(desk: DeskSession, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Through the same path as the window and ``pharmdesk call``: a structured answer."""
    ok, answer = api.answer(desk, name, params)
    assert not ok, f"{name} succeeded on a full disk"
    assert answer["error"]["code"] == DISK_FULL, answer
    assert FULL in answer["error"]["message"]
    return answer


def _limit_growth(desk: DeskSession, extra_pages: int = 0) -> None:
    """Let the database grow by at most ``extra_pages`` pages from now on."""
    pages = execute_pragma(desk.db.engine, "page_count")[0][0]
    raw = desk.db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute(f"PRAGMA max_page_count = {int(pages) + extra_pages}").fetchall()
    finally:
        raw.close()


def _unlimit(desk: DeskSession) -> None:
    raw = desk.db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute("PRAGMA max_page_count = 1073741823").fetchall()
    finally:
        raw.close()


# -- always: SQLite's own limit ---------------------------------------------------------
def test_a_write_that_does_not_fit_is_refused_whole(
    admin: DeskSession, db_files: DatabaseFiles
) -> None:
    admin.call("addProviderCustomer", {"name": "Already Here", "phone": "+2348091110000"})
    _limit_growth(admin)
    before = _counts(admin)
    answer = None
    for i in range(200):  # fill the free room left in the last pages
        ok, answer = api.answer(
            admin, "addProviderCustomer", {**NEW_CUSTOMER, "phone": f"+234809{i:07d}"}
        )
        if not ok:
            break
        before = _counts(admin)
    assert answer is not None and answer["error"]["code"] == DISK_FULL, answer
    assert FULL in answer["error"]["message"]
    # Not the customer, not its allergy rows, not its audit entry: nothing.
    assert _counts(admin) == before
    _unlimit(admin)
    admin.call("addProviderCustomer", {**NEW_CUSTOMER, "phone": "+2348099999999"})
    key = admin.key
    admin.close()
    health = check_database(db_files, key)
    assert health.ok, health.describe()


def test_a_view_whose_audit_entry_cannot_be_written_is_refused(admin: DeskSession) -> None:
    created = admin.call("addProviderCustomer", NEW_CUSTOMER)
    _limit_growth(admin)
    views = 0
    for _ in range(500):
        ok, answer = api.answer(
            admin, "viewProviderCustomerDetails", {"customerId": created["customerId"]}
        )
        if not ok:
            break
        views += 1
    else:
        pytest.fail("the audit log never filled the last page")
    assert answer["error"]["code"] == DISK_FULL
    assert str(NEW_CUSTOMER["name"]) not in str(answer) and "Penicillin" not in str(answer)
    _refused_as_full(admin, "fetchCustomers", {"search": "chiamaka"})
    _unlimit(admin)
    with admin.db.transaction() as tx:
        logged = tx.scalar(select(func.count()).where(AuditEntry.action == "view"))
    assert logged == views  # every view shown is logged; the refused one is not


def test_a_key_file_that_cannot_be_written_rolls_the_staff_change_back(
    admin: DeskSession, db_files: DatabaseFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault_before = sha256(db_files.vault)
    before = _counts(admin)

    def no_room(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files_module.os, "fsync", no_room)
    _refused_as_full(admin, "addStaff", FEMI)
    monkeypatch.undo()
    assert _counts(admin) == before
    assert sha256(db_files.vault) == vault_before
    assert [p.name for p in db_files.db.parent.iterdir() if p.name.endswith(".tmp")] == []


# -- where permitted: a real full disk ------------------------------------------------------
def _mount(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        timeout=30,
    )
    return done.returncode == 0


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


@pytest.fixture
def small_disks(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A 3 MiB disk for the database and a 256 KiB "USB stick" for backups."""
    pc, usb = tmp_path / "pc", tmp_path / "usb"
    if not _mount(pc, "3m"):
        pytest.skip("cannot mount a tmpfs here (needs root); SQLite's own limit still tested")
    try:
        if not _mount(usb, "256k"):
            pytest.skip("cannot mount a second tmpfs here")
        try:
            yield pc, usb
        finally:
            _umount(usb)
    finally:
        _umount(pc)


class Ballast:
    """A file that takes every free byte of a disk, until removed."""

    def __init__(self, disk: Path) -> None:
        self.path = disk / "ballast"

    def fill(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (1 << 16, 1 << 12, 1 << 9, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        assert shutil.disk_usage(self.path.parent).free == 0

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _copy_database(source: DatabaseFiles, disk: Path) -> DatabaseFiles:
    target = DatabaseFiles(disk / "pharmdesk.db")
    for src, dest in zip(source.all_files(), target.all_files(), strict=True):
        if src.exists():
            shutil.copy2(src, dest)
    return target


def _sign_in(files: DatabaseFiles, password: str = ADMIN_PASSWORD) -> DeskSession:
    return sign_in(files, ADMIN, password, clock=FixedClock(), kdf=TEST_KDF, sleep=lambda _s: None)


def test_a_real_full_disk(db_files: DatabaseFiles, small_disks: tuple[Path, Path]) -> None:
    pc, _usb = small_disks
    files = _copy_database(db_files, pc)
    ballast = Ballast(pc)
    desk = _sign_in(files)
    desk.call("addProviderCustomer", {"name": "Before The Flood", "phone": "+2348091234000"})
    checkpoint_wal(desk.db.engine)  # every new write must now take new room
    before = _counts(desk)
    vault_before = sha256(files.vault)
    ballast.fill()

    _refused_as_full(desk, "addProviderCustomer", NEW_CUSTOMER)
    _refused_as_full(desk, "recordOrder", {"customerId": "CUST-1", "total": 5000})
    answer = _refused_as_full(desk, "viewProviderCustomerDetails", {"customerId": "CUST-1"})
    assert "Before The Flood" not in str(answer)  # not shown, since not logged
    _refused_as_full(desk, "addStaff", FEMI)
    assert sha256(files.vault) == vault_before
    desk.close()  # the checkpoint cannot be written either: no error, the old one stays

    # Signing in on a full disk: the same clear answer for a right and a wrong password.
    ballast.remove()
    ballast.fill()
    for password in (ADMIN_PASSWORD, "not the admin password at all"):
        with pytest.raises(PharmDeskError) as info:
            _sign_in(files, password)
        assert info.value.code == DISK_FULL and FULL in info.value.message

    # Room again: it opens clean, nothing of the failed operations is there, work goes on.
    ballast.remove()
    health = check_database(files, unlock_key(files))
    assert health.ok, health.describe()
    assert health.customers == {1}
    desk = _sign_in(files)
    try:
        assert _counts(desk)["customers"] == before["customers"]
        assert _counts(desk)["staff"] == before["staff"]
        desk.call("addProviderCustomer", NEW_CUSTOMER)
        desk.call("addStaff", FEMI)
    finally:
        desk.close()
    assert [p.name for p in pc.iterdir() if p.name.endswith(".tmp")] == []


def test_a_full_backup_drive(db_files: DatabaseFiles, small_disks: tuple[Path, Path]) -> None:
    pc, usb = small_disks
    files = _copy_database(db_files, pc)
    desk = _sign_in(files)
    try:
        for i in range(10):
            desk.call(
                "addProviderCustomer", {"phone": f"+234809{i:07d}", "name": f"Backup Person {i}"}
            )
        assert files.db.stat().st_size + files.wal.stat().st_size > 128 * 1024
        with pytest.raises(PharmDeskError) as info:
            cli.run_backup(desk, usb / "backup.zip")
        assert info.value.code == DISK_FULL
        assert list(usb.iterdir()) == []  # no half-written backup left behind
        with desk.db.transaction() as tx:
            outcome = tx.scalar(
                select(AuditEntry.outcome)
                .where(AuditEntry.action == "backup")
                .order_by(AuditEntry.id.desc())
            )
        assert outcome == "failed"
    finally:
        desk.close()
