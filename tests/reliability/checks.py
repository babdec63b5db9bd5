"""What "the database is whole" means, checked from outside the application.

Shared by the reliability tests and the soak script: open the file with its key (no
sign-in, so the check itself writes no audit entry), run both integrity checks, recompute
the audit chain against the checkpoint kept beside the database, and check that the
per-customer counters agree with the orders (a half-written operation would break them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from pharmdesk.controllers import audit
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import Database, execute_pragma, open_engine
from pharmdesk.store.vault import Vault
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

REPO = Path(__file__).resolve().parents[2]

# Customers whose counters disagree with their completed orders, or whose create entry is
# missing from the audit log: either would be an operation that was only half written.
COUNTER_MISMATCH_SQL = """
SELECT c.id FROM customer AS c
LEFT JOIN (
    SELECT customer_id, count(*) AS n, sum(total) AS spent FROM customer_order
    WHERE status = 'completed' GROUP BY customer_id
) AS o ON o.customer_id = c.id
WHERE c.total_orders != coalesce(o.n, 0) OR c.total_spent != coalesce(o.spent, 0)
"""
UNAUDITED_CUSTOMERS_SQL = """
SELECT c.id FROM customer AS c WHERE NOT EXISTS (
    SELECT 1 FROM audit_entry AS a
    WHERE a.entity_type = 'customer' AND a.entity_id = 'CUST-' || c.id AND a.action = 'create'
)
"""
UNAUDITED_ORDERS_SQL = """
SELECT o.id FROM customer_order AS o WHERE NOT EXISTS (
    SELECT 1 FROM audit_entry AS a
    WHERE a.entity_type = 'customer' AND a.entity_id = 'CUST-' || o.customer_id
    AND a.action = 'order' AND json_extract(a.detail, '$.orderId') = 'ORD-' || o.id
)
"""


def unlock_key(
    files: DatabaseFiles, username: str = ADMIN, password: str = ADMIN_PASSWORD
) -> bytes:
    key = Vault(files.vault, TEST_KDF).unlock_staff(username, password)
    assert key is not None, f"{username}'s keyslot no longer opens"
    return key


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(folder: Path) -> dict[str, str]:
    """Every file of a folder (lock files aside), by name: proof that nothing was written."""
    return {
        p.name: sha256(p) for p in sorted(folder.iterdir()) if p.is_file() and ".lock" not in p.name
    }


DIGEST_SCRIPT = """
import hashlib, json, pathlib, sys
folder = pathlib.Path(sys.argv[1])
print(json.dumps({p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                  for p in sorted(folder.iterdir()) if p.is_file() and ".lock" not in p.name}))
"""


def digests_from_outside(folder: Path) -> dict[str, str]:
    """``digests`` computed by another process.

    Needed while this process has the database open: closing *any* descriptor of a file
    drops every POSIX lock the process holds on it, SQLite's included, and another
    program could then checkpoint and delete the live write-ahead log.
    """
    done = subprocess.run(
        [sys.executable, "-c", DIGEST_SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return dict(json.loads(done.stdout))


@dataclass
class Health:
    integrity: list[str]
    cipher_problems: list[str]
    chain_ok: bool
    chain_reason: str | None
    checkpoint_readable: bool
    problems: list[str] = field(default_factory=list)
    customers: set[int] = field(default_factory=set)
    orders: set[int] = field(default_factory=set)
    audit_entries: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.integrity == ["ok"]
            and not self.cipher_problems
            and self.chain_ok
            and self.checkpoint_readable
            and not self.problems
        )

    def describe(self) -> str:
        return (
            f"integrity={self.integrity[:3]} cipher={self.cipher_problems[:3]} "
            f"chain_ok={self.chain_ok} ({self.chain_reason}) "
            f"checkpoint_readable={self.checkpoint_readable} problems={self.problems[:5]}"
        )


def _ids(engine: Engine, sql: str) -> set[int]:
    with engine.connect() as conn:
        return {int(row[0]) for row in conn.exec_driver_sql(sql)}


def check_database(files: DatabaseFiles, key: bytes) -> Health:
    """Open with the key, check everything, close. Writes nothing but SQLite's own WAL
    recovery after a crash (which is what the next start of the application does)."""
    engine = open_engine(files.db, key)
    try:
        integrity = [str(row[0]) for row in execute_pragma(engine, "integrity_check")]
        cipher = [str(row[0]) for row in execute_pragma(engine, "cipher_integrity_check")]
        checkpoint = audit.read_checkpoint(files.checkpoint)
        with Database(files.db, engine).transaction() as tx:
            report = audit.verify_chain(tx, checkpoint)
        health = Health(
            integrity,
            cipher,
            report.ok,
            report.reason,
            checkpoint_readable=checkpoint is not None or not files.checkpoint.exists(),
        )
        health.audit_entries = report.checked
        for label, sql in (
            ("counters disagree with orders", COUNTER_MISMATCH_SQL),
            ("customer without its create entry", UNAUDITED_CUSTOMERS_SQL),
            ("order without its audit entry", UNAUDITED_ORDERS_SQL),
        ):
            bad = _ids(engine, sql)
            if bad:
                health.problems.append(f"{label}: {sorted(bad)[:5]}")
        health.customers = _ids(engine, "SELECT id FROM customer")
        health.orders = _ids(engine, "SELECT id FROM customer_order")
        return health
    finally:
        engine.dispose()


def scan_for(paths: Iterable[Path], needles: Iterable[bytes]) -> list[tuple[str, bytes]]:
    """(file, needle) for every needle found in any of the files (recursing folders)."""
    wanted = list(needles)
    found: list[tuple[str, bytes]] = []
    for path in paths:
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        for file in files:
            if not file.exists():
                continue
            data = file.read_bytes()
            found.extend((str(file), needle) for needle in wanted if needle in data)
    return found


def pharmdesk_env(user: str = ADMIN, password: str = ADMIN_PASSWORD) -> dict[str, str]:
    """Environment for a ``python -m pharmdesk`` child: the password never on its argv."""
    env = dict(os.environ)
    env["PHARMDESK_USER"] = user
    env["PHARMDESK_PASSWORD"] = password
    env["PYTHONPATH"] = str(REPO)
    env.pop("PHARMDESK_DB", None)
    return env


def pharmdesk_command(files: DatabaseFiles, *args: str) -> list[str]:
    return [sys.executable, "-m", "pharmdesk", "--db", str(files.db), *args]


def kill_quietly(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
