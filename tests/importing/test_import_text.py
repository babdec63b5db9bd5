"""A customer file pasted together from phones: the import applies the text rules of
API.md v3 exactly as the customer form does (pharmdesk.importing -> addProviderCustomer)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pharmdesk.controllers.session import DeskSession
from pharmdesk.importing import DryRun, ImportRun, branch_settings, guess_mapping, open_table
from pharmdesk.importing.reader import TableFile
from tests.importing.files import write_csv, write_xlsx

TODAY = dt.date(2026, 4, 18)
HEADER = ["Full Name", "Phone No", "Allergies", "Notes"]


def _import(desk: DeskSession, table: TableFile) -> dict[str, int]:
    settings = branch_settings(desk.call, guess_mapping(table.headers), TODAY)
    report = DryRun(desk.call, table, settings, import_id="IMP-text").run()
    counts = report.counts()
    run = ImportRun(
        desk.call,
        table,
        settings,
        import_id="IMP-text",
        skip_rows=report.skipped_rows(),
    )
    assert run.run().counts.created == counts["willCreate"]
    return counts


def test_an_imported_zero_width_allergy_still_sends_the_plan_for_review(
    admin: DeskSession, tmp_path: Path
) -> None:
    admin.call("addProviderCustomer", {"name": "John Doe", "phone": "08031234567"})
    path = write_csv(
        tmp_path / "from-phones.csv",
        [
            HEADER,
            ["Ngozi\u200b Okeke\u202e", "0803 555 0101", "Peni\u200bcillin", "Call first\x1b"],
            ["John Doe\u200b", "0803 123 4567", "", ""],  # John Doe's phone: on file
            ["Tayo\u00adAde", "0805 999 0000", "Pen\u0456cillin", ""],  # Cyrillic і
        ],
    )
    counts = _import(admin, open_table(path))
    assert (counts["willCreate"], counts["duplicates"], counts["errors"]) == (1, 1, 1)
    [ngozi] = [
        c for c in admin.call("fetchCustomers", {"limit": 10})["customers"] if "Ngozi" in c["name"]
    ]
    details = admin.call("viewProviderCustomerDetails", {"customerId": ngozi["id"]})
    assert (details["name"], details["allergies"], details["notes"]) == (
        "Ngozi Okeke",
        ["Penicillin"],
        "Call first",
    )
    plan = admin.call(
        "addPlan",
        {
            "name": "Chest Course",
            "medications": ["Amoxicillin 500mg"],
            "frequency": "monthly",
            "price": 4000,
        },
    )["planId"]
    answer = admin.call("addCustomerPlan", {"customerId": ngozi["id"], "planId": plan})
    assert answer["status"] == "pendingReview"
    assert [w["kind"] for w in answer["warnings"]] == ["allergyConflict"]


def test_the_dry_run_names_the_look_alike_letter_of_a_workbook_cell(
    admin: DeskSession, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "c.xlsx", HEADER, [["Tayo Ade", "08059990000", "Amoxic\u0456llin", ""]]
    )
    table = open_table(path)
    settings = branch_settings(admin.call, guess_mapping(table.headers), TODAY)
    report = DryRun(admin.call, table, settings, import_id="IMP-x").run()
    [problem] = report.problems
    assert problem.outcome == "error"
    assert "'\u0456' (Cyrillic, U+0456) is mixed into the Latin word" in problem.message
