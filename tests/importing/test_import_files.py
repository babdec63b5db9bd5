"""Whole files through the dry run and the import, as a branch would bring them in."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.importing import (
    DryRun,
    DryRunReport,
    ImportRun,
    branch_settings,
    guess_mapping,
    open_table,
    write_report,
)
from pharmdesk.importing.reader import TableFile
from pharmdesk.store.schema import AuditEntry, Customer
from tests.importing.files import write_csv, write_xlsx

TODAY = dt.date(2026, 4, 18)
HEADER = ["Full Name", "Phone No", "E-mail", "DOB", "Allergies", "Conditions", "Consent"]


def dry_run(desk: DeskSession, table: TableFile, batch_size: int = 500) -> DryRunReport:
    settings = branch_settings(desk.call, guess_mapping(table.headers), TODAY)
    return DryRun(desk.call, table, settings, import_id="IMP-dry", batch_size=batch_size).run()


def importer(
    desk: DeskSession, table: TableFile, report: DryRunReport, *, import_id: str, batch: int = 500
) -> ImportRun:
    settings = branch_settings(desk.call, guess_mapping(table.headers), TODAY)
    return ImportRun(
        desk.call,
        table,
        settings,
        import_id=import_id,
        skip_rows=report.skipped_rows(),
        batch_size=batch,
    )


def customers(desk: DeskSession) -> list[dict[str, Any]]:
    answer = desk.call("fetchCustomers", {"limit": 100, "sort": "createdAt"})
    return list(answer["customers"])


def audit(desk: DeskSession, action: str) -> list[dict[str, Any]]:
    with desk.db.transaction() as tx:
        details = tx.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
    return [json.loads(d) for d in details]


def test_utf8_semicolon_file_with_day_first_dates(admin: DeskSession, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lekki.csv",
        [
            HEADER,
            [
                "Adébáyọ̀ Okafor",
                "0803 214 5567",
                "ade@example.com",
                "03/04/1985",
                "Penicillin, Sulfa",
                "Hypertension",
                "yes",
            ],
            [
                "Chiamaka Eze",
                "+234 805 331 2090",
                "",
                "15-Jun-1990",
                "None",
                "Asthma; Diabetes",
                "no",
            ],
            ["Ibrahim Musa", "2347065550199", "", "1959-01-01", "", "", ""],
        ],
        delimiter=";",
    )
    table = open_table(path)
    assert table.delimiter == ";" and table.encoding == "utf-8"
    report = dry_run(admin, table)
    assert report.counts() == {
        "rows": 3,
        "willCreate": 3,
        "duplicates": 0,
        "likelyDuplicates": 0,
        "errors": 0,
    }
    result = importer(admin, table, report, import_id="IMP-1").run()
    assert result.counts.created == 3
    first = admin.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    assert first["name"] == "Adébáyọ̀ Okafor"
    assert first["dateOfBirth"] == "1985-04-03"  # day first: Nigeria
    assert first["allergies"] == ["Penicillin", "Sulfa"]
    assert first["marketingConsent"] is True
    second = admin.call("viewProviderCustomerDetails", {"customerId": "CUST-2"})
    assert second["dateOfBirth"] == "1990-06-15"
    assert second["allergyStatus"] == "noneKnown"
    assert second["medicalConditions"] == ["Asthma", "Diabetes"]
    third = admin.call("viewProviderCustomerDetails", {"customerId": "CUST-3"})
    assert third["phone"] == "+2347065550199"
    assert third["allergyStatus"] == "unknown"


def test_a_month_first_region_reads_numbers_month_first(admin: DeskSession, tmp_path: Path) -> None:
    admin.call("updateSettings", {"defaultRegion": "US"})
    admin.forget_settings()
    path = write_csv(
        tmp_path / "us.csv",
        [["Name", "Phone", "DOB"], ["Ann Lee", "+1 202 555 0143", "03/04/1985"]],
    )
    table = open_table(path)
    importer(admin, table, dry_run(admin, table), import_id="IMP-us").run()
    details = admin.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    assert details["dateOfBirth"] == "1985-03-04"


def test_windows_1252_file_keeps_accented_names(admin: DeskSession, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "old-system.csv",
        [["Name", "Tel", "Address"], ["Adéwalé Françoise", "08031112222", "Rue Émile, Cotonou"],
         ["Zoë Ñwachukwu", "08031113333", ""]],
        encoding="cp1252",
    )  # fmt: skip
    table = open_table(path)
    assert table.encoding == "cp1252"
    assert "Windows-1252" in table.description
    report = dry_run(admin, table)
    assert report.will_create == 2
    importer(admin, table, report, import_id="IMP-cp").run()
    names = [c["name"] for c in customers(admin)]
    assert names == ["Adéwalé Françoise", "Zoë Ñwachukwu"]
    found = admin.call("fetchCustomers", {"search": "adewale"})
    assert found["total"] == 1


def test_xlsx_with_a_merged_styled_title_row(admin: DeskSession, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "customers.xlsx",
        HEADER,
        [
            [
                "Ngozi Nwosu",
                2348137654321,
                "ngozi@example.com",
                dt.datetime(1964, 11, 28),
                "Latex",
                "Arthritis",
                True,
            ],
            ["Emeka Obi", "0802 111 4567", None, "30/04/1982", None, None, False],
        ],
        title="Ikeja branch — customers, April 2026",
    )
    table = open_table(path)
    assert table.header_row == 3
    report = dry_run(admin, table)
    assert (report.rows, report.will_create, report.errors) == (2, 2, 0)
    importer(admin, table, report, import_id="IMP-x").run()
    first = admin.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    assert first["phone"] == "+2348137654321"
    assert first["dateOfBirth"] == "1964-11-28"
    assert first["marketingConsent"] is True
    second = admin.call("viewProviderCustomerDetails", {"customerId": "CUST-2"})
    assert second["dateOfBirth"] == "1982-04-30"
    assert second["marketingConsent"] is False


def test_bad_phones_and_emails_are_reported_by_row_field_and_message(
    admin: DeskSession, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["Name", "Phone", "Email", "DOB"],
            ["Ada Obi", "0803 111 2222", "ada@example.com", ""],
            ["Bola Ade", "0801", "bola@example.com", ""],
            ["Chidi Eze", "08031113333", "chidi@example", ""],
            ["Dayo", "12", "dayo@", "31/02/1990"],
            ["", "08031114444", "", ""],
        ],
    )
    table = open_table(path)
    report = dry_run(admin, table)
    assert report.counts() == {
        "rows": 5,
        "willCreate": 1,
        "duplicates": 0,
        "likelyDuplicates": 0,
        "errors": 4,
    }
    found = sorted((p.row, p.field, p.message) for p in report.problems)
    assert found == [
        (3, "phone", "Phone number 0801 is not a valid number."),
        (4, "email", "'chidi@example' is not a valid email address (expected name@example.com)."),
        (5, "dateOfBirth", "'31/02/1990' is not a real date. Check the day and month."),
        (5, "email", "'dayo@' is not a valid email address (expected name@example.com)."),
        (5, "phone", "Phone number 12 is not a valid number."),
        (6, "name", "Enter the customer's name (at least 2 characters)."),
    ]
    assert all(p.outcome == "error" for p in report.problems)
    report_file = tmp_path / "report.csv"
    write_report(report_file, report.problems)
    with report_file.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["Row", "Outcome", "Field", "Message", "Name", "Phone", "Customers on file"]
    assert lines[1] == [
        "3",
        "Error",
        "Phone",
        "Phone number 0801 is not a valid number.",
        "Bola Ade",
        "0801",
        "",
    ]
    assert len(lines) == 7
    result = importer(admin, table, report, import_id="IMP-bad").run()
    assert (result.counts.created, result.counts.errors) == (1, 4)


def test_a_file_imported_twice_creates_nothing_the_second_time(
    admin: DeskSession, tmp_path: Path
) -> None:
    body = [[f"Customer {chr(65 + i // 26)}{chr(65 + i % 26)}", f"0803{i:07d}"] for i in range(30)]
    path = write_csv(tmp_path / "c.csv", [["Name", "Phone"], *body])
    table = open_table(path)
    first = importer(admin, table, dry_run(admin, table), import_id="IMP-a", batch=7).run()
    assert first.counts.created == 30
    again = dry_run(admin, table)
    assert (again.will_create, again.duplicates) == (0, 30)
    second = importer(admin, table, again, import_id="IMP-b", batch=7).run()
    assert second.to_json() == {
        "importId": "IMP-b",
        "rows": 30,
        "created": 0,
        "duplicates": 30,
        "likelyDuplicatesSkipped": 0,
        "errors": 0,
        "cancelled": False,
    }
    assert len(customers(admin)) == 30
    summaries = audit(admin, "import")
    assert [(s["importId"], s["created"], s["duplicates"]) for s in summaries] == [
        ("IMP-a", 30, 0),
        ("IMP-b", 0, 30),
    ]


def test_cancel_half_way_keeps_whole_batches_and_resumes(
    admin: DeskSession, tmp_path: Path
) -> None:
    body = [[f"Patient {chr(65 + i // 26)}{chr(65 + i % 26)}", f"0805{i:07d}"] for i in range(25)]
    path = write_csv(tmp_path / "c.csv", [["Name", "Phone"], *body])
    table = open_table(path)
    report = dry_run(admin, table)
    run = importer(admin, table, report, import_id="IMP-cancel", batch=10)
    assert run.step() and run.step()  # two batches committed, then the person cancels
    result = run.finish(cancelled=True)
    assert result.cancelled is True
    assert result.counts.to_json() == {
        "rows": 20,
        "created": 20,
        "duplicates": 0,
        "likelyDuplicatesSkipped": 0,
        "errors": 0,
    }
    with admin.db.transaction() as tx:
        assert tx.scalar(select(func.count()).select_from(Customer)) == 20
    creates = audit(admin, "create")
    assert len(creates) == 20
    assert {c["importId"] for c in creates} == {"IMP-cancel"}
    assert sorted(c["importRow"] for c in creates) == list(range(2, 22))
    summary = audit(admin, "import")
    assert summary == [
        {"importId": "IMP-cancel", "file": "c.csv", "rows": 20, "created": 20, "duplicates": 0,
         "likelyDuplicatesSkipped": 0, "errors": 0, "cancelled": True}
    ]  # fmt: skip
    run.finish(cancelled=True)  # once only
    assert len(audit(admin, "import")) == 1
    # Run the same file again: only the rest comes in.
    rest = importer(admin, table, dry_run(admin, table), import_id="IMP-rest", batch=10).run()
    assert (rest.counts.created, rest.counts.duplicates) == (5, 20)
    assert len(customers(admin)) == 25
    assert admin.call("verifyAuditLog", {})["ok"] is True


def test_a_failed_batch_leaves_counts_as_committed(admin: DeskSession, tmp_path: Path) -> None:
    body = [[f"Person {chr(65 + i)}", f"0807{i:07d}"] for i in range(6)]
    path = write_csv(tmp_path / "c.csv", [["Name", "Phone"], *body])
    table = open_table(path)
    report = dry_run(admin, table)
    run = importer(admin, table, report, import_id="IMP-lock", batch=3)
    assert run.step()
    admin.lock()  # the next batch cannot run: the session is locked
    with pytest.raises(PharmDeskError) as raised:
        run.step()
    assert raised.value.code == "AUTH_FAILED"
    assert run.counts.rows == 3 and run.counts.created == 3


def test_repeated_rows_and_likely_duplicates(admin: DeskSession, tmp_path: Path) -> None:
    admin.call("addProviderCustomer", {"name": "Ngozi Okeke", "phone": "08031234567"})
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["Name", "Phone"],
            ["Bisi Okeke", "0803 123 4567"],  # same phone as CUST-1: likely
            ["Tayo Ade", "08059990000"],
            ["TAYO  ADE", "+2348059990000"],  # the row above again
            ["Kemi Okeke", "08031234567"],  # likely, and imported anyway
        ],
    )
    table = open_table(path)
    report = dry_run(admin, table, batch_size=2)
    assert report.counts() == {
        "rows": 4,
        "willCreate": 1,
        "duplicates": 1,
        "likelyDuplicates": 2,
        "errors": 0,
    }
    repeated = next(p for p in report.problems if p.outcome == "duplicateInFile")
    assert (repeated.row, repeated.message) == (
        4,
        "The same name and phone as row 3 of this file: imported once.",
    )
    kemi = next(p for p in report.problems if p.row == 5)
    assert [m["id"] for m in kemi.matches] == ["CUST-1"]
    assert kemi.message == (
        "May be someone already on file: the same phone as CUST-1. Import it anyway only if "
        "this is someone new (a family member sharing a phone, say)."
    )
    kemi.import_anyway = True
    assert report.skipped_rows() == frozenset({2})
    result = importer(admin, table, report, import_id="IMP-l").run()
    assert result.to_json() == {
        "importId": "IMP-l",
        "rows": 4,
        "created": 2,
        "duplicates": 1,
        "likelyDuplicatesSkipped": 1,
        "errors": 0,
        "cancelled": False,
    }
    assert sorted(c["name"] for c in customers(admin)) == ["Kemi Okeke", "Ngozi Okeke", "Tayo Ade"]


def test_the_sample_file_in_resources(admin: DeskSession) -> None:
    from pharmdesk.resources import resource_path

    table = open_table(resource_path("sample-customers.csv"))
    report = dry_run(admin, table)
    assert report.counts() == {
        "rows": 12,
        "willCreate": 8,
        "duplicates": 1,
        "likelyDuplicates": 0,
        "errors": 3,
    }
    assert sorted((p.row, p.field) for p in report.problems if p.outcome == "error") == [
        (7, "email"),
        (8, "phone"),
        (9, "dateOfBirth"),
    ]


def test_likely_duplicate_message_names_each_reason() -> None:
    from pharmdesk.importing.plan import likely_message

    message = likely_message(
        (
            {"id": "CUST-4", "reason": "samePhone"},
            {"id": "CUST-9", "reason": "similarNameSameBirthDate"},
            {"id": "CUST-7", "reason": "samePhone"},
        )
    )
    assert message.startswith(
        "May be someone already on file: the same phone as CUST-4, CUST-7; a similar name and "
        "the same date of birth as CUST-9."
    )
