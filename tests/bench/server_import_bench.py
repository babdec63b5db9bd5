"""Benchmark: moving a single-PC database onto a branch server (``server import-file``).

    python -m tests.bench.server_import_bench [--size 100000] [--seed 2026] [--db URL]

Takes the seeded demo database the main benchmark caches (``cache.py``; built or
upgraded there when missing, which takes minutes) and moves it onto a new, empty
database: on the server at ``--db`` (a ``postgresql://OWNER@HOST/DB`` URL naming a
database that exists and is empty) or, by default, on a PostgreSQL started for the run in
a temp folder (``tests/pg_server.py``). Prints the time of each stage (the progress the
command shows), rows per second, and checks the counts on both sides. The cached file is
only read. ``--size 1000000`` times a million customers (run it once: it takes a while).

Not collected by pytest (no ``test_`` name); nothing here asserts, it measures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from pharmdesk.controllers.session import sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import transfer
from pharmdesk.store.server import open_server_engine
from tests import pg_server
from tests.bench import cache
from tests.bench.moved import move_demo
from tests.server import answers

DATABASE = "import_bench"


class StageClock:
    """The seconds each progress stage took."""

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.stage = ""
        self.since = self.began
        self.took: dict[str, float] = {}

    def __call__(self, stage: str, _done: int, _total: int) -> None:
        now = time.monotonic()
        if stage != self.stage:
            if self.stage:
                self.took[self.stage] = self.took.get(self.stage, 0.0) + now - self.since
            self.stage, self.since = stage, now

    def finish(self) -> float:
        self("", 0, 0)
        return time.monotonic() - self.began


def _server_counts(url: str) -> dict[str, int]:
    engine = open_server_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            return transfer.server_counts(conn)
    finally:
        engine.dispose()


def run(size: int, seed: int, cache_dir: Path, url: str | None, check: bool = True) -> None:
    source = cache.cached_database(cache_dir, size, seed)
    if not source.ready():
        print(f"building the {size:,}-customer demo database (once; takes minutes)")
        cache.build(source, workers=None)
    server = None
    if url is None:
        server = pg_server.start_server()
        pg_server.create_database(server, DATABASE)
        url = server.url(DATABASE)
    try:
        clock = StageClock()
        with tempfile.TemporaryDirectory() as desk:
            moved = move_demo(source.files, url, Path(desk), progress=clock)
            total = clock.finish()
            report(size, moved.result, total, clock, url)
            if check:
                _same_answers(source, moved.desk, size, moved.result)
    finally:
        if server is not None:
            pg_server.stop_server(server)


def report(size: int, result: Any, total: float, clock: StageClock, url: str) -> None:
    rows = sum(result.counts.values())
    print(f"server import-file, {size:,} customers: {total:.1f} s for {rows:,} rows")
    print(f"  {rows / total:,.0f} rows/s overall")
    for stage, seconds in clock.took.items():
        print(f"  {stage}: {seconds:.1f} s")
    found = _server_counts(url)
    differ = [n for n, c in result.counts.items() if found[n] != c + (n == "audit_entry")]
    print(f"  audit entries verified: {result.audit_entries:,}")
    print("  counts on the server: " + ("the same" if not differ else f"DIFFER in {differ}"))


def _same_answers(
    source: cache.BenchDatabase, on_server: DatabaseFiles, size: int, result: Any
) -> None:
    """About 200 operations asked of the server and of a copy of the file (the cached
    original is never written): their answers must be the same."""
    head = result.audit_entries
    step = max(1, size // 150)
    customers = [*range(1, size + 1, step), *range(2, 42, 2)]
    clock = cache.demo_clock()
    with tempfile.TemporaryDirectory() as folder:
        copy = source.copy_to(Path(folder))
        server_desk = sign_in(on_server, DEMO_USER, DEMO_PASSWORD, clock=clock)
        file_desk = sign_in(copy.files, DEMO_USER, DEMO_PASSWORD, clock=clock)
        try:
            began = time.monotonic()
            on_file = answers.sample(file_desk, head, customers)
            asked = answers.sample(server_desk, head, customers)
            verified = server_desk.call("verifyAuditLog", {})
        finally:
            server_desk.close()
            file_desk.close()
    same = sum(1 for a, b in zip(on_file, asked, strict=True) if a == b)
    print(
        f"  answers: {same:,} of {len(asked):,} operations the same on the file and the "
        f"server ({time.monotonic() - began:.1f} s); audit chain on the server: "
        + ("verified" if verified.get("ok") else f"NOT verified: {verified}")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cache", type=Path, default=cache.default_cache_dir())
    parser.add_argument("--db", help="an empty server database (default: a temp server)")
    parser.add_argument(
        "--no-answers", action="store_true", help="skip the ~200 answers compared with the file"
    )
    args = parser.parse_args(argv)
    run(args.size, args.seed, args.cache, args.db, check=not args.no_answers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
