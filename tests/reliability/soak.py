"""The long crash-safety soak: SIGKILL a writing PharmDesk many times and check each time.

The CI test (``test_crash_safety.py``) kills 200 times; this runs the same rounds for as
long as you like, on a fresh database in a temporary folder:

    python -m tests.reliability.soak --kills 1000
    python -m tests.reliability.soak --kills 5000 --seed 7 --keep /tmp/soak

After every kill: ``PRAGMA integrity_check`` is ok, ``cipher_integrity_check`` is empty,
every acknowledged customer and order is present, counters agree with the orders, and
the audit chain verifies against the checkpoint. Exit code 0 when every round held.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TZ", "Africa/Lagos")
if hasattr(time, "tzset"):
    time.tzset()

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.session import create_database
from pharmdesk.paths import DatabaseFiles
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reliability.crashkit import CrashHarness


def run_soak(folder: Path, kills: int, seed: int, max_delay: float) -> int:
    files = DatabaseFiles(folder / "pharmdesk.db")
    create_database(
        files,
        admin=ADMIN,
        full_name="Soak Admin",
        password=ADMIN_PASSWORD,
        clock=FixedClock(),
        kdf=TEST_KDF,
    )
    failures: list[str] = []
    signed_in = 0
    started = time.monotonic()
    with CrashHarness(files, ADMIN, ADMIN_PASSWORD, seed=seed, max_delay=max_delay) as harness:
        for round_no in range(1, kills + 1):
            result = harness.run_round(round_no)
            signed_in += result.signed_in
            if not result.ok:
                failures.append(result.describe())
                print(f"FAIL {result.describe()}", flush=True)
            if round_no % 50 == 0 or round_no == kills:
                elapsed = time.monotonic() - started
                print(
                    f"{round_no:>6} kills  {elapsed:7.1f} s  "
                    f"{len(harness.acked_customers):>6} customers and "
                    f"{len(harness.acked_orders):>6} orders acknowledged  "
                    f"{len(failures)} failed",
                    flush=True,
                )
        acked = len(harness.acked_customers) + len(harness.acked_orders)
    print(
        f"\n{kills} kills ({signed_in} after sign-in, {kills - signed_in} during start-up), "
        f"{acked} acknowledged writes, {len(failures)} failed rounds, "
        f"{time.monotonic() - started:.0f} s."
    )
    for line in failures[:10]:
        print(line)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability.soak",
        description="Kill a writing PharmDesk with SIGKILL again and again; check after each.",
    )
    parser.add_argument("--kills", type=int, default=1000, help="rounds to run (default 1000)")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="random seed")
    parser.add_argument(
        "--max-delay",
        type=float,
        default=0.25,
        help="longest time a writer runs before it is killed, in seconds (default 0.25)",
    )
    parser.add_argument(
        "--keep", type=Path, help="work in this (new) folder and keep it, for a post-mortem"
    )
    args = parser.parse_args(argv)
    print(f"soak: {args.kills} kills, seed {args.seed}", flush=True)
    if args.keep is not None:
        args.keep.mkdir(parents=True)
        return run_soak(args.keep, args.kills, args.seed, args.max_delay)
    folder = Path(tempfile.mkdtemp(prefix="pharmdesk-soak-"))
    try:
        return run_soak(folder, args.kills, args.seed, args.max_delay)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
