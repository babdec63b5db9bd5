"""Item 7: two PharmDesk processes writing to one database at the same time.

Each transaction takes SQLite's write lock up front (BEGIN IMMEDIATE) and waits for it
(busy timeout), so both processes' 1,000 records each end up in the file, the audit chain
stays one valid chain, and nobody ever sees "database is locked".
"""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

from pharmdesk.paths import DatabaseFiles
from tests.reliability.checks import (
    check_database,
    kill_quietly,
    pharmdesk_command,
    pharmdesk_env,
    unlock_key,
)

RECORDS = 1000


def _batch(folder: Path, instance: int) -> Path:
    path = folder / f"batch-{instance}.jsonl"
    lines = []
    for i in range(RECORDS):
        if i % 10 == 9:  # now and then a read, which is audited (a write) as well
            lines.append({"operation": "fetchCustomers", "params": {"search": "twin"}})
            continue
        lines.append(
            {
                "operation": "addProviderCustomer",
                "params": {
                    "name": f"Twin {instance} Customer {i}",
                    "phone": f"+23480{instance + 6}{i:07d}",
                    "medicalConditions": ["Hypertension"],
                },
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_two_processes_writing_at_once(db_files: DatabaseFiles, tmp_path: Path) -> None:
    batches = [_batch(tmp_path, n) for n in (1, 2)]
    # Answers go to files: a pipe nobody reads yet would block its writer and serialise
    # the two processes by itself.
    outputs = [(tmp_path / f"out-{n}.jsonl", tmp_path / f"err-{n}.txt") for n in (1, 2)]
    processes = []
    for batch, (out_path, err_path) in zip(batches, outputs, strict=True):
        with out_path.open("w") as out_file, err_path.open("w") as err_file:
            processes.append(
                subprocess.Popen(
                    pharmdesk_command(db_files, "call", "--batch", str(batch)),
                    env=pharmdesk_env(),
                    stdout=out_file,
                    stderr=err_file,
                )
            )
    results = []
    try:
        for process, (out_path, err_path) in zip(processes, outputs, strict=True):
            process.wait(timeout=300)
            results.append((process.returncode, out_path.read_text(), err_path.read_text()))
    finally:
        for process in processes:
            kill_quietly(process)

    created: set[str] = set()
    owner: dict[int, int] = {}
    for instance, (code, out, err) in enumerate(results):
        answers = [json.loads(line) for line in out.splitlines()]
        assert len(answers) == RECORDS
        failures = [a for a in answers if not a.get("success", "customers" in a)]
        assert failures == [], failures[:3]
        assert code == 0, err
        assert "locked" not in err.lower() and "Traceback" not in err
        created |= {a["customerId"] for a in answers if "customerId" in a}
        owner.update({int(a["customerId"][5:]): instance for a in answers if "customerId" in a})
    assert len(created) == 2 * (RECORDS - RECORDS // 10)
    # They really wrote at the same time, taking turns: the ids of the two interleave.
    # (How evenly depends on the machine's load; the engine's busy handler polls every
    # millisecond so that a waiting process catches the gaps between the other's
    # transactions, where SQLite's own timeout, sleeping up to 100 ms, let one side run
    # hundreds in a row.)
    runs = [len(list(group)) for _, group in itertools.groupby(owner[n] for n in sorted(owner))]
    assert len(runs) >= 20, f"only {len(runs)} turns: the two did not overlap"

    health = check_database(db_files, unlock_key(db_files))
    assert health.ok, health.describe()
    assert len(health.customers) == len(created)
    # Both sign-ins, every create and every list page, in one unbroken chain.
    assert health.audit_entries >= 1 + 2 + 2 * RECORDS
