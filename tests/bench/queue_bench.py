"""``python -m tests.bench.queue_bench``: queue a week of refill reminders at 100,000
customers, as the Outbox tab's "Queue reminders" does; print the seconds.

Creates a fresh encrypted database in a temporary folder, writes the branch straight into
it (``tests.reminders.test_queue_speed.build_branch``: a weekly plan each, due over the
next four weeks, SMS reminder consent for four in five customers), then runs
``queueReminders`` through a signed-in session: once (it queues about 23,000 messages)
and again (it finds them all queued). Issue 22's target: under 2 s. Prints one JSON
object; ``--profile`` adds the top of a cProfile of the first run on stderr.

    python -m tests.bench.queue_bench [--repeat N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.session import DeskSession, create_database, sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import OutboxMessage
from pharmdesk.store.vault import KdfParams
from tests.reminders.test_queue_speed import CUSTOMERS, LIMIT_SECONDS, build_branch

PASSWORD = "queue benchmark password 2026"
CHEAP_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # not measured
WEEK = {"days": 7, "channel": "sms"}


def timed(desk: DeskSession) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    answer = desk.call("queueReminders", WEEK)
    return time.perf_counter() - started, answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh queues to time")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    clock = FixedClock()
    with tempfile.TemporaryDirectory() as folder:
        files = DatabaseFiles(Path(folder) / "pharmdesk.db")
        create_database(
            files, admin="admin", full_name="Admin", password=PASSWORD, clock=clock,
            kdf=CHEAP_KDF, check_password=False,
        )  # fmt: skip
        desk = sign_in(files, "admin", PASSWORD, clock=clock, kdf=CHEAP_KDF)
        build_branch(desk)
        first: list[float] = []
        again: list[float] = []
        queued = 0
        for attempt in range(max(1, args.repeat)):
            with desk.db.transaction() as tx:
                tx.execute(delete(OutboxMessage))
            if args.profile and attempt == 0:
                profiler = cProfile.Profile()
                profiler.enable()
                took, answer = timed(desk)
                profiler.disable()
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
            else:
                took, answer = timed(desk)
            first.append(took)
            queued = answer["queued"]
            took, answer = timed(desk)
            assert answer["queued"] == 0
            again.append(took)
        desk.close()
    print(
        json.dumps(
            {
                "customers": CUSTOMERS,
                "queued": queued,
                "queueSeconds": [round(t, 3) for t in first],
                "queueAgainSeconds": [round(t, 3) for t in again],
                "best": round(min(first), 3),
                "targetSeconds": LIMIT_SECONDS,
                "withinTarget": min(first) < LIMIT_SECONDS,
            }
        )
    )


if __name__ == "__main__":
    main()
