"""The server benchmark itself, small: a 1,000-customer demo moved onto the test server,
then every benchmarked operation and its PostgreSQL floor give the same answers as each
other and as the file's floor (``python -m tests.bench.server`` runs the same at 100,000
and 1,000,000 customers, outside CI)."""

from __future__ import annotations

from pathlib import Path

from tests import pg_server
from tests.bench import cache
from tests.bench.server import operation_rows, populate

SIZE = 1000


def test_every_benchmarked_operation_answers_as_its_floors(
    pg: pg_server.PgServer, tmp_path: Path
) -> None:
    db = cache.BenchDatabase(SIZE, 2026, tmp_path / "demo")
    cache.build(db, workers=1, log=lambda _message: None, migrate=False)
    pg_server.create_database(pg, "bench_smoke")
    url = pg.url("bench_smoke")
    moved, _seconds = populate(db, url, tmp_path / "desk")
    rows = operation_rows(db, moved.desk, url, tmp_path, 2)
    compared = [row for row in rows if row.same is not None]
    assert len(compared) >= 10
    assert all(row.same for row in compared), [row.name for row in compared if not row.same]
