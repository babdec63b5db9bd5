"""Reading a customer file as rows of text, one pass at a time, never the whole file.

CSV files come from every kind of old system: the encoding (UTF-8 with or without a
byte-order mark, Windows-1252 from Excel on Windows, Latin-1) and the delimiter
(``,`` ``;`` tab ``|``) are detected. Excel files (``.xlsx``) are read with openpyxl in
read-only mode, after their zip container has been checked against size, count and
expansion limits (``store.archive``): a zip bomb or a damaged workbook is a
``VALIDATION_ERROR`` that says what to do, never "internal error". Either may have a
title, a date or blank lines above the header: the header is the row among the first
few whose cells name the most customer fields.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pharmdesk.errors import NOT_FOUND, PharmDeskError, validation
from pharmdesk.importing.mapping import guess_field
from pharmdesk.store.archive import GIB, MIB, Limits, open_checked

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
ENCODING_NAMES = {
    "utf-8-sig": "UTF-8 (with byte-order mark)",
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}
HEADER_SCAN_ROWS = 20
SAMPLE_CHARS = 64 * 1024
SNIFF_CHARS = 16 * 1024
CHUNK_BYTES = 1 << 20
MAX_CELL = 10_000  # longer than any field takes; csv's own limit is 128 KiB

csv.field_size_limit(1 << 20)

EXCEL_ADVICE = (
    "Nothing was imported. Open it in Excel or LibreOffice and save it again as .xlsx "
    "(or as .csv), then import that."
)
# A workbook is a zip of XML parts. openpyxl streams the sheet but keeps the shared
# strings in memory, so those are bounded more tightly. Customer lists compress 5-20
# times; a zip bomb a thousand.
EXCEL_LIMITS = Limits(
    kind="an Excel workbook (.xlsx)",
    advice=EXCEL_ADVICE,
    max_members=1000,
    max_total=2 * GIB,
    max_ratio=250,
    sizes={"xl/worksheets/*.xml": GIB, "xl/sharedStrings.xml": 256 * MIB},
    other=64 * MIB,
    lead="This file cannot be opened as {kind}: it is damaged or not a workbook",
)


def _unreadable_workbook() -> PharmDeskError:
    return EXCEL_LIMITS.refuse("its contents cannot be read")


@dataclass(frozen=True)
class SourceRow:
    """A data row: its number as a spreadsheet program shows it, and its cells as text."""

    number: int
    values: tuple[str, ...]


def detect_encoding(path: Path) -> str:
    """BOM first; then UTF-8 if every byte of the file decodes strictly; then
    Windows-1252 (what Excel on Windows writes); Latin-1 decodes anything."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK_BYTES):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _column_counts(sample: str, delimiter: str) -> list[int]:
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    counts = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                counts.append(len(row))
            if len(counts) >= HEADER_SCAN_ROWS:
                break
    except csv.Error:
        return []
    return counts


def sniff_delimiter(sample: str) -> str:
    """csv.Sniffer among , ; tab |, checked: it must split the rows into the same number
    of columns (more than one). Otherwise the delimiter that does that best."""
    if not sample.strip():
        return ","
    try:
        sniffed = csv.Sniffer().sniff(sample[:SNIFF_CHARS], delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None

    def score(delimiter: str) -> tuple[int, int]:
        counts = _column_counts(sample, delimiter)
        if not counts:
            return (0, 0)
        widest = max(counts)
        steady = sum(1 for count in counts if count == widest)
        return (steady if widest > 1 else 0, widest)

    best = max(DELIMITERS, key=score)
    if sniffed is not None and 0 < score(best)[0] <= score(sniffed)[0]:
        return sniffed
    return best


def cell_text(value: Any) -> str:
    """An Excel cell as the text a person would type: 2348012345678 (not 2.348e12),
    1985-06-15 for a date, yes/no for a tick box."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _has_text(cell: str) -> bool:
    return any(ch.isalnum() for ch in cell)


def _header_index(rows: Sequence[tuple[str, ...]]) -> int:
    """The row that names the most customer fields; else the first with two cells of
    text; else the first with any text (-1: the file holds nothing)."""
    best, best_score = -1, 0
    for index, row in enumerate(rows):
        score = sum(1 for cell in row if _has_text(cell) and guess_field(cell) is not None)
        if score > best_score:
            best, best_score = index, score
    if best >= 0:
        return best
    for index, row in enumerate(rows):
        if sum(1 for cell in row if _has_text(cell)) >= 2:
            return index
    return next((i for i, row in enumerate(rows) if any(_has_text(c) for c in row)), -1)


class TableFile:
    """A customer file: its header and, on each call of ``rows()``, a fresh pass over
    its data rows (blank rows skipped). Nothing but the first rows is kept in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        suffix = path.suffix.casefold()
        if not path.is_file():
            raise PharmDeskError(
                NOT_FOUND, f"No file at {path}. Check the name and folder.", "file"
            )
        if suffix == ".xls":
            raise validation(
                "This is an old Excel file (.xls). Open it in Excel or LibreOffice and save it "
                "as .xlsx or .csv, then import that.",
                "file",
            )
        if suffix not in CSV_SUFFIXES + EXCEL_SUFFIXES:
            raise validation(
                f"PharmDesk imports .csv and .xlsx files, not {suffix or 'files without a type'}. "
                "Save the list as .csv or .xlsx first.",
                "file",
            )
        self.kind = "xlsx" if suffix in EXCEL_SUFFIXES else "csv"
        self.encoding: str | None = None
        self.delimiter: str | None = None
        if self.kind == "csv":
            self.encoding = detect_encoding(path)
            with path.open(encoding=self.encoding, newline="") as handle:
                self.delimiter = sniff_delimiter(handle.read(SAMPLE_CHARS))
        first = []
        for row in self._all_rows():
            first.append(row)
            if len(first) >= HEADER_SCAN_ROWS:
                break
        index = _header_index([row.values for row in first])
        if index < 0:
            raise validation("The file is empty: no header row and no customers found.", "file")
        header = first[index]
        self.header_row = header.number
        self.width = max(len(header.values), *(len(r.values) for r in first[index:]))
        self.headers = tuple(
            v.strip() for v in header.values + ("",) * (self.width - len(header.values))
        )

    @property
    def description(self) -> str:
        """How the file was read, for the person checking it: "CSV, UTF-8, semicolon"."""
        if self.kind == "xlsx":
            return f"Excel workbook, header on row {self.header_row}"
        encoding = ENCODING_NAMES.get(self.encoding or "", self.encoding or "")
        delimiter = DELIMITER_NAMES.get(self.delimiter or ",", "comma")
        return f"CSV, {encoding}, {delimiter}-separated, header on row {self.header_row}"

    def _all_rows(self) -> Iterator[SourceRow]:
        if self.kind == "csv":
            yield from self._csv_rows()
        else:
            yield from self._excel_rows()

    def _csv_rows(self) -> Iterator[SourceRow]:
        assert self.encoding is not None and self.delimiter is not None
        try:
            with self.path.open(encoding=self.encoding, newline="") as handle:
                reader = csv.reader(handle, delimiter=self.delimiter)
                for number, row in enumerate(reader, start=1):
                    yield SourceRow(number, tuple(cell[:MAX_CELL] for cell in row))
        except csv.Error as exc:
            raise validation(
                f"The file cannot be read as CSV near row {reader.line_num} ({exc}). Open it "
                "in a spreadsheet program and save it as CSV again.",
                "file",
            ) from None

    def _workbook(self) -> Any:
        """The workbook, opened read-only once its container passed the limits."""
        # Imported here: only Excel files need it, and the command line starts faster.
        import openpyxl

        with open_checked(self.path, EXCEL_LIMITS):
            pass
        try:
            return openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception:  # openpyxl and its XML parser raise many kinds for a bad file
            raise _unreadable_workbook() from None

    def _excel_rows(self) -> Iterator[SourceRow]:
        workbook = self._workbook()
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # some writers store wrong sizes; read every cell
            for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
                yield SourceRow(number, tuple(cell_text(v)[:MAX_CELL] for v in row))
        except PharmDeskError:
            raise
        except Exception:  # a malformed sheet (ParseError, a bad cell type, ...)
            raise _unreadable_workbook() from None
        finally:
            workbook.close()

    def rows(self) -> Iterator[SourceRow]:
        """The data rows below the header, padded to the header's width."""
        for row in self._all_rows():
            if row.number <= self.header_row or not any(v.strip() for v in row.values):
                continue
            values = row.values
            if len(values) < self.width:
                values = values + ("",) * (self.width - len(values))
            yield SourceRow(row.number, values)

    def preview(self, count: int = 10) -> list[SourceRow]:
        shown = []
        for row in self.rows():
            shown.append(row)
            if len(shown) >= count:
                break
        return shown

    def estimated_rows(self) -> int:
        """Data rows, counted cheaply (lines of a CSV; the sheet's stored size)."""
        if self.kind == "xlsx":
            workbook = self._workbook()
            try:
                stored = workbook.worksheets[0].max_row
            except Exception:  # only an estimate: a progress bar without a total
                stored = 0
            finally:
                workbook.close()
            return max(0, (stored or 0) - self.header_row)
        lines, last = 0, b"\n"
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        return max(0, lines + (last != b"\n") - self.header_row)


def open_table(path: str | Path) -> TableFile:
    return TableFile(Path(path).expanduser())
