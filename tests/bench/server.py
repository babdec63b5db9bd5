"""``python -m tests.bench.server``: the operations on a branch server against its floor.

    python -m tests.bench.server --sizes 100000 [--repeat 15] [--mix-seconds 60]

For each size: the seeded demo database the main benchmark caches (``cache.py``; built or
upgraded there when missing) is moved onto a new database of a PostgreSQL started for the
run in a temp folder (``tests/pg_server.py``: Debian's server, fsync off) by ``pharmdesk
server import-file``'s own code, then VACUUM ANALYZEd (what autovacuum does to a loaded
table soon after). Each operation of ``ops.py`` runs through ``DeskSession.call`` as the
demo admin, interleaved with its floor (``pg_floor.py``: the same result by hand-written
SQL through psycopg on the same database, same indexes); the median of each, their ratio,
and whether the answers (total and ids in order) equal the floor's and the file's (the
SQLite floor on a copy of the plaintext twin, the same data). Last, the five-desk mix of
``desks.py`` runs on the same database: p50/p95 per operation.

Targets (issue 18): at 1,000,000 customers every operation under 50 ms and within 3x of
its floor; with five desks, p95 under 100 ms per operation. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.session import sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
from pharmdesk.paths import DatabaseFiles
from tests import pg_server
from tests.bench import cache, desks, report
from tests.bench.floor import Floor
from tests.bench.moved import Moved, move_demo
from tests.bench.ops import cases, probe
from tests.bench.pg_floor import PgFloor
from tests.bench.report import Row
from tests.bench.timing import measure, measure_with_floor

TARGET = "<50 ms, <=3x"
MIX_TARGET = "p95 <100 ms"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _ProbeSource:
    """``ops.probe`` reads real values from the data: the cached plaintext twin, read-only."""

    def __init__(self, plain: Path) -> None:
        self.conn = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)


def wait_for_other_build(db: cache.BenchDatabase, quiet_minutes: float = 10.0) -> None:
    """Another benchmark process may be building or upgrading this very cache entry (its
    ``.partial`` folder, written to): wait for it instead of starting over in the same
    folder. A ``.partial`` left untouched for ``quiet_minutes`` is an interrupted one."""
    partial = db.folder.with_name(db.folder.name + ".partial")
    while not db.ready() and partial.exists():
        newest = max((p.stat().st_mtime for p in partial.iterdir()), default=0.0)
        if time.time() - newest > quiet_minutes * 60:
            return
        log(f"{db.size:,}: another process is building {partial.name}; waiting")
        time.sleep(30)


def populate(db: cache.BenchDatabase, url: str, desk_base: Path) -> tuple[Moved, float]:
    """The cached demo moved onto the empty server database (``moved.move_demo``), then
    analysed; the move and its seconds."""
    began = time.monotonic()
    moved = move_demo(db.files, url, desk_base)
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return moved, time.monotonic() - began


def sign_in_row(size: int, moved: Moved, url: str, repeat: int) -> Row:
    import psycopg

    def signed_in() -> None:
        sign_in(moved.desk, DEMO_USER, DEMO_PASSWORD, clock=cache.demo_clock()).close()

    def floor_sign_in() -> None:
        with psycopg.connect(url, user=moved.db_role, password=DEMO_PASSWORD) as conn:
            conn.execute("SELECT version_num FROM alembic_version").fetchone()

    timing = measure(signed_in, repeat, warmup=1)
    floor = measure(floor_sign_in, repeat, warmup=1)
    return Row(
        size,
        "sign-in",
        "own login (SCRAM) + migrate check + audit",
        timing.median_ms,
        floor.median_ms,
        "<1000 ms",
        timing.median_ms < 1000,
        note="floor: the same login's psycopg connection (SCRAM) and one query",
    )


def operation_rows(
    db: cache.BenchDatabase, files: DatabaseFiles, url: str, work: Path, repeat: int
) -> list[Row]:
    size = db.size
    desk = sign_in(files, DEMO_USER, DEMO_PASSWORD, clock=cache.demo_clock())
    floor = PgFloor(url, DEMO_USER, cache.BUILD_MOMENT)
    shutil.copy2(db.plain, work / "plain.db")
    file_floor = Floor(work / "plain.db", DEMO_USER, cache.BUILD_MOMENT)
    rows = []
    try:
        probes = probe(_ProbeSource(db.plain), size)  # type: ignore[arg-type]
        log(f"{size:,}: operations ({probes})")
        today = cache.demo_clock().today()
        on_file = cases(desk, file_floor, probes, today)
        for case, file_case in zip(cases(desk, floor, probes, today), on_file, strict=True):  # type: ignore[arg-type]
            timing, floor_timing, answers = measure_with_floor(case.run, case.floors, repeat)
            floor_ms = None if floor_timing is None else floor_timing.median_ms
            same = None
            note = case.note
            if floor_timing is not None and not case.writes:
                mine = case.comparable(timing.result)
                file_answer = file_case.floors[0]()
                same = all(mine == answer for answer in answers) and mine == file_answer
                note = (note + "; " if note else "") + (
                    "same as the file" if mine == file_answer else "DIFFERS from the file"
                )
            ratio = timing.median_ms / floor_ms if floor_ms else None
            ok = timing.median_ms < 50 and (ratio is None or ratio <= 3.0)
            rows.append(
                Row(size, case.group, case.name, timing.median_ms, floor_ms, TARGET, ok,
                    same=same, note=note)
            )  # fmt: skip
            ratio_text = f"{ratio:.1f}x" if ratio else "-"
            log(f"  {case.group}: {case.name}: {timing.median_ms:.2f} ms ({ratio_text})")
    finally:
        desk.close()
        floor.close()
        file_floor.close()
    return rows


def mix_rows(size: int, files: DatabaseFiles, url: str, seconds: float, think: float) -> list[Row]:
    admin = sign_in(files, DEMO_USER, DEMO_PASSWORD, clock=cache.demo_clock())
    try:
        mixed = desks.run_mix(
            files,
            url,
            admin,
            desks=5,
            seconds=seconds,
            think_ms=think,
            moment=cache.BUILD_MOMENT,
        )
    finally:
        admin.close()
    log(desks.summary(mixed))
    out = []
    for name, times in mixed.latencies().items():
        if not times:
            continue
        p95 = desks.percentile(times, 95)
        out.append(
            Row(
                size,
                f"5 desks{f' (pause {think:g} ms)' if think else ''}",
                f"{name}: p50 (p95 in notes)",
                statistics.median(times),
                None,
                MIX_TARGET,
                p95 < 100 and not mixed.problems,
                note=f"p95 {p95:.1f} ms; {len(times):,} calls in {mixed.seconds:.0f} s, "
                f"{mixed.conflicts} CONFLICTs, {len(mixed.problems)} problems",
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="100000", help="comma separated (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=15, help="runs per median")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--mix-seconds", type=float, default=60.0, help="0: no desk mix")
    parser.add_argument(
        "--think",
        default="0",
        help="the mix's mean pauses between a desk's calls in ms, comma separated "
        "(one mix run each; default: %(default)s)",
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    folder = args.cache or cache.default_cache_dir()
    began = dt.datetime.now(dt.UTC)
    machine = report.machine()
    rows: list[Row] = []
    extra: dict[str, Any] = {}
    server = pg_server.start_server()
    try:
        for size in sizes:
            db = cache.cached_database(folder, size, args.seed)
            wait_for_other_build(db)
            if not db.ready():
                log(f"{size:,}: building the demo database (once; cached in {db.folder})")
            cache.build(db, workers=None, log=log)
            name = f"bench_{size}"
            pg_server.create_database(server, name)
            url = server.url(name)
            with tempfile.TemporaryDirectory(prefix="pharmdesk-bench-") as temp:
                work = Path(temp)
                log(f"{size:,}: moving the demo onto the server")
                moved, seconds = populate(db, url, work / "desk")
                files = moved.desk
                extra[f"importSeconds{size}"] = round(seconds, 1)
                log(f"{size:,}: on the server in {seconds:.0f} s")
                rows.append(sign_in_row(size, moved, url, max(3, args.repeat // 3)))
                rows += operation_rows(db, files, url, work, args.repeat)
                if args.mix_seconds > 0:
                    for think in (float(t) for t in args.think.split(",") if t.strip()):
                        log(f"{size:,}: five desks for {args.mix_seconds:g} s, pause {think:g}")
                        rows += mix_rows(size, files, url, args.mix_seconds, think)
            pg_server.drop_database(server, name)
    finally:
        pg_server.stop_server(server)
    print()
    print(f"PharmDesk server benchmark, {began:%Y-%m-%d %H:%M} UTC, seed {args.seed}, "
          f"median of {args.repeat} runs")  # fmt: skip
    print(
        f"Machine: {machine['cpu']}, {machine['cpus']} CPUs, {machine['memory']}, "
        f"{machine['system']}, Python {machine['python']}; PostgreSQL in a temp folder "
        "(tests/pg_server.py: fsync off)"
    )
    print(report.table(rows))
    target = args.json or folder / f"server-results-{began:%Y%m%dT%H%M%S}.json"
    report.write_json(target, rows, {"startedAt": began.isoformat(), "sizes": sizes, **extra})
    print(f"\nJSON: {target}")
    if args.markdown:
        args.markdown.write_text(report.markdown(rows) + "\n")
        print(f"Markdown: {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
