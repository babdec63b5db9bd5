"""Benchmark: disabling a person at a million customers (the database re-encrypted).

    python -m tests.bench.rekey_bench [--size 1000000] [--seed 2026]

``disableStaff`` changes the database key (API.md v3, "Revocation and sessions"): every
page of the file is re-encrypted by ``PRAGMA rekey`` in one transaction. This measures
it on a copy of the seeded demo database the main benchmark caches (``cache.py``; built
there if missing, which takes minutes): the copy is made first (the rekey rewrites every
page), a leaving staff member is added, then ``disableStaff`` runs as the GUI runs it
and the clock covers the whole answer. The re-encryption alone is timed too, with the
progress reports it made (what the GUI's progress bar shows), and the old key is checked
to open nothing afterwards. Runs once: a second run would measure the page cache.

Not collected by pytest (no ``test_`` name); nothing here asserts, it measures.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

import pharmdesk.controllers.revocation as revocation
from pharmdesk.controllers.session import sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
from pharmdesk.store.engine import DatabaseOpenError, open_engine
from tests.bench import cache
from tests.bench.profile_bench import working_copy

LEAVER = "leaver"
LEAVER_PASSWORD = "a leaving pharmacist's password 2026"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cache", type=Path, default=cache.default_cache_dir())
    args = parser.parse_args(argv)
    source = cache.cached_database(args.cache, args.size, args.seed)
    if not source.ready():
        print(f"building the {args.size:,}-customer demo database (once; takes minutes)")
        cache.build(source, workers=None)
    folder = args.cache / "work" / f"rekey-{args.size}"
    files = working_copy(source, folder)
    try:
        size = files.db.stat().st_size
        desk = sign_in(files, DEMO_USER, DEMO_PASSWORD, clock=cache.demo_clock())
        old_key = desk.key
        desk.call(
            "addStaff",
            {
                "username": LEAVER,
                "fullName": "Leaving Pharmacist",
                "role": "pharmacist",
                "password": LEAVER_PASSWORD,
            },
        )
        reports: list[tuple[float, int, int]] = []
        timed: dict[str, float] = {}
        real = revocation.rekey_database

        def measured(db: Any, key: bytes, **kwargs: Any) -> bool:
            began = time.perf_counter()
            try:
                return real(db, key, **kwargs)
            finally:
                timed["rekey"] = time.perf_counter() - began

        revocation.rekey_database = measured  # type: ignore[assignment]
        desk.progress = lambda done, total: reports.append((time.perf_counter(), done, total))
        began = time.perf_counter()
        answer = desk.call("disableStaff", {"username": LEAVER})
        total = time.perf_counter() - began
        desk.close()
        try:
            open_engine(files.db, old_key).dispose()
            old_opens = True
        except DatabaseOpenError:
            old_opens = False
        rekey = timed.get("rekey", float("nan"))
        print(f"PharmDesk rekey benchmark, {args.size:,} customers, seed {args.seed}")
        print(f"database file:             {size / 1e9:.2f} GB")
        print(f"disableStaff answer:       {answer}")
        print(f"disableStaff, whole call:  {total:.1f} s")
        print(f"  re-encryption (rekey):   {rekey:.1f} s ({size / 1e6 / rekey:.0f} MB/s)")
        print(f"progress reports:          {len(reports)} (every {revocation_every()} s)")
        print(f"old key opens the file:    {old_opens}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def revocation_every() -> float:
    from pharmdesk.store.rekey import PROGRESS_EVERY

    return PROGRESS_EVERY


if __name__ == "__main__":
    raise SystemExit(main())
