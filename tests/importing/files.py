"""Customer files as real systems write them, built in a test's tmp_path."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill

Cell = str | int | float | dt.date | dt.datetime | bool | None


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\r\n",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=newline)
        writer.writerows(rows)
    return path


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
) -> Path:
    """A workbook as an office exports one: a merged, bold, filled title row and a blank
    row above a styled header, then the data (numbers and dates as Excel types)."""
    workbook = openpyxl.Workbook()
    sheet: Any = workbook.active
    sheet.title = "Customers"
    first = 1
    if title is not None:
        sheet.cell(row=1, column=1, value=title)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.cell(row=1, column=1).font = Font(bold=True, size=16, color="FFFFFF")
        sheet.cell(row=1, column=1).fill = PatternFill("solid", fgColor="1F4E79")
        sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        sheet.cell(row=2, column=1, value=None)
        first = 3
    for column, text in enumerate(header, start=1):
        cell = sheet.cell(row=first, column=column, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for offset, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=first + offset, column=column, value=value)
            if isinstance(value, dt.date | dt.datetime):
                cell.number_format = "DD/MM/YYYY"
    workbook.save(path)
    return path
