"""Item 4: SIGKILL at random moments loses nothing that was acknowledged.

``synchronous = FULL`` makes "committed" mean "on disk", so an id printed after its
commit must survive any kill. (A SIGKILL leaves the OS page cache alone, so this proves
the application and SQLite's journal are crash-safe; power loss additionally relies on
the fsyncs that FULL issues.) ``soak.py`` runs the same rounds 1,000 times.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time

from pharmdesk.controllers.session import DeskSession
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import execute_pragma
from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.reliability.checks import (
    check_database,
    kill_quietly,
    pharmdesk_command,
    pharmdesk_env,
    unlock_key,
)
from tests.reliability.crashkit import CrashHarness

CI_KILLS = 200
CLI_KILLS = 4


def test_acknowledged_means_durable(admin: DeskSession) -> None:
    """The premise of the kill test: every commit is synchronous=FULL, in WAL mode."""
    assert execute_pragma(admin.db.engine, "synchronous") == [(2,)]
    assert execute_pragma(admin.db.engine, "journal_mode") == [("wal",)]


def test_200_random_kills_lose_nothing_acknowledged(db_files: DatabaseFiles) -> None:
    failures = []
    signed_in_rounds = 0
    started = time.monotonic()
    with CrashHarness(db_files, ADMIN, ADMIN_PASSWORD, seed=20260418) as harness:
        for round_no in range(1, CI_KILLS + 1):
            result = harness.run_round(round_no)
            signed_in_rounds += result.signed_in
            if not result.ok:
                failures.append(result.describe())
        acked = len(harness.acked_customers) + len(harness.acked_orders)
    elapsed = time.monotonic() - started
    assert failures == [], "\n".join(failures[:5])
    # The kills must really land both during start-up and in the middle of writing.
    assert 10 < signed_in_rounds < CI_KILLS
    assert acked > CI_KILLS, f"only {acked} acknowledged writes in {CI_KILLS} rounds"
    # About a minute here; the bound only catches a round that became seconds long.
    assert elapsed < 300, f"{CI_KILLS} kills took {elapsed:.0f} s"


class BatchWriter:
    """``pharmdesk call --batch -`` fed customers; every answer line read is acknowledged."""

    def __init__(self, files: DatabaseFiles, round_no: int, acked: set[int]) -> None:
        self.acked = acked
        self.process = subprocess.Popen(
            pharmdesk_command(files, "call", "--batch", "-"),
            env=pharmdesk_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = [
            json.dumps(
                {
                    "operation": "addProviderCustomer",
                    "params": {
                        "name": f"Batch Crash {round_no} {i}",
                        "phone": f"+234805{round_no * 1000 + i:07d}",
                        "medicalConditions": ["Diabetes Type 2"],
                    },
                }
            )
            for i in range(400)
        ]
        self.bad_answers: list[str] = []
        self.done = threading.Event()
        threading.Thread(target=self._feed, daemon=True).start()

    def _feed(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            for line in self.lines:
                stdin.write(line + "\n")
                stdin.flush()
        except OSError:  # killed: the pipe is gone
            pass

    def first_answer(self) -> None:
        """Wait until it has signed in and committed one customer."""
        assert self.process.stdout is not None
        self._take(self.process.stdout.readline())
        threading.Thread(target=self._read, daemon=True).start()

    def _take(self, line: str) -> None:
        answer = json.loads(line)
        if answer.get("success") is not True:
            self.bad_answers.append(line)
            return
        self.acked.add(int(answer["customerId"].split("-")[1]))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._take(line)
        self.done.set()


def test_kills_of_the_command_line_batch(db_files: DatabaseFiles) -> None:
    """The same through ``pharmdesk call --batch -``: an answer line read is acknowledged."""
    key = unlock_key(db_files)
    rng = random.Random(7)
    acked: set[int] = set()
    for round_no in range(CLI_KILLS):
        writer = BatchWriter(db_files, round_no, acked)
        writer.first_answer()
        time.sleep(rng.uniform(0.0, 0.4))
        kill_quietly(writer.process)
        assert writer.done.wait(timeout=30)
        assert writer.bad_answers == []
        health = check_database(db_files, key)
        assert health.ok, health.describe()
        assert acked <= health.customers, sorted(acked - health.customers)[:5]
    assert len(acked) > CLI_KILLS
