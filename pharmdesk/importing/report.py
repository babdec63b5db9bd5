"""The dry-run report as a CSV file staff can open in a spreadsheet and work through.

It holds what the file itself holds (row, name, phone) and what the check said, with
the ids of customers already on file, never their details.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pharmdesk.exports.csv_safe import write_csv
from pharmdesk.importing.mapping import field_label
from pharmdesk.importing.plan import OUTCOME_TEXT, Problem

REPORT_COLUMNS = ("Row", "Outcome", "Field", "Message", "Name", "Phone", "Customers on file")


def report_rows(problems: Iterable[Problem]) -> Iterable[tuple[str, ...]]:
    for problem in sorted(problems, key=lambda p: p.row):
        yield (
            str(problem.row),
            OUTCOME_TEXT.get(problem.outcome, problem.outcome),
            field_label(problem.field),
            problem.message,
            problem.name,
            problem.phone,
            " ".join(m["id"] for m in problem.matches),
        )


def write_report(path: Path, problems: Iterable[Problem]) -> None:
    """Through the one formula-safe CSV writer: a name or phone cell from the imported
    file such as ``=HYPERLINK(...)`` or ``+cmd|...`` is written as text, never a formula;
    the file is owner-only and appears whole or not at all."""
    write_csv(path, REPORT_COLUMNS, report_rows(problems))
