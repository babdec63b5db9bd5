"""Item 8: a backup taken while another process writes is a consistent snapshot.

A ``pharmdesk call --batch -`` process keeps adding customers, each followed by an order,
while this process backs up. The copy is made in many small steps (so the writer commits
between them); the restored database must pass both integrity checks and the audit chain,
and hold exactly the first n customers with their orders and counters: a point in time,
not a blend of two.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from pharmdesk import cli
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.backup import copy as backup_copy
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.reliability.checks import (
    check_database,
    kill_quietly,
    pharmdesk_command,
    pharmdesk_env,
    unlock_key,
)

PAIRS = 3000


class Writer:
    """The other process: feeds create/order pairs and counts the committed answers."""

    def __init__(self, files: DatabaseFiles) -> None:
        self.process = subprocess.Popen(
            pharmdesk_command(files, "call", "--batch", "-"),
            env=pharmdesk_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.customers: list[int] = []
        self.orders: list[int] = []
        self.failures: list[str] = []
        self.stop = threading.Event()
        threading.Thread(target=self._feed, daemon=True).start()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _feed(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            for i in range(1, PAIRS + 1):
                if self.stop.is_set():
                    break
                for line in (
                    {
                        "operation": "addProviderCustomer",
                        "params": {
                            "name": f"Snapshot Customer {i}",
                            "phone": f"+234807{i:07d}",
                            "allergies": ["Sulfa"],
                        },
                    },
                    {"operation": "recordOrder", "params": {"customerId": f"CUST-{i}", "total": i}},
                ):
                    stdin.write(json.dumps(line) + "\n")
                stdin.flush()
            stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            answer = json.loads(line)
            if not answer.get("success"):
                self.failures.append(line)
            elif "customerId" in answer:
                self.customers.append(int(answer["customerId"][5:]))
            elif "orderId" in answer:
                self.orders.append(int(answer["orderId"][4:]))

    def finish(self) -> None:
        self.stop.set()
        try:
            self.process.wait(timeout=120)
        finally:
            kill_quietly(self.process)
        self.reader.join(timeout=30)


def test_backup_while_another_process_writes(
    db_files: DatabaseFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_copy, "COPY_STEP_PAGES", 4)  # many steps, writes in between
    writer = Writer(db_files)
    try:
        deadline = time.monotonic() + 60
        while len(writer.customers) < 150 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(writer.customers) >= 150, writer.failures or "the writer did not start"

        seen_during_copy: list[int] = []

        def progress(stage: str, _done: int, _total: int) -> None:
            if stage.startswith("Copying"):
                seen_during_copy.append(len(writer.customers))
                time.sleep(0.01)  # let the writer commit between copy steps

        desk = sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
        acked_before = set(writer.customers)
        target = tmp_path / "during-writes.zip"
        try:
            answer = cli.run_backup(desk, target, progress)
        finally:
            desk.close()
    finally:
        writer.finish()
    assert writer.failures == []
    assert len(seen_during_copy) > 5
    assert seen_during_copy[-1] > seen_during_copy[0], "no write landed during the copy"

    restored = DatabaseFiles(tmp_path / "restored" / "pharmdesk.db")
    cli.run_restore(
        restored, target, ADMIN, ADMIN_PASSWORD, replace=False, clock=FixedClock(), kdf=TEST_KDF
    )
    health = check_database(restored, unlock_key(restored))
    assert health.ok, health.describe()
    # One moment in time: customers 1..n, each with its order except perhaps the last.
    n = len(health.customers)
    assert health.customers == set(range(1, n + 1))
    assert health.orders in (set(range(1, n + 1)), set(range(1, n)))
    assert acked_before <= health.customers <= set(writer.customers)
    assert answer["rowCounts"]["customer"] == n
    assert answer["rowCounts"]["customer_order"] == len(health.orders)
    # The live database kept everything the writer was told was saved.
    live = check_database(db_files, unlock_key(db_files))
    assert live.ok, live.describe()
    assert set(writer.customers) <= live.customers and set(writer.orders) <= live.orders
