"""Hostile and damaged files (API.md v3, Files and hostile input): archives are checked
before reading, and a bad file is a VALIDATION_ERROR that says what is wrong with the
file and what to do, never "internal error", never a half-written result.

The attack of the finding: a 600 KB .pdbak whose manifest unpacks to 400 MB drove
``restore`` to 850 MB of memory before any password check. Now the manifest's size is
read from the zip's directory and the file refused unread.
"""

from __future__ import annotations

import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import backups
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import NOT_FOUND, VALIDATION_ERROR, PharmDeskError
from pharmdesk.importing import open_table
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import archive, backup
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reliability.hostile import (
    MIB,
    broken_xml_workbook,
    good_workbook,
    manifest_bomb_backup,
    many_parts_workbook,
    sheet_bomb_workbook,
)

MEMORY_BUDGET = 16 * MIB  # the bomb would need 400 MiB; a bounded read needs kilobytes


def peak_memory(action: Callable[[], Any]) -> tuple[BaseException | None, int]:
    """Run ``action`` under tracemalloc; what it raised and the peak it allocated."""
    tracemalloc.start()
    raised: BaseException | None = None
    try:
        action()
    except Exception as exc:
        raised = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return raised, peak


def assert_file_refused(error: BaseException | None, *words: str) -> PharmDeskError:
    assert isinstance(error, PharmDeskError), repr(error)
    assert error.code == VALIDATION_ERROR and error.field == "file"
    assert "internal error" not in error.message.lower()
    for word in words:
        assert word in error.message
    return error


@pytest.fixture(scope="module")
def manifest_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = manifest_bomb_backup(tmp_path_factory.mktemp("bomb") / "holiday-photos.pdbak")
    assert path.stat().st_size < MIB  # small on disk: ~1,000 times smaller than unpacked
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo(backup.MANIFEST).file_size >= 400 * MIB
    return path


def test_a_manifest_bomb_is_refused_unread_by_the_restore_check(manifest_bomb: Path) -> None:
    error, peak = peak_memory(
        lambda: backups.check_backup(manifest_bomb, ADMIN, ADMIN_PASSWORD, kdf=TEST_KDF)
    )
    refused = assert_file_refused(error, "manifest.json", "400.0 MiB", "Nothing was changed")
    assert "1.0 MiB" in refused.message
    assert peak < MEMORY_BUDGET, f"peak {peak / MIB:.1f} MiB"


def test_a_manifest_bomb_is_refused_unread_by_restore(
    manifest_bomb: Path, tmp_path: Path, clock: FixedClock
) -> None:
    target = DatabaseFiles(tmp_path / "restored" / "pharmdesk.db")
    error, peak = peak_memory(
        lambda: backups.run_restore(
            target, manifest_bomb, ADMIN, ADMIN_PASSWORD, replace=False, clock=clock, kdf=TEST_KDF
        )
    )
    assert_file_refused(error, "manifest.json")
    assert peak < MEMORY_BUDGET, f"peak {peak / MIB:.1f} MiB"
    assert not target.db.parent.exists()  # nothing half-written


def test_rotation_leaves_a_bomb_alone_without_reading_it(manifest_bomb: Path) -> None:
    found, peak = peak_memory(lambda: backup.read_manifest(manifest_bomb))
    assert found is None and peak < MEMORY_BUDGET


@pytest.fixture
def made_backup(admin: DeskSession, tmp_path: Path) -> Path:
    target = tmp_path / "good.pdbak"
    backups.run_backup(admin, target)
    return target


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda data: data[: len(data) // 2], "not a complete zip archive"),
        (lambda data: data[:-30], "not a complete zip archive"),
        (lambda data: b"", "not a complete zip archive"),
        (lambda data: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "not a complete zip"),
    ],
    ids=["half", "end-cut", "empty", "random-bytes"],
)
def test_damaged_backups_say_what_is_wrong(
    made_backup: Path, tmp_path: Path, damage: Callable[[bytes], bytes], words: str
) -> None:
    made_backup.write_bytes(damage(made_backup.read_bytes()))
    with pytest.raises(PharmDeskError) as caught:
        backups.check_backup(made_backup, ADMIN, ADMIN_PASSWORD, kdf=TEST_KDF)
    assert_file_refused(caught.value, words, "is not a PharmDesk backup", "another copy")


def test_a_workbook_given_as_a_backup_is_the_wrong_kind(tmp_path: Path) -> None:
    workbook = good_workbook(tmp_path / "customers.pdbak")
    with pytest.raises(PharmDeskError) as caught:
        backups.check_backup(workbook, ADMIN, ADMIN_PASSWORD, kdf=TEST_KDF)
    assert_file_refused(caught.value, "is not a PharmDesk backup")


def test_an_extra_member_in_a_backup_is_refused(made_backup: Path) -> None:
    with zipfile.ZipFile(made_backup, "a") as zf:
        zf.writestr("../../etc/cron.d/evil", b"* * * * * root sh")
    with pytest.raises(PharmDeskError) as caught:
        backups.check_backup(made_backup, ADMIN, ADMIN_PASSWORD, kdf=TEST_KDF)
    assert_file_refused(caught.value, "5 parts")


# -- Excel workbooks --------------------------------------------------------------------
def test_a_workbook_with_broken_xml_is_a_validation_error(tmp_path: Path) -> None:
    path = broken_xml_workbook(tmp_path / "customers.xlsx")
    with pytest.raises(PharmDeskError) as caught:
        list(open_table(path).rows())
    assert_file_refused(
        caught.value, "cannot be opened as an Excel workbook", "save it again as .xlsx"
    )


def test_a_zip_bomb_workbook_is_refused_before_reading(tmp_path: Path) -> None:
    path = sheet_bomb_workbook(tmp_path / "customers.xlsx")
    error, peak = peak_memory(lambda: open_table(path))
    assert_file_refused(error, "sheet2.xml", "expands")
    assert peak < MEMORY_BUDGET


def test_a_workbook_of_thousands_of_parts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PharmDeskError) as caught:
        open_table(many_parts_workbook(tmp_path / "customers.xlsx"))
    assert_file_refused(caught.value, "5,00")


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_text_named_as_a_workbook_is_the_wrong_kind(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"customers{suffix}"
    path.write_text("Name,Phone\nAda,0803\n")
    with pytest.raises(PharmDeskError) as caught:
        open_table(path)
    assert_file_refused(caught.value, "cannot be opened as an Excel workbook")


def test_the_limits_leave_a_real_workbook_alone(tmp_path: Path) -> None:
    table = open_table(good_workbook(tmp_path / "customers.xlsx"))
    assert [row.values for row in table.rows()] == [("Ada Obi", "08030000000")]
    with zipfile.ZipFile(table.path) as zf:
        archive.check_members(zf, archive.Limits("x", "y", 10, MIB, 250))


# -- fuzzing the readers ------------------------------------------------------------------
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _only_file_errors(read: Callable[[], Any]) -> None:
    """Reading succeeds, or says what is wrong with the file; nothing else escapes."""
    try:
        read()
    except PharmDeskError as exc:
        assert exc.code in (VALIDATION_ERROR, NOT_FOUND) or isinstance(exc, backup.Damaged), (
            exc.code,
            exc.message,
        )
        assert "internal error" not in exc.message.lower()


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".csv", ".xlsx", ".tsv"]))
def test_random_bytes_as_a_customer_file(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    _only_file_errors(lambda: list(open_table(path).rows()))


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return good_workbook(tmp_path_factory.mktemp("wb") / "good.xlsx").read_bytes()


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(1, 255)), max_size=8),
    cut=st.one_of(st.none(), st.integers(0, 1 << 20)),
)
def test_a_damaged_workbook(
    tmp_path: Path, workbook_bytes: bytes, flips: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(workbook_bytes)
    for where, mask in flips:
        data[where % len(data)] ^= mask
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    _only_file_errors(lambda: (list(open_table(path).rows()), open_table(path).estimated_rows()))


@pytest.fixture(scope="module")
def backup_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small real backup (the template database)."""
    from tests.conftest import ADMIN as USER  # noqa: F401  (the template's admin)

    folder = tmp_path_factory.mktemp("fuzz-backup")
    files = DatabaseFiles(folder / "db" / "pharmdesk.db")
    from pharmdesk.controllers.session import create_database, sign_in

    create_database(files, admin=ADMIN, full_name="Ada", password=ADMIN_PASSWORD, kdf=TEST_KDF)
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        target = folder / "b.pdbak"
        backups.run_backup(desk, target)
    finally:
        desk.close()
    return target.read_bytes()


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, 1 << 22), st.integers(1, 255)), max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 1 << 22)),
)
def test_a_damaged_backup_file(
    tmp_path: Path, backup_bytes: bytes, flips: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(backup_bytes)
    for where, mask in flips:
        data[where % len(data)] ^= mask
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    path = tmp_path / "damaged.pdbak"
    path.write_bytes(bytes(data))
    staging = tmp_path / "staging"
    staging.mkdir(exist_ok=True)
    _only_file_errors(lambda: backup.BackupArchive(path, staging))
