"""Medians of repeated runs, and fsyncs counted by strace around a few more runs.

SQLite calls ``fsync``/``fdatasync`` from C, so Python cannot wrap them. When ``strace``
is installed the benchmark attaches it to its own process (``strace -f -c -p PID``)
while an operation runs a few more times, and divides the calls it counted. Timing runs
are never traced (ptrace slows every system call).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FSYNC_CALLS = ("fsync", "fdatasync")


@dataclass(frozen=True)
class Timing:
    median_ms: float
    runs: int
    result: Any  # what the last run returned (to compare with the floor's)


def measure(run: Callable[[], Any], repeat: int, warmup: int = 2) -> Timing:
    """Median wall time of ``repeat`` runs after ``warmup`` unmeasured ones."""
    result: Any = None
    for _ in range(warmup):
        result = run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return Timing(statistics.median(times) * 1000, repeat, result)


def strace_available() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(
        ["strace", "-c", "-e", "trace=fsync", "true"], capture_output=True, check=False
    )
    return probe.returncode == 0


def count_fsyncs(run: Callable[[], Any], times: int = 5) -> float | None:
    """fsync + fdatasync calls per run of ``run`` (None when strace cannot attach)."""
    tracer = subprocess.Popen(
        ["strace", "-f", "-c", "-e", "trace=" + ",".join(FSYNC_CALLS), "-p", str(os.getpid())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.3)  # strace attaches to every thread; give it the moment it needs
    if tracer.poll() is not None:
        return None
    try:
        for _ in range(times):
            run()
    finally:
        tracer.send_signal(signal.SIGINT)
        _out, err = tracer.communicate(timeout=30)
    calls = 0
    for line in err.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[-1] in FSYNC_CALLS and re.fullmatch(r"\d+", fields[3]):
            calls += int(fields[3])
    return calls / times


def measure_together(runs: list[Callable[[], Any]], repeat: int, warmup: int = 2) -> list[Timing]:
    """Like ``measure`` for several runs taken in turn, so that a burst of load from
    elsewhere on a shared machine hits the operation and its floor alike."""
    results: list[Any] = [None] * len(runs)
    for _ in range(warmup):
        for i, run in enumerate(runs):
            results[i] = run()
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for i, run in enumerate(runs):
            began = time.perf_counter()
            results[i] = run()
            times[i].append(time.perf_counter() - began)
    return [
        Timing(statistics.median(spent) * 1000, repeat, result)
        for spent, result in zip(times, results, strict=True)
    ]


PICK_RUNS = 3


def measure_with_floor(
    run: Callable[[], Any], floors: list[Callable[[], Any]], repeat: int, warmup: int = 2
) -> tuple[Timing, Timing | None, list[Any]]:
    """An operation and its floor, timed in turn (``measure_together``), and what every
    floor candidate answered (to compare with the operation's answer).

    When the floor can be written more than one way (walk the sort index, or read the
    search index's matches), the fastest way is chosen first from ``PICK_RUNS`` runs
    each, and only it is timed with the operation: a losing candidate run between two
    runs of the operation (a walk of the whole name index takes 95 ms at a million
    customers) leaves it cold caches, and a search with no hits measured 2.3 ms there
    instead of its 1.2 ms.
    """
    if not floors:
        return measure(run, repeat, warmup), None, []
    best = floors[0]
    answers: list[Any] = []
    if len(floors) > 1:
        picked = [measure(candidate, PICK_RUNS, warmup=1) for candidate in floors]
        answers = [timing.result for timing in picked]
        best = floors[min(range(len(floors)), key=lambda i: picked[i].median_ms)]
    timing, floor = measure_together([run, best], repeat, warmup)
    return timing, floor, answers or [floor.result]


def fsync_latency_ms(folder: Path, times: int = 40) -> float:
    """Median time of one 4 KiB write + fsync in ``folder``: the disk's share of every
    committed operation (each writes its audit entry), to read the table against."""
    probe = folder / "fsync-probe"
    spent = []
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for _ in range(times):
            os.write(fd, b"\0" * 4096)
            began = time.perf_counter()
            os.fsync(fd)
            spent.append(time.perf_counter() - began)
    finally:
        os.close(fd)
        probe.unlink()
    return statistics.median(spent) * 1000
