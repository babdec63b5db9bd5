"""The terminal table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Row:
    size: int
    group: str
    name: str
    ms: float | None
    floor_ms: float | None = None
    target: str = ""
    ok: bool | None = None
    fsyncs: float | None = None
    floor_fsyncs: float | None = None
    same: bool | None = None  # the controller's answer equals the floor's
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.ms is None or not self.floor_ms:
            return None
        return self.ms / self.floor_ms


def machine() -> dict[str, Any]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "cpu": cpu or platform.processor(),
        "cpus": os.cpu_count(),
        "memory": memory,
        "loadAverageAtStart": load,
        "floorSqlite": sqlite3.sqlite_version,
    }


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


HEADER = ("size", "operation", "median ms", "floor ms", "ratio", "fsync", "target", "ok", "same")


def table(rows: list[Row]) -> str:
    lines = []
    for row in rows:
        fsync = "-" if row.fsyncs is None else f"{row.fsyncs:.3g}"
        if row.floor_fsyncs is not None:
            fsync += f"/{row.floor_fsyncs:.3g}"
        lines.append(
            (
                f"{row.size:,}",
                f"{row.group}: {row.name}",
                _fmt(row.ms),
                _fmt(row.floor_ms),
                _fmt(row.ratio, 1) + ("x" if row.ratio is not None else ""),
                fsync,
                row.target or "-",
                {True: "yes", False: "NO", None: "-"}[row.ok],
                {True: "yes", False: "NO", None: "-"}[row.same],
            )
        )
    widths = [max(len(str(x)) for x in column) for column in zip(HEADER, *lines, strict=True)]
    right = {2, 3, 4, 5}

    def render(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [render(HEADER), render(tuple("-" * w for w in widths))]
    out += [render(line) for line in lines]
    return "\n".join(out)


def markdown(rows: list[Row]) -> str:
    out = [
        "| size | operation | median ms | floor ms | ratio | fsyncs (op / floor) | target | met "
        "| notes |",
        "|---:|---|---:|---:|---:|---:|---|---|---|",
    ]
    for row in rows:
        fsync = "-" if row.fsyncs is None else f"{row.fsyncs:.3g}"
        if row.floor_fsyncs is not None:
            fsync += f" / {row.floor_fsyncs:.3g}"
        ratio = "-" if row.ratio is None else f"{row.ratio:.1f}x"
        met = {True: "yes", False: "**no**", None: "-"}[row.ok]
        out.append(
            f"| {row.size:,} | {row.group}: {row.name} | {_fmt(row.ms)} | {_fmt(row.floor_ms)} "
            f"| {ratio} | {fsync} | {row.target or '-'} | {met} | {row.note} |"
        )
    return "\n".join(out)


def write_json(path: Path, rows: list[Row], extra: dict[str, Any]) -> None:
    data = {
        **extra,
        "machine": machine(),
        "results": [{**asdict(row), "ratio": row.ratio} for row in rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))
