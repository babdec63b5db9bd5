"""Reading files: encodings, delimiters, header rows, Excel cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pharmdesk.errors import NOT_FOUND, VALIDATION_ERROR, PharmDeskError
from pharmdesk.importing.reader import (
    cell_text,
    detect_encoding,
    open_table,
    sniff_delimiter,
)
from tests.importing.files import write_csv, write_xlsx

HEADER = ["Full Name", "Phone No", "DOB"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_common_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    rows = [
        HEADER,
        ["Okafor, Adebayo", "0803 111 2222", "15/06/1985"],
        ["Eze Chiamaka", "0805", ""],
    ]
    table = open_table(write_csv(tmp_path / "c.csv", rows, delimiter=delimiter))
    assert table.delimiter == delimiter
    assert table.headers == tuple(HEADER)
    assert next(r.values for r in table.rows()) == (
        "Okafor, Adebayo",
        "0803 111 2222",
        "15/06/1985",
    )


def test_sniffer_fallback_picks_the_steady_delimiter() -> None:
    sample = "name;phone\nAda;0803\nBola;0805\n"
    assert sniff_delimiter(sample) == ";"
    assert sniff_delimiter("") == ","


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    rows = [HEADER, ["Adéwálé Ọ̀ṣun" if encoding != "cp1252" else "Adéwalé Françoise", "0803", ""]]
    path = write_csv(tmp_path / "c.csv", rows, encoding=encoding)
    assert detect_encoding(path) == expected
    table = open_table(path)
    assert next(table.rows()).values[0] == rows[1][0]


def test_bytes_cp1252_cannot_decode_fall_back_to_latin_1(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"name,phone\nA\x81da,0803\n")
    assert detect_encoding(path) == "latin-1"


def test_title_lines_above_the_header_are_skipped(tmp_path: Path) -> None:
    rows = [
        ["Customer list, Lekki branch"],
        [],
        ["Exported 2026-04-01"],
        HEADER,
        ["Ada Obi", "0803", ""],
    ]
    table = open_table(write_csv(tmp_path / "c.csv", rows))
    assert table.header_row == 4
    assert [r.number for r in table.rows()] == [5]


def test_blank_rows_are_skipped_and_short_rows_padded(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Name,Phone,DOB\nAda,0803\n,,\n\nBola,0805,1990-01-01\n", encoding="utf-8")
    table = open_table(path)
    rows = list(table.rows())
    assert [(r.number, r.values) for r in rows] == [
        (2, ("Ada", "0803", "")),
        (5, ("Bola", "0805", "1990-01-01")),
    ]
    assert table.estimated_rows() == 4
    assert [r.number for r in table.preview(1)] == [2]


def test_xlsx_with_a_merged_styled_title_row(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "c.xlsx",
        HEADER,
        [["Ada Obi", 2348031112222, dt.datetime(1985, 6, 15)], ["Bola Ade", "0805 222 3333", None]],
        title="Lekki branch customers",
    )
    table = open_table(path)
    assert table.kind == "xlsx"
    assert table.header_row == 3
    assert table.headers == tuple(HEADER)
    assert [r.values for r in table.rows()] == [
        ("Ada Obi", "2348031112222", "1985-06-15"),
        ("Bola Ade", "0805 222 3333", ""),
    ]
    assert "Excel" in table.description
    assert table.estimated_rows() == 2


def test_cell_text_reads_excel_values_as_typed() -> None:
    assert cell_text(None) == ""
    assert cell_text(True) == "yes"
    assert cell_text(False) == "no"
    assert cell_text(2.348031112222e12) == "2348031112222"
    assert cell_text(1.5) == "1.5"
    assert cell_text(dt.date(1985, 6, 15)) == "1985-06-15"
    assert cell_text(dt.datetime(1985, 6, 15, 10, 30)) == "1985-06-15 10:30:00"


@pytest.mark.parametrize(
    ("name", "content", "code", "words"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0", VALIDATION_ERROR, "old Excel file"),
        ("list.pdf", b"%PDF", VALIDATION_ERROR, "imports .csv and .xlsx"),
        ("broken.xlsx", b"not a zip", VALIDATION_ERROR, "cannot be opened as an Excel"),
        ("empty.csv", b"", VALIDATION_ERROR, "empty"),
        ("blank.csv", b"\n\n ,\n", VALIDATION_ERROR, "empty"),
    ],
)
def test_unreadable_files_are_refused_with_advice(
    tmp_path: Path, name: str, content: bytes, code: str, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PharmDeskError) as raised:
        open_table(path)
    assert raised.value.code == code
    assert raised.value.field == "file"
    assert words in raised.value.message


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(PharmDeskError) as raised:
        open_table(tmp_path / "nowhere.csv")
    assert raised.value.code == NOT_FOUND
