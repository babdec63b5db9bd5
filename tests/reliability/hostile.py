"""Hostile and damaged files, built in a test's tmp_path: zip bombs, cut-short archives,
workbooks with broken XML, files of the wrong kind."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from pharmdesk.store import backup
from tests.importing.files import write_xlsx

MIB = 1 << 20


def deflated_bomb(zf: zipfile.ZipFile, name: str, size: int) -> None:
    """A member that unpacks to ``size`` bytes of spaces (about 1,000 times its packed
    size), written in blocks so the test itself stays small."""
    block = b" " * MIB
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=size > 0x7FFFFFFF) as handle:
        for _ in range(size // MIB):
            handle.write(block)


def manifest_bomb_backup(path: Path, manifest_size: int = 400 * MIB) -> Path:
    """A .pdbak of a few hundred KB whose manifest unpacks to ``manifest_size``: the
    manifest opens with valid JSON, the rest is white space."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        info = zipfile.ZipInfo(backup.MANIFEST)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as handle:
            handle.write(json.dumps({"format": backup.FORMAT, "formatVersion": 1}).encode())
            block = b" " * MIB
            for _ in range(manifest_size // MIB):
                handle.write(block)
        zf.writestr(backup.DATABASE, b"\x00" * 4096)
        zf.writestr(backup.VAULT, b"{}")
        zf.writestr(backup.CHECKPOINT, b"null")
    return path


def good_workbook(path: Path) -> Path:
    return write_xlsx(path, ["Name", "Phone"], [["Ada Obi", "08030000000"]])


def rewrite_member(source: Path, target: Path, name_end: str, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of a zip archive with one member's bytes changed by ``change``."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(name_end):
                data = change(data)
            dst.writestr(info.filename, data)
    return target


def broken_xml_workbook(path: Path) -> Path:
    """A real workbook whose sheet XML is cut in half: openpyxl raises ParseError."""
    good = good_workbook(path.with_name("good-" + path.name))
    return rewrite_member(good, path, "sheet1.xml", lambda data: data[: len(data) // 2])


def sheet_bomb_workbook(path: Path, size: int = 64 * MIB) -> Path:
    """A real workbook with an extra sheet part that expands ~1,000 times."""
    good_workbook(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        deflated_bomb(zf, "xl/worksheets/sheet2.xml", size)
    return path


def many_parts_workbook(path: Path, parts: int = 5000) -> Path:
    good_workbook(path)
    with zipfile.ZipFile(path, "a") as zf:
        for number in range(parts):
            zf.writestr(f"xl/media/image{number}.png", b"")
    return path
