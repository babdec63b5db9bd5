"""Bringing a branch's existing customers in from CSV and Excel files.

Qt-free, and a client of the operations like the GUI and the command line: it reads the
file (``reader``), maps columns to customer fields (``mapping``, ``dates``), runs the
dry run through ``checkImportRows`` (``plan``), writes through ``importCustomers``
(``writer``) and saves the report (``report``). Both front ends drive the same objects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pharmdesk.importing.dates import day_first
from pharmdesk.importing.mapping import FIELDS, apply_overrides, check_mapping, guess_mapping
from pharmdesk.importing.plan import DryRun, DryRunReport, Problem
from pharmdesk.importing.reader import TableFile, open_table
from pharmdesk.importing.report import write_report
from pharmdesk.importing.rows import Call, ImportSettings, new_import_id
from pharmdesk.importing.writer import ImportCounts, ImportResult, ImportRun

__all__ = [
    "FIELDS",
    "Call",
    "DryRun",
    "DryRunReport",
    "ImportCounts",
    "ImportResult",
    "ImportRun",
    "ImportSettings",
    "Problem",
    "TableFile",
    "apply_overrides",
    "branch_settings",
    "check_mapping",
    "guess_mapping",
    "new_import_id",
    "open_table",
    "write_report",
]


def branch_settings(call: Call, mapping: Any, today: dt.date) -> ImportSettings:
    """Import settings for this branch: its region decides the order of day and month."""
    region = str(call("getSettings", {})["settings"].get("defaultRegion", "NG"))
    return ImportSettings(mapping=tuple(mapping), day_first=day_first(region), today=today)
