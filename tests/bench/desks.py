"""Several desks at once on one branch server: a mix of front-desk work, then a check.

    python -m tests.bench.desks [--desks 5] [--seconds 60] [--db postgresql://OWNER@HOST/DB]

Each desk is its own process (``tests/bench/desk_worker.py``) signed in as its own staff
member (created with ``addStaff``); for ``--seconds`` they search, list, view, create,
update with ``expectedVersion`` (a ``CONFLICT`` is expected when another desk changed
the customer first; counted), enrol and record orders against one server. Then the
database is read as its owner and checked:

- no error other than the expected CONFLICTs;
- no lost update: each shared customer's version is 1 + its acknowledged updates, those
  updates' versions are exactly 2..n, its notes are the last acknowledged update's, and
  its order count and spend are the sum of its acknowledged orders;
- every acknowledged write is there (customers, subscriptions, orders, as acknowledged);
- one valid audit chain (``verifyAuditLog``) whose entries name the right people: per
  desk, one entry for each of its acknowledged calls (no more, no fewer), and each write's
  entry (found by the id it made) names the desk that made it.

Prints per-operation counts and p50/p95 latency. Without ``--db`` it starts a throwaway
PostgreSQL in a temp folder (``tests/pg_server.py``); with ``--db`` the URL must name an
empty database that its login may fill (``pharmdesk init``'s rights). The server benchmark
(``python -m tests.bench.server``) runs the same mix on its 100,000-customer database;
the CI test (``tests/server/test_pg_desks.py``) runs the same mix for about 10 seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.session import DeskSession, create_database, sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.vault import KdfParams
from tests.bench.desk_check import audit_head, check
from tests.bench.desk_worker import MIX

__all__ = ["MIX", "MIX_KDF", "MixReport", "Prepared", "audit_head", "check", "run_mix"]

# Cheap key slots for the desks' own staff (the mix measures operations, not sign-ins).
MIX_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
HOT_CUSTOMERS = 3
ROOT = Path(__file__).resolve().parents[2]
ADMIN = "mixadmin"


@dataclasses.dataclass
class Prepared:
    """What the desks share: their staff, the customers all of them update, the plan."""

    tag: int
    staff: list[tuple[str, str]]  # (username, password)
    hot: list[str]
    hot_phones: list[str]
    plan_id: str


@dataclasses.dataclass
class MixReport:
    desks: list[dict[str, Any]]
    problems: list[str]
    seconds: float
    audit_checked: int

    @property
    def conflicts(self) -> int:
        return sum(int(d["conflicts"]) for d in self.desks)

    def latencies(self) -> dict[str, list[float]]:
        merged: dict[str, list[float]] = {name: [] for name, _w in MIX}
        for desk in self.desks:
            for name, times in desk["times"].items():
                merged[name] += times
        return merged

    def acknowledged(self, key: str) -> list[dict[str, Any]]:
        return [dict(item, user=d["user"]) for d in self.desks for item in d[key]]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank above), of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q / 100 + 0.999999) - 1))]


def prepare(admin: DeskSession, desks: int, tag: int) -> Prepared:
    """Staff for each desk (its own login), the shared customers and a plan to enrol in."""
    staff = []
    for n in range(desks):
        username = f"desk{tag}n{n}"
        password = secrets.token_urlsafe(18)
        admin.call(
            "addStaff",
            {
                "username": username,
                "fullName": f"Desk {n} Staff",
                "role": "pharmacist" if n % 2 else "frontdesk",
                "password": password,
            },
        )
        staff.append((username, password))
    hot, phones = [], []
    for k in range(HOT_CUSTOMERS):
        phone = f"0705{tag % 1000:03d}{k:04d}"
        answer = admin.call(
            "addProviderCustomer",
            {"name": f"Shared Customer T{tag} K{k}", "phone": phone, "noKnownAllergies": True},
        )
        hot.append(answer["customerId"])
        phones.append(phone)
    plan = admin.call(
        "addPlan",
        {
            "name": f"Desk Mix Care {tag}",
            "medications": ["Amlodipine 5mg"],
            "frequency": "monthly",
            "price": 15000,
        },
    )
    return Prepared(tag, staff, hot, phones, plan["planId"])


def run_desks(
    files: DatabaseFiles,
    prepared: Prepared,
    seconds: float,
    seed: int,
    kdf: KdfParams,
    think_ms: float = 0.0,
    moment: dt.datetime | None = None,
) -> tuple[list[dict[str, Any]], float]:
    """Start one process per desk, let them sign in, start them together; their results
    and the seconds from the start signal until the last one finished."""
    folder = Path(tempfile.mkdtemp(prefix="pharmdesk-desks-"))
    children = []
    try:
        for n, (username, password) in enumerate(prepared.staff):
            config = {
                "db": str(files.db),
                "server": files.server,
                "username": username,
                "password": password,
                "kdf": dataclasses.asdict(kdf),
                "number": n,
                "tag": prepared.tag,
                "hot": prepared.hot,
                "hotPhones": prepared.hot_phones,
                "planId": prepared.plan_id,
                "seed": seed * 100 + n,
                "seconds": seconds,
                "thinkMs": think_ms,
                "moment": moment.isoformat() if moment is not None else None,
            }
            path = folder / f"desk{n}.json"
            path.write_text(json.dumps(config))
            path.chmod(0o600)  # holds a password
            result = folder / f"desk{n}-result.json"
            child = subprocess.Popen(
                [sys.executable, "-m", "tests.bench.desk_worker", str(path), str(result)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,  # ``-m tests...`` from the repository, wherever this runs from
            )
            children.append((child, result))
        for child, _result in children:
            assert child.stdout is not None
            line = child.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"a desk did not sign in (exit {child.wait(timeout=30)})")
        began = time.monotonic()
        for child, _result in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = []
        for child, result in children:
            code = child.wait(timeout=seconds + 300)
            if code != 0:
                raise RuntimeError(f"a desk process ended with exit code {code}")
            results.append(json.loads(result.read_text()))
        return results, time.monotonic() - began
    finally:
        for child, _result in children:
            if child.poll() is None:
                child.kill()
                child.wait()
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def run_mix(
    files: DatabaseFiles,
    owner_url: str,
    admin: DeskSession,
    *,
    desks: int = 5,
    seconds: float = 60.0,
    seed: int = 2026,
    kdf: KdfParams = MIX_KDF,
    think_ms: float = 0.0,
    moment: dt.datetime | None = None,
) -> MixReport:
    """Prepare, run the desks, check; ``admin`` is a signed-in admin of ``files``.
    ``moment``: the desks' fixed clock (default: the real one)."""
    tag = random.Random(seed ^ int(time.time())).randrange(100, 1000)
    prepared = prepare(admin, desks, tag)
    after = audit_head(owner_url)
    results, took = run_desks(files, prepared, seconds, seed, kdf, think_ms, moment)
    problems = check(owner_url, prepared, results, after)
    verified = admin.call("verifyAuditLog", {})
    if verified["ok"] is not True:
        problems.append(f"verifyAuditLog: {verified}")
    return MixReport(results, problems, took, int(verified.get("checked", 0)))


def summary(report: MixReport) -> str:
    """Per operation: calls, p50 and p95 over every desk; then conflicts and problems."""
    lines = [f"{'operation':<10} {'calls':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"]
    total = 0
    for name, times in report.latencies().items():
        total += len(times)
        if not times:
            lines.append(f"{name:<10} {0:>7}")
            continue
        lines.append(
            f"{name:<10} {len(times):>7} {statistics.median(times):>8.1f} "
            f"{percentile(times, 95):>8.1f} {max(times):>8.1f}"
        )
    rate = total / report.seconds if report.seconds else 0.0
    lines.append(
        f"{len(report.desks)} desks, {report.seconds:.1f} s: {total:,} calls ({rate:.0f}/s), "
        f"{report.conflicts} CONFLICTs (expected), {len(report.problems)} problems; "
        f"audit chain verified: {report.audit_checked:,} entries"
    )
    lines += [f"PROBLEM: {p}" for p in report.problems]
    return "\n".join(lines)


def report_json(report: MixReport) -> dict[str, Any]:
    per_op = {
        name: {
            "calls": len(times),
            "p50Ms": statistics.median(times) if times else None,
            "p95Ms": percentile(times, 95) if times else None,
        }
        for name, times in report.latencies().items()
    }
    return {
        "desks": len(report.desks),
        "seconds": report.seconds,
        "operations": per_op,
        "conflicts": report.conflicts,
        "problems": report.problems,
        "auditChecked": report.audit_checked,
    }


def _new_branch(url: str, folder: Path, password: str) -> DatabaseFiles:
    files = DatabaseFiles(folder / "pharmdesk.db", server=url)
    create_database(
        files,
        admin=ADMIN,
        full_name="Mix Admin",
        password=password,
        branch_name="Desk Mix Branch",
        kdf=MIX_KDF,
    )
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.desks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--desks", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause between a desk's calls in ms (default 0: each desk flat out)",
    )
    parser.add_argument("--db", help="an empty server database (default: a temp server)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    from tests import pg_server

    server = None
    url = args.db
    if url is None:
        server = pg_server.start_server()
        pg_server.create_database(server, "desk_mix")
        url = server.url("desk_mix")
    password = secrets.token_urlsafe(18)
    try:
        with tempfile.TemporaryDirectory(prefix="pharmdesk-mix-") as desk_folder:
            files = _new_branch(url, Path(desk_folder), password)
            admin = sign_in(files, ADMIN, password, kdf=MIX_KDF)
            try:
                started = dt.datetime.now(dt.UTC)
                report = run_mix(
                    files,
                    url,
                    admin,
                    desks=args.desks,
                    seconds=args.seconds,
                    seed=args.seed,
                    think_ms=args.think,
                )
            finally:
                admin.close()
    finally:
        if server is not None:
            pg_server.stop_server(server)
    print(
        f"Desk mix, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"mean pause between a desk's calls {args.think:g} ms"
    )
    print(summary(report))
    if args.json:
        args.json.write_text(json.dumps(report_json(report), indent=2))
    return 0 if not report.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
