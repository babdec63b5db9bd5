"""``pharmdesk import FILE``: the dry-run report, then the import on --yes."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import AuditEntry
from tests.cli.conftest import Run
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.importing.files import write_csv

ROWS = [
    ["Client", "Cell", "DOB", "Ref"],
    ["Adebayo Okafor", "0803 214 5567", "15/06/1985", "R-1"],
    ["Chiamaka Eze", "+234 805 331 2090", "03/02/1990", "R-2"],
    ["Bad Phone", "0801", "", "R-3"],
]


@pytest.fixture
def customer_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "customers.csv", ROWS, delimiter=";")


def names(files: DatabaseFiles) -> list[str]:
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, sleep=lambda _s: None, kdf=TEST_KDF)
    try:
        answer = desk.call("fetchCustomers", {"limit": 100})
        return [c["name"] for c in answer["customers"]]
    finally:
        desk.close()


def actions(files: DatabaseFiles, action: str) -> list[dict[str, object]]:
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, sleep=lambda _s: None, kdf=TEST_KDF)
    try:
        with desk.db.transaction() as tx:
            details = tx.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.id)
            ).all()
        return [json.loads(d) for d in details]
    finally:
        desk.close()


def test_dry_run_reports_and_writes_nothing(
    run: Run, db_arg: str, db_files: DatabaseFiles, customer_file: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"
    result = run("import", str(customer_file), db_arg, "--dry-run", "--report", str(report))
    assert result.code == 0
    answer = result.json
    assert answer["success"] is True
    assert answer["read"] == "CSV, UTF-8, semicolon-separated, header on row 1"
    assert answer["columns"] == {
        "Client": "name",
        "Cell": "phone",
        "DOB": "dateOfBirth",
        "Ref": None,
    }
    assert answer["dryRun"] == {
        "rows": 3,
        "willCreate": 2,
        "duplicates": 0,
        "likelyDuplicates": 0,
        "errors": 1,
    }
    assert answer["problems"] == [
        {
            "row": 4,
            "outcome": "error",
            "field": "phone",
            "message": "Phone number 0801 is not a valid number.",
        }
    ]
    assert answer["imported"] is None
    assert answer["report"] == str(report)
    with report.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle))[1][:4] == [
            "4",
            "Error",
            "Phone",
            "Phone number 0801 is not a valid number.",
        ]
    assert "3 rows: 2 new" in result.err
    assert "Okafor" not in result.err and "0801" not in result.err  # no patient data on stderr
    assert names(db_files) == []


def test_yes_imports_and_a_second_run_adds_nothing(
    run: Run, db_arg: str, db_files: DatabaseFiles, customer_file: Path
) -> None:
    first = run("import", str(customer_file), db_arg, "--yes")
    assert first.code == 0
    imported = first.json["imported"]
    assert imported["created"] == 2 and imported["errors"] == 1
    assert imported["importId"] == first.json["importId"]
    assert "imported 2 customer(s)" in first.err
    assert names(db_files) == ["Adebayo Okafor", "Chiamaka Eze"]
    second = run("import", str(customer_file), db_arg, "--yes")
    assert second.code == 0
    assert second.json["dryRun"]["duplicates"] == 2
    assert second.json["imported"] is None  # nothing new to import: nothing asked, nothing run
    assert names(db_files) == ["Adebayo Okafor", "Chiamaka Eze"]
    creates = actions(db_files, "create")
    assert [c["importId"] for c in creates] == [first.json["importId"]] * 2
    summaries = actions(db_files, "import")
    assert len(summaries) == 1 and summaries[0]["created"] == 2


def test_without_yes_and_no_terminal_nothing_is_imported(
    run: Run, db_arg: str, db_files: DatabaseFiles, customer_file: Path
) -> None:
    result = run("import", str(customer_file), db_arg)
    assert result.code == 1
    assert result.json["dryRun"]["willCreate"] == 2
    assert result.json["imported"] is None
    assert "add --yes" in result.err
    assert names(db_files) == []


def test_a_terminal_answer_of_no_imports_nothing(
    run: Run,
    db_arg: str,
    db_files: DatabaseFiles,
    customer_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty("n\n"))
    from pharmdesk import cli
    from pharmdesk.clock import FixedClock

    code = cli.main(["import", str(customer_file), db_arg], clock=FixedClock())
    assert code == 0
    assert names(db_files) == []


def test_mapping_corrects_the_guess(
    run: Run, db_arg: str, db_files: DatabaseFiles, customer_file: Path
) -> None:
    result = run("import", str(customer_file), db_arg, "--yes", "--mapping", '{"Ref": "notes"}')
    assert result.code == 0
    assert result.json["columns"]["Ref"] == "notes"
    desk = sign_in(db_files, ADMIN, ADMIN_PASSWORD, sleep=lambda _s: None, kdf=TEST_KDF)
    try:
        assert desk.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})["notes"] == "R-1"
    finally:
        desk.close()


@pytest.mark.parametrize(
    ("mapping", "words"),
    [
        ('{"Cell": null}', "Choose the column that holds the customer's phone"),
        ('{"Nope": "name"}', 'no column "Nope"'),
        ('{"Ref": "shoe"}', "not a customer field"),
        ('["Ref"]', "must be an object"),
        ("{nope", "not valid JSON"),
    ],
)
def test_bad_mappings_are_refused_before_sign_in(
    run: Run, db_arg: str, customer_file: Path, mapping: str, words: str
) -> None:
    result = run("import", str(customer_file), db_arg, "--mapping", mapping)
    assert result.code == 1
    error = result.error
    assert error["code"] == "VALIDATION_ERROR"
    assert words in error["message"]


def test_mapping_from_stdin(run: Run, db_arg: str, customer_file: Path) -> None:
    result = run(
        "import",
        str(customer_file),
        db_arg,
        "--dry-run",
        "--mapping",
        "-",
        stdin='{"Ref": "notes"}',
    )
    assert result.json["columns"]["Ref"] == "notes"


def test_a_missing_file_is_not_found(run: Run, db_arg: str, tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "none.csv"), db_arg, "--dry-run")
    assert result.code == 1
    assert result.error["code"] == "NOT_FOUND"


def test_an_unwritable_report_is_refused(
    run: Run, db_arg: str, db_files: DatabaseFiles, customer_file: Path, tmp_path: Path
) -> None:
    result = run(
        "import", str(customer_file), db_arg, "--yes", "--report", str(tmp_path / "no" / "r.csv")
    )
    assert result.code == 1
    assert result.error["field"] == "report"
    assert names(db_files) == []


def test_likely_duplicates_can_be_imported(
    run: Run,
    db_arg: str,
    db_files: DatabaseFiles,
    tmp_path: Path,
    admin: DeskSession,
) -> None:
    admin.call("addProviderCustomer", {"name": "Ngozi Okeke", "phone": "08031234567"})
    path = write_csv(tmp_path / "f.csv", [["Name", "Phone"], ["Bisi Okeke", "08031234567"]])
    skipped = run("import", str(path), db_arg, "--yes")
    assert skipped.json["dryRun"]["likelyDuplicates"] == 1
    assert skipped.json["problems"][0]["matches"] == ["CUST-1"]
    assert skipped.json["imported"] is None
    taken = run("import", str(path), db_arg, "--yes", "--likely-duplicates", "import")
    assert taken.json["imported"]["created"] == 1
    assert "Bisi Okeke" in names(db_files)


def test_front_desk_may_not_import(
    run: Run,
    db_arg: str,
    db_files: DatabaseFiles,
    customer_file: Path,
    make_staff: Callable[[str, str], DeskSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_staff("femi", "frontdesk")
    monkeypatch.setenv("PHARMDESK_USER", "femi")
    monkeypatch.setenv("PHARMDESK_PASSWORD", "femi likes long walks 2026")
    result = run("import", str(customer_file), db_arg, "--dry-run")
    assert result.code == 1
    assert result.error["code"] == "PERMISSION_DENIED"
    assert actions(db_files, "denied")[-1] == {"operation": "checkImportRows"}
