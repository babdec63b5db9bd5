"""One desk of the several-desks mix (``tests/bench/desks.py``), as its own process.

    python -m tests.bench.desk_worker CONFIG.json RESULT.json

Signs in as its own staff member, prints ``ready`` and waits for a line on stdin (so all
desks start together), then for the configured seconds runs a mix of what a front desk
does: searches, customer views, new customers, updates with ``expectedVersion`` (a
``CONFLICT`` is expected when another desk changed the customer since it was read, and
counted), enrolments and orders, with no pause between them or a random one (``thinkMs``
on average: a person reads the screen). Every call goes through ``DeskSession.call``. Writes
each call's time, each error and every acknowledged write to RESULT.json for the parent
to check against the database. Nothing here asserts.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pharmdesk.clock import Clock, FixedClock
from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import CONFLICT, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.vault import KdfParams

# What a desk does, by weight (a view before each update is counted as a view).
MIX = (
    ("search", 30),
    ("list", 5),
    ("view", 15),
    ("update", 20),
    ("create", 10),
    ("enroll", 8),
    ("order", 12),
)
FRAGMENTS = ("ade", "chi", "oba", "emeka", "ola", "nne", "o", "walkin", "shared")


class Desk:
    """One signed-in desk and what it has done (acknowledged writes, times, errors)."""

    def __init__(self, session: DeskSession, config: dict[str, Any]) -> None:
        self.session = session
        self.number = int(config["number"])
        self.tag = int(config["tag"])
        self.hot: list[str] = list(config["hot"])
        self.hot_phones: list[str] = list(config["hotPhones"])
        self.plan: str = config["planId"]
        self.random = random.Random(int(config["seed"]))
        self.times: dict[str, list[float]] = {name: [] for name, _w in MIX}
        self.conflicts = 0
        self.errors: list[dict[str, str]] = []
        self.created: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.enrolled: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self.not_enrolled: list[str] = []
        self.subscriptions: dict[str, str] = {}
        self.calls: dict[str, int] = {}
        self.think = float(config.get("thinkMs", 0.0)) / 1000

    def call(self, kind: str, operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """One timed call; None when it failed (a CONFLICT is counted, anything else is an
        error the parent reports)."""
        began = time.perf_counter()
        try:
            answer = self.session.call(operation, params)
        except PharmDeskError as exc:
            if exc.code == CONFLICT and operation == "updateProviderCustomer":
                self.conflicts += 1
                self.times[kind].append((time.perf_counter() - began) * 1000)
                return None
            self.errors.append({"operation": operation, "code": exc.code, "message": str(exc)})
            return None
        except Exception as exc:  # reported by the parent, never swallowed
            self.errors.append(
                {"operation": operation, "code": type(exc).__name__, "message": str(exc)[:300]}
            )
            return None
        self.times[kind].append((time.perf_counter() - began) * 1000)
        self.calls[operation] = self.calls.get(operation, 0) + 1
        return answer

    # -- the mix -----------------------------------------------------------------------------
    def search(self) -> None:
        pick = self.random.random()
        if pick < 0.4:
            text = self.random.choice(FRAGMENTS)
        elif pick < 0.7 and self.created:
            text = self.random.choice(self.created)["name"].split()[-1]
        else:
            phone = self.random.choice(self.hot_phones)
            text = f"{phone[:4]} {phone[4:7]}"
        self.call("search", "fetchCustomers", {"search": text, "limit": 20})

    def list(self) -> None:
        self.call("list", "fetchCustomers", {"page": self.random.randint(1, 50), "limit": 20})

    def view(self) -> None:
        pool = self.hot + [c["customerId"] for c in self.created[-20:]]
        self.call("view", "viewProviderCustomerDetails", {"customerId": self.random.choice(pool)})

    def update(self) -> None:
        customer = self.random.choice(self.hot)
        seen = self.call("view", "viewProviderCustomerDetails", {"customerId": customer})
        if seen is None:
            return
        notes = f"Desk {self.number} update {len(self.updates) + self.conflicts + 1}"
        answer = self.call(
            "update",
            "updateProviderCustomer",
            {"customerId": customer, "expectedVersion": seen["version"], "notes": notes},
        )
        if answer is not None:
            self.updates.append(
                {"customerId": customer, "version": answer["version"], "notes": notes}
            )

    def create(self) -> None:
        n = len(self.created) + 1
        name = f"Walkin D{self.number} T{self.tag} N{n}"
        phone = f"0703{self.number}{self.tag % 100:02d}{n:04d}"
        answer = self.call(
            "create",
            "addProviderCustomer",
            {"name": name, "phone": phone, "noKnownAllergies": True},
        )
        if answer is not None:
            self.created.append({"customerId": answer["customerId"], "name": name, "phone": phone})
            self.not_enrolled.append(answer["customerId"])

    def enroll(self) -> None:
        if not self.not_enrolled:
            self.create()
            if not self.not_enrolled:
                return
        customer = self.not_enrolled.pop(0)
        answer = self.call(
            "enroll", "addCustomerPlan", {"customerId": customer, "planId": self.plan}
        )
        if answer is not None:
            self.enrolled.append(
                {"customerId": customer, "subscriptionId": answer["subscriptionId"]}
            )
            self.subscriptions[customer] = answer["subscriptionId"]

    def order(self) -> None:
        params: dict[str, Any] = {"total": self.random.randint(1, 500) * 100}
        if self.subscriptions and self.random.random() < 0.4:
            customer = self.random.choice(sorted(self.subscriptions))
            params["subscriptionId"] = self.subscriptions[customer]
        else:
            customer = self.random.choice(self.hot)
        params["customerId"] = customer
        answer = self.call("order", "recordOrder", params)
        if answer is not None:
            self.orders.append(
                {"customerId": customer, "orderId": answer["orderId"], "total": params["total"]}
            )

    def run(self, seconds: float) -> None:
        names = [name for name, _w in MIX]
        weights = [w for _n, w in MIX]
        steps: dict[str, Callable[[], None]] = {name: getattr(self, name) for name in names}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            steps[self.random.choices(names, weights)[0]]()
            if self.think:
                time.sleep(self.random.uniform(0, 2 * self.think))

    def result(self, signed_in_ms: float) -> dict[str, Any]:
        return {
            "number": self.number,
            "user": self.session.staff.username,
            "signInMs": signed_in_ms,
            "times": self.times,
            "calls": self.calls,
            "conflicts": self.conflicts,
            "errors": self.errors,
            "created": self.created,
            "updates": self.updates,
            "enrolled": self.enrolled,
            "orders": self.orders,
        }


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[0]).read_text())
    files = DatabaseFiles(Path(config["db"]), server=config.get("server"))
    kdf = KdfParams(**config["kdf"])
    began = time.perf_counter()
    # A database with a fixed "now" (the bench's demo) is worked on at that moment: the
    # first sign-in at today's date would first resume every plan paused since.
    moment = config.get("moment")
    clock = FixedClock(dt.datetime.fromisoformat(moment)) if moment else Clock()
    session = sign_in(files, config["username"], config["password"], kdf=kdf, clock=clock)
    signed_in_ms = (time.perf_counter() - began) * 1000
    try:
        desk = Desk(session, config)
        print("ready", flush=True)
        sys.stdin.readline()
        desk.run(float(config["seconds"]))
        Path(argv[1]).write_text(json.dumps(desk.result(signed_in_ms)))
    finally:
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
