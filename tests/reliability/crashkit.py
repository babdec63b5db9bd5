"""Kill a writing PharmDesk with SIGKILL at random moments, and check what survives.

Starting Python and importing PharmDesk costs most of a second; hundreds of kills at
that price would take minutes. So one *zygote* process imports everything once and, per
round, forks a *writer*: the writer signs in (cheap test keyslot), writes customers and
orders through the controllers, and prints each id once its transaction has committed
(the acknowledgement). The parent kills the writer at a random moment with SIGKILL, then
checks the file from outside (``checks.check_database``): both integrity checks, the
audit chain against the checkpoint, counters consistent, every acknowledged id present.

Writer, zygote and parent talk over the zygote's stdout, one line per event, written with
single ``os.write`` calls (atomic on a pipe), so the parent sees a round's acknowledgements
before the zygote's "exit" line for it.

Run as ``python -m tests.reliability.crashkit zygote --db PATH`` (password in
``PHARMDESK_PASSWORD``); the test and ``soak.py`` drive it with ``CrashHarness``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pharmdesk.paths import DatabaseFiles
from tests.reliability.checks import (
    REPO,
    Health,
    check_database,
    kill_quietly,
    pharmdesk_env,
    unlock_key,
)

WRITER_MAX_SECONDS = 20.0  # a writer nobody kills (parent gone) stops by itself
ROUND_TIMEOUT = 60.0


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode("utf-8"))


# -- the writer (a forked child of the zygote) ---------------------------------------------
def _writer(files: DatabaseFiles, username: str, password: str, round_no: int) -> None:
    """Sign in and write until killed; print each committed id."""
    from pharmdesk.controllers.session import sign_in
    from tests.conftest import TEST_KDF

    desk = sign_in(files, username, password, kdf=TEST_KDF, sleep=lambda _s: None)
    _say(f"signedin {round_no}")
    rng = random.Random(round_no)
    deadline = time.monotonic() + WRITER_MAX_SECONDS
    step = 0
    while time.monotonic() < deadline:
        step += 1
        serial = round_no * 10_000 + step
        created = desk.call(
            "addProviderCustomer",
            {
                "name": f"Crash Tester {round_no} {step}",
                "phone": f"+234803{serial % 10_000_000:07d}",
                "address": f"{step} Crash Close",
                "allergies": ["Penicillin"] if step % 2 else [],
                "noKnownAllergies": not step % 2,
                "medicalConditions": ["Asthma", "Hypertension"],
            },
        )
        _say(f"ack {round_no} customer {created['customerId']}")
        order = desk.call(
            "recordOrder",
            {"customerId": created["customerId"], "total": rng.randint(100, 90_000)},
        )
        _say(f"ack {round_no} order {order['orderId']}")
        if step % 3 == 0:
            desk.call(
                "updateProviderCustomer",
                {"customerId": created["customerId"], "address": f"{step} Moved Street"},
            )
        if step % 4 == 0:
            desk.write_checkpoint()  # the checkpoint file is rewritten atomically, too
        if step % 5 == 0:
            desk.call("viewProviderCustomerDetails", {"customerId": created["customerId"]})
    desk.close()


def zygote_main(db: Path, username: str) -> int:
    """Wait for "run N" lines; fork a writer for each and report its pid and its end."""
    # Import everything the writer needs before forking, so a round costs a fork only.
    import pharmdesk.controllers.api
    import pharmdesk.controllers.session  # noqa: F401

    password = os.environ["PHARMDESK_PASSWORD"]
    files = DatabaseFiles(db)
    _say("ready")
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        round_no = int(parts[1])
        pid = os.fork()
        if pid == 0:  # the writer
            code = 0
            try:
                _writer(files, username, password, round_no)
            except BaseException as exc:  # a writer that fails before its kill is a finding
                _say(f"error {round_no} {type(exc).__name__}: {str(exc)[:200]}")
                code = 1
            finally:
                os._exit(code)
        _say(f"pid {round_no} {pid}")
        _, status = os.waitpid(pid, 0)
        _say(f"exit {round_no} {status}")
    return 0


# -- the parent side -----------------------------------------------------------------------
@dataclass
class RoundResult:
    round_no: int
    killed_after: float
    signed_in: bool
    acked_customers: set[int] = field(default_factory=set)
    acked_orders: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    health: Health | None = None
    missing_customers: set[int] = field(default_factory=set)
    missing_orders: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and self.health is not None
            and self.health.ok
            and not self.missing_customers
            and not self.missing_orders
        )

    def describe(self) -> str:
        health = self.health.describe() if self.health else "not checked"
        return (
            f"round {self.round_no} (killed after {self.killed_after * 1000:.0f} ms, "
            f"signed in: {self.signed_in}): errors={self.errors} "
            f"missing customers={sorted(self.missing_customers)[:5]} "
            f"missing orders={sorted(self.missing_orders)[:5]} {health}"
        )


class CrashHarness:
    """Owns one zygote for one database; ``run_round`` forks, kills and checks."""

    def __init__(
        self,
        files: DatabaseFiles,
        username: str,
        password: str,
        *,
        seed: int = 0,
        max_delay: float = 0.25,
    ) -> None:
        self.files = files
        self.key = unlock_key(files, username, password)
        self.rng = random.Random(seed)
        self.max_delay = max_delay
        self.acked_customers: set[int] = set()
        self.acked_orders: set[int] = set()
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.crashkit",
                "zygote",
                "--db",
                str(files.db),
                "--user",
                username,
            ],
            cwd=REPO,
            env=pharmdesk_env(username, password),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self.process.stdout is not None
        threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True).start()
        self._expect("ready")

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _next(self) -> str:
        line = self._lines.get(timeout=ROUND_TIMEOUT)
        if line is None:
            raise RuntimeError("the zygote process ended unexpectedly")
        return line

    def _expect(self, word: str) -> str:
        line = self._next()
        if not line.startswith(word):
            raise RuntimeError(f"expected {word!r} from the zygote, got {line!r}")
        return line

    def _kill_delay(self) -> float:
        # A fifth of the kills land during sign-in and opening; the rest while writing.
        if self.rng.random() < 0.2:
            return self.rng.uniform(0.0, 0.06)
        return self.rng.uniform(0.06, self.max_delay)

    def run_round(self, round_no: int) -> RoundResult:
        assert self.process.stdin is not None
        self.process.stdin.write(f"run {round_no}\n")
        self.process.stdin.flush()
        pid = int(self._expect(f"pid {round_no}").split()[2])
        delay = self._kill_delay()
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        result = RoundResult(round_no, delay, signed_in=False)
        while True:
            line = self._next()
            parts = line.split()
            if parts[0] == "exit" and int(parts[1]) == round_no:
                status = int(parts[2])
                if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
                    result.errors.append(f"the writer was not killed (status {status})")
                break
            if parts[0] == "signedin":
                result.signed_in = True
            elif parts[0] == "ack":
                number = int(parts[3].split("-")[1])
                target = result.acked_customers if parts[2] == "customer" else result.acked_orders
                target.add(number)
            elif parts[0] == "error":
                result.errors.append(line)
        self.acked_customers |= result.acked_customers
        self.acked_orders |= result.acked_orders
        health = check_database(self.files, self.key)
        result.health = health
        result.missing_customers = self.acked_customers - health.customers
        result.missing_orders = self.acked_orders - health.orders
        return result

    def close(self) -> None:
        if self.process.poll() is None and self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill_quietly(self.process)
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()

    def __enter__(self) -> CrashHarness:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["zygote"])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--user", required=True)
    args = parser.parse_args(argv)
    return zygote_main(args.db, args.user)


if __name__ == "__main__":
    raise SystemExit(main())
