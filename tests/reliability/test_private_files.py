"""Every file PharmDesk writes is readable by its owner only (API.md v3, Files and hostile
input): 0600 on POSIX whatever the umask, for the database and each file beside it,
backups (a .pdbak holds every keyslot), restored copies, import reports, CSV exports,
PDFs and the saved recovery key.

Each test runs under a permissive umask (022: world-readable files; 002: group-writable
too), the way a desktop session or a service often starts.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QTextDocument

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import backups
from pharmdesk.controllers.session import DeskSession, create_database, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.exports.csv_safe import write_csv
from pharmdesk.importing import write_report
from pharmdesk.importing.plan import Problem
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup
from pharmdesk.store.files import write_file_atomic
from pharmdesk.ui.pdf import write_pdf
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


@pytest.fixture(params=[0o022, 0o002], ids=["umask022", "umask002"])
def permissive_umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private(*paths: Path) -> None:
    found = {p.name: oct(mode(p)) for p in paths}
    assert found == {p.name: oct(0o600) for p in paths}


@pytest.fixture
def fresh(permissive_umask: int, tmp_path: Path, clock: FixedClock) -> Iterator[DeskSession]:
    """A database created from nothing under the umask, signed in (WAL open)."""
    files = DatabaseFiles(tmp_path / "branch" / "pharmdesk.db")
    create_database(
        files, admin=ADMIN, full_name="Ada Admin", password=ADMIN_PASSWORD, kdf=TEST_KDF
    )
    with pytest.raises(PharmDeskError):  # a wrong password: the counter file is written
        sign_in(files, ADMIN, "wrong password", clock=clock, sleep=lambda _s: None, kdf=TEST_KDF)
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, clock=clock, kdf=TEST_KDF)
    try:
        yield desk
    finally:
        desk.close()


def test_the_database_and_every_file_beside_it(fresh: DeskSession) -> None:
    files = fresh.files
    fresh.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08030000000"})
    fresh.write_checkpoint()
    assert files.wal.exists() and files.shm.exists()  # the session holds the WAL open
    assert_private(files.db, files.wal, files.shm, files.vault, files.checkpoint, files.attempts)
    assert_private(Path(str(files.attempts) + ".lock"))
    leftovers = [p.name for p in files.db.parent.iterdir() if mode(p) & 0o077]
    assert leftovers == []


def test_backups_pre_upgrade_copies_and_restores(fresh: DeskSession, tmp_path: Path) -> None:
    made = tmp_path / "usb" / "copy.pdbak"
    made.parent.mkdir()
    backups.run_backup(fresh, made)
    assert_private(made)
    safety = backup.pre_upgrade_backup(fresh.db.engine, "0001", app_version="test")
    assert safety is not None
    assert_private(safety)
    restored = DatabaseFiles(tmp_path / "restored" / "pharmdesk.db")
    backups.run_restore(
        restored, made, ADMIN, ADMIN_PASSWORD, replace=False, clock=fresh.clock, kdf=TEST_KDF
    )
    assert_private(restored.db, restored.vault, restored.checkpoint)


def test_reports_exports_pdfs_and_the_recovery_key(
    permissive_umask: int, tmp_path: Path, qapp: object
) -> None:
    report = tmp_path / "import-report.csv"
    write_report(report, [Problem(2, "error", "Phone number 0801 is too short.", "Ada", "0801")])
    audit_csv = tmp_path / "audit.csv"
    write_csv(audit_csv, ["ID"], [["AUD-1"]], replace=False)  # the audit log export
    campaign = tmp_path / "campaign.csv"
    campaign.write_bytes(b"old")  # replacing a file someone else made readable
    os.chmod(campaign, 0o644)
    write_file_atomic(campaign, b"Customer ID\r\nCUST-1\r\n", replace=True)
    document = QTextDocument()
    document.setPlainText("Run-sheet")
    pdf = tmp_path / "run-sheet.pdf"
    write_pdf(pdf, document)
    assert pdf.read_bytes().startswith(b"%PDF")
    key_file = tmp_path / "pharmdesk-recovery-key.txt"
    write_file_atomic(key_file, b"ABCD-EFGH")
    assert_private(report, audit_csv, campaign, pdf, key_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [report.name, audit_csv.name, campaign.name, pdf.name, key_file.name]
    )  # no temp file left behind


def test_files_an_older_version_left_readable_become_private_at_sign_in(
    permissive_umask: int, db_files: DatabaseFiles, clock: FixedClock
) -> None:
    present = [path for path in db_files.all_files() if path.exists()]
    assert db_files.db in present and db_files.vault in present
    for path in present:
        os.chmod(path, 0o644)
    desk = sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=clock, kdf=TEST_KDF)
    try:
        assert_private(*present)
    finally:
        desk.close()
