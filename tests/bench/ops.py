"""The controller operations of issue 9, each paired with its floor and its target."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pharmdesk.controllers.session import DeskSession
from tests.bench.floor import Floor

LIMIT = 20


@dataclass
class Case:
    """One measured operation: the controller call, and the floor's candidate plans."""

    group: str
    name: str
    run: Callable[[], Any]
    floors: list[Callable[[], Any]] = field(default_factory=list)
    comparable: Callable[[Any], Any] = lambda answer: answer
    note: str = ""
    writes: bool = False


def listed(answer: dict[str, Any]) -> tuple[int, list[int]]:
    return int(answer["total"]), [int(row["id"].split("-")[1]) for row in answer["customers"]]


def viewed(answer: dict[str, Any]) -> tuple[int, int, int]:
    return int(answer["id"].split("-")[1]), len(answer["plans"]), len(answer["recentOrders"])


@dataclass(frozen=True)
class Probes:
    """Real values from the database to search for (same seed, same values)."""

    two_words: str
    phone_digits: str
    heavy_customer: int
    heavy_orders: int
    min_spend: int
    updated_customer: int


def probe(floor: Floor, size: int) -> Probes:
    conn = floor.conn
    middle = conn.execute(
        "SELECT name_key, phone FROM customer WHERE archived = 0 AND id >= ? ORDER BY id LIMIT 1",
        (size // 2,),
    ).fetchone()
    words = middle[0].split()
    national = "0" + middle[1][4:]  # +234 803 ... -> 0803 ...
    heavy = (
        conn.execute(
            "SELECT c.id, (SELECT count(*) FROM customer_order o WHERE o.customer_id = c.id) AS n "
            "FROM customer c WHERE c.id % 997 = 3 AND c.id >= ? ORDER BY c.id LIMIT 5",
            (size // 3,),
        ).fetchall()
        or conn.execute(
            "SELECT c.id, (SELECT count(*) FROM customer_order o WHERE o.customer_id = c.id) "
            "FROM customer c WHERE c.id % 997 = 3 ORDER BY c.id LIMIT 5"
        ).fetchall()
    )
    best = min(heavy, key=lambda row: abs(row[1] - 200))
    spend = conn.execute(
        "SELECT total_spent FROM customer WHERE archived = 0 ORDER BY total_spent DESC "
        "LIMIT 1 OFFSET ?",
        (max(1, size // 100),),
    ).fetchone()[0]
    updated = conn.execute(
        "SELECT id FROM customer WHERE archived = 0 AND id >= ? ORDER BY id LIMIT 1",
        (size // 4,),
    ).fetchone()[0]
    return Probes(
        two_words=f"{words[0]} {words[-1]}",
        phone_digits=f"{national[:4]} {national[4:7]}",
        heavy_customer=int(best[0]),
        heavy_orders=int(best[1]),
        min_spend=int(spend),
        updated_customer=int(updated),
    )


def cases(desk: DeskSession, floor: Floor, probes: Probes, today: dt.date) -> list[Case]:
    def fetch(**params: Any) -> Callable[[], Any]:
        return lambda: desk.call("fetchCustomers", {"limit": LIMIT, **params})

    def search(text: str, page: int = 1) -> list[Callable[[], Any]]:
        return [
            lambda: floor.search_page(text, page, LIMIT, "walk"),
            lambda: floor.search_page(text, page, LIMIT, "index"),
        ]

    searches = [
        ("name search, two words", probes.two_words, ""),
        ("phone digits search", probes.phone_digits, ""),
        ("search with no hits", "qxzv", ""),
        ("broad fragment 'ade'", "ade", "extra: what a keystroke pause sends"),
        ("one letter 'o'", "o", "extra"),
    ]
    counter = itertools.count(1)
    numbers = itertools.count(1_000_000)
    addresses = itertools.cycle(("1 Bench Road, Lekki", "2 Bench Road, Lekki"))
    floor_addresses = itertools.cycle(("1 Bench Road, Lekki", "2 Bench Road, Lekki"))

    def new_phone() -> str:
        return f"0909{next(numbers) % 10_000_000:07d}"

    result = [
        Case("fetchCustomers", "page 1", fetch(), [lambda: floor.list_page(1, LIMIT)], listed),
        Case(
            "fetchCustomers",
            "page 500",
            fetch(page=500),
            [lambda: floor.list_page(500, LIMIT)],
            listed,
        ),
        *(
            Case(
                "fetchCustomers",
                f"{label} ({text!r})",
                fetch(search=text),
                search(text),
                listed,
                note,
            )
            for label, text, note in searches
        ),
        Case(
            "fetchCustomers",
            f"by id (CUST-{probes.updated_customer})",
            fetch(search=f"CUST-{probes.updated_customer}"),
            [lambda: floor.by_id(probes.updated_customer)],
            listed,
            "extra: the fixed cost of one operation (one row, one audit entry)",
        ),
        Case(
            "fetchCustomers",
            "sorted by -lastOrder",
            fetch(sort="-lastOrder"),
            [],
            listed,
            "extra: no floor",
        ),
        Case(
            "viewProviderCustomerDetails",
            f"customer with {probes.heavy_orders} orders",
            lambda: desk.call(
                "viewProviderCustomerDetails", {"customerId": f"CUST-{probes.heavy_customer}"}
            ),
            [lambda: floor.view(probes.heavy_customer)],
            viewed,
        ),
        Case(
            "segment",
            "getCustomersByCondition 'diabetes'",
            lambda: desk.call("getCustomersByCondition", {"condition": "diabetes", "limit": LIMIT}),
            [lambda: floor.condition_segment("diabetes", LIMIT)],
            listed,
        ),
        Case(
            "segment",
            "getCustomersWithUpcomingRefills 7 days",
            lambda: desk.call("getCustomersWithUpcomingRefills", {"days": 7, "limit": LIMIT}),
            [lambda: floor.refills_segment(today + dt.timedelta(days=7), LIMIT)],
            listed,
        ),
        Case(
            "segment",
            f"getHighValueCustomers {probes.min_spend:,}",
            lambda: desk.call(
                "getHighValueCustomers", {"minSpend": probes.min_spend, "limit": LIMIT}
            ),
            [lambda: floor.high_value_segment(probes.min_spend, LIMIT)],
            listed,
        ),
        Case(
            "write",
            "addProviderCustomer",
            lambda: desk.call(
                "addProviderCustomer",
                {"name": f"Bench Walkin {next(counter)}", "phone": new_phone()},
            )["success"],
            [lambda: bool(floor.add_customer(f"Bench Walkin {next(counter)}", new_phone()))],
            writes=True,
        ),
        Case(
            "write",
            "updateProviderCustomer (address)",
            lambda: desk.call(
                "updateProviderCustomer",
                {"customerId": f"CUST-{probes.updated_customer}", "address": next(addresses)},
            )["updatedFields"],
            [lambda: floor.update_address(probes.updated_customer, next(floor_addresses))],
            writes=True,
        ),
    ]
    return result
