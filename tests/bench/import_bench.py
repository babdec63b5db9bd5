"""``python -m tests.bench.import_bench``: import a 100,000-row customer file; time it,
and watch the memory stay flat while the rows stream through.

Builds a realistic CSV (Nigerian names from resources/demo-names.json, phones in every
common form, day-first dates, lists, consent, a few bad rows) in a temporary folder,
creates a fresh encrypted database there, then runs the dry run and the import exactly
as ``pharmdesk import`` does (same objects, same batches). Prints one JSON object:
seconds per stage, rows per second, and the process's resident memory at 10%, 50% and
100% of each stage (flat = the file is streamed, not held).

    python -m tests.bench.import_bench [--rows N] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pharmdesk.clock import Clock
from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.session import create_database, sign_in
from pharmdesk.importing import (
    DryRun,
    ImportRun,
    branch_settings,
    guess_mapping,
    new_import_id,
    open_table,
)
from pharmdesk.paths import DatabaseFiles
from pharmdesk.resources import load_json
from pharmdesk.store.vault import KdfParams

PASSWORD = "import benchmark password 2026"
CHEAP_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # sign-in is not measured
HEADER = ["Full Name", "Phone No", "E-mail", "Address", "DOB", "Allergies", "Conditions", "Consent"]
ALLERGIES = ["Penicillin", "Sulfa", "Aspirin", "Latex", "Codeine", "Ibuprofen"]
CONDITIONS = ["Hypertension", "Diabetes Type 2", "Asthma", "Arthritis", "Glaucoma", "Ulcer"]
PREFIXES = ["803", "805", "806", "807", "810", "813", "816", "703", "706", "708", "802", "808"]


def _phone(number: int, rng: random.Random) -> str:
    national = f"{PREFIXES[number % len(PREFIXES)]}{number // len(PREFIXES):07d}"
    form = rng.randrange(4)
    if form == 0:
        return "0" + national
    if form == 1:
        return f"0{national[:3]} {national[3:6]} {national[6:]}"
    if form == 2:
        return "+234" + national
    return f"+234 {national[:3]} {national[3:6]} {national[6:]}"


def write_file(path: Path, rows: int, seed: int) -> None:
    names = load_json("demo-names.json")
    first = [n for group in names["firstNames"].values() for n in group]
    last = [n for group in names["surnames"].values() for n in group]
    streets = [s for group in names["lagosStreets"].values() for s in group]
    domains = names["emailDomains"]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for number in range(rows):
            given, family = rng.choice(first), rng.choice(last)
            born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
            phone = _phone(number, rng)
            email = ""
            if rng.random() < 0.3:
                email = f"{given}.{family}{number}@{rng.choice(domains)}".lower()
            if number % 997 == 0:
                phone = phone[:6]  # a few rows with a bad phone, as real files have
            out.writerow(
                [
                    f"{given} {family}",
                    phone,
                    email,
                    f"{rng.randrange(1, 120)} {rng.choice(streets)}, Lagos",
                    born.strftime("%d/%m/%Y"),
                    ", ".join(rng.sample(ALLERGIES, rng.choice((0, 0, 0, 1, 2)))),
                    "; ".join(rng.sample(CONDITIONS, rng.choice((0, 0, 1, 1, 2)))),
                    rng.choice(("yes", "no", "")),
                ]
            )


def rss_mib() -> float:
    """Resident memory now (Linux /proc), else the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Watch:
    """Memory at 10%, 50% and 100% of a stage's rows."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.marks: dict[str, float] = {}

    def __call__(self, done: int) -> None:
        for share in (10, 50, 100):
            key = f"{share}%"
            if key not in self.marks and done * 100 >= share * self.total:
                self.marks[key] = round(rss_mib(), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"rows": args.rows}
    with tempfile.TemporaryDirectory(prefix="pharmdesk-import-bench-") as tmp:
        folder = Path(tmp)
        source = folder / "customers.csv"
        started = time.perf_counter()
        write_file(source, args.rows, args.seed)
        result["fileMiB"] = round(source.stat().st_size / 2**20, 1)
        result["generateSeconds"] = round(time.perf_counter() - started, 1)
        files = DatabaseFiles(folder / "db" / "pharmdesk.db")
        create_database(files, admin="bench", full_name="Bench", password=PASSWORD, kdf=CHEAP_KDF)
        desk = sign_in(files, "bench", PASSWORD, kdf=CHEAP_KDF)
        try:
            result["rssBeforeMiB"] = round(rss_mib(), 1)
            table = open_table(source)
            settings = branch_settings(
                desk.call, guess_mapping(table.headers), Clock().local_date(Clock().now())
            )
            import_id = new_import_id(dt.datetime.now(dt.UTC))
            watch = Watch(args.rows)
            started = time.perf_counter()
            report = DryRun(desk.call, table, settings, import_id=import_id).run(watch)
            seconds = time.perf_counter() - started
            result["dryRun"] = {
                "seconds": round(seconds, 1),
                "rowsPerSecond": round(args.rows / seconds),
                "counts": report.counts(),
                "rssMiB": watch.marks,
            }
            watch = Watch(args.rows)
            started = time.perf_counter()
            imported = ImportRun(
                desk.call, table, settings, import_id=import_id, skip_rows=report.skipped_rows()
            ).run(watch)
            seconds = time.perf_counter() - started
            result["import"] = {
                "seconds": round(seconds, 1),
                "rowsPerSecond": round(args.rows / seconds),
                "counts": imported.counts.to_json(),
                "rssMiB": watch.marks,
            }
            result["totalSeconds"] = round(
                result["dryRun"]["seconds"] + result["import"]["seconds"], 1
            )
            result["peakRssMiB"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            )
        finally:
            desk.close()
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
