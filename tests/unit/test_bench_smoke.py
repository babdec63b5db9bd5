"""The benchmark itself, small: every operation of ``python -m tests.bench`` and its
floor run on a 1,000-customer demo and give the same answers.

The benchmark's figures come from runs at 100,000 and 1,000,000 customers (scripts, not
CI); this keeps its floors (hand-written SQL) and its harness honest as the product
changes: a floor that stopped computing what the operation answers would show here.
"""

from __future__ import annotations

from pathlib import Path

from pharmdesk.controllers.session import sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
from tests.bench import cache
from tests.bench.floor import Floor
from tests.bench.ops import cases, probe
from tests.bench.timing import measure_with_floor

SIZE = 1000


def test_every_benchmarked_operation_answers_as_its_floor(tmp_path: Path) -> None:
    db = cache.BenchDatabase(SIZE, 2026, tmp_path / "demo")
    cache.build(db, workers=1, log=lambda _message: None, migrate=False)
    desk = sign_in(db.files, DEMO_USER, DEMO_PASSWORD, clock=cache.demo_clock())
    floor = Floor(db.plain, DEMO_USER, cache.BUILD_MOMENT)
    try:
        probes = probe(floor, SIZE)
        measured = 0
        for case in cases(desk, floor, probes, cache.demo_clock().today()):
            timing, floor_timing, answers = measure_with_floor(case.run, case.floors, 2, 1)
            assert timing.median_ms > 0
            if floor_timing is None:
                continue
            measured += 1
            if not case.writes:
                assert all(case.comparable(timing.result) == a for a in answers), case.name
            else:
                assert timing.result and floor_timing.result, case.name
    finally:
        desk.close()
        floor.close()
    assert measured >= 12
