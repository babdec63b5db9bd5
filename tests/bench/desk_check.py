"""The check after the several-desks mix (``desks.py``): every acknowledged write against
the database, read as its owner, and each desk's audit entries. Returns the problems
found (an empty list when all holds)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from pharmdesk.controllers.validation import phone_e164

if TYPE_CHECKING:
    from tests.bench.desks import Prepared

# The audit action each operation writes (API.md, "Audit actions").
ACTIONS = {
    "fetchCustomers": "list",
    "viewProviderCustomerDetails": "view",
    "addProviderCustomer": "create",
    "updateProviderCustomer": "update",
    "addCustomerPlan": "enroll",
    "recordOrder": "order",
}


def _acknowledged(desks: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [dict(item, user=d["user"]) for d in desks for item in d[key]]


def audit_head(owner_url: str) -> int:
    import psycopg

    with psycopg.connect(owner_url) as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM audit_entry").fetchone()
    return int(row[0]) if row else 0


def _number(text_id: str) -> int:
    return int(text_id.split("-")[1])


def check(owner_url: str, prepared: Prepared, desks: list[dict[str, Any]], after: int) -> list[str]:
    """Every acknowledged write against the database, read as its owner; the problems."""
    import psycopg

    problems = [
        f"{d['user']}: {e['operation']} failed with {e['code']}: {e['message']}"
        for d in desks
        for e in d["errors"]
    ]
    created = _acknowledged(desks, "created")
    updates = _acknowledged(desks, "updates")
    enrolled = _acknowledged(desks, "enrolled")
    orders = _acknowledged(desks, "orders")
    with psycopg.connect(owner_url) as conn:
        ids = [_number(c) for c in prepared.hot] + [_number(c["customerId"]) for c in created]
        customers = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT id, name, phone, version, notes, total_orders, total_spent "
                "FROM customer WHERE id = ANY(%s)",
                (ids,),
            )
        }
        subscriptions = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT id, customer_id, plan_id FROM subscription WHERE id = ANY(%s)",
                ([_number(e["subscriptionId"]) for e in enrolled],),
            )
        }
        stored_orders = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT id, customer_id, total, status, created_by FROM customer_order "
                "WHERE id = ANY(%s)",
                ([_number(o["orderId"]) for o in orders],),
            )
        }
        entries = list(
            conn.execute(
                'SELECT "user", action, entity_id, outcome, detail FROM audit_entry '
                "WHERE id > %s ORDER BY id",
                (after,),
            )
        )
    for c in created:
        row = customers.get(_number(c["customerId"]))
        if row is None or row[0] != c["name"] or row[1] != phone_e164(c["phone"], "NG"):
            problems.append(f"{c['customerId']} created by {c['user']} is missing or changed")
    for customer in prepared.hot:
        mine = [u for u in updates if u["customerId"] == customer]
        version, notes, total_orders, total_spent = customers[_number(customer)][2:]
        if version != 1 + len(mine):
            problems.append(f"{customer}: version {version}, {len(mine)} acknowledged updates")
        if sorted(u["version"] for u in mine) != list(range(2, 2 + len(mine))):
            problems.append(f"{customer}: acknowledged versions are not 2..{1 + len(mine)}")
        if mine and notes != max(mine, key=lambda u: u["version"])["notes"]:
            problems.append(f"{customer}: its notes are not the last acknowledged update's")
        paid = [o["total"] for o in orders if o["customerId"] == customer]
        if (total_orders, total_spent) != (len(paid), sum(paid)):
            problems.append(
                f"{customer}: {total_orders} orders for {total_spent}, acknowledged "
                f"{len(paid)} for {sum(paid)}"
            )
    for e in enrolled:
        sub = subscriptions.get(_number(e["subscriptionId"]))
        if sub is None or sub != (_number(e["customerId"]), _number(prepared.plan_id)):
            problems.append(f"{e['subscriptionId']} enrolled by {e['user']} is missing or changed")
    for o in orders:
        got = stored_orders.get(_number(o["orderId"]))
        if got != (_number(o["customerId"]), o["total"], "completed", o["user"]):
            problems.append(f"{o['orderId']} recorded by {o['user']} is missing or changed")
    problems += _check_audit(desks, entries, created, updates, enrolled, orders)
    return problems


def _check_audit(
    desks: list[dict[str, Any]],
    entries: list[tuple[Any, ...]],
    created: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    enrolled: list[dict[str, Any]],
    orders: list[dict[str, Any]],
) -> list[str]:
    """One entry per acknowledged call, under the right name; each write's entry (by the
    id it made, or for an update by the notes it wrote) names the desk that made it."""
    problems = []
    users = {d["user"] for d in desks}
    counted = Counter((user, action) for user, action, _e, outcome, _d in entries if user in users)
    for desk in desks:
        expected = Counter({(desk["user"], "signIn"): 1})
        for operation, n in desk["calls"].items():
            expected[(desk["user"], ACTIONS[operation])] += n
        mine = Counter({k: v for k, v in counted.items() if k[0] == desk["user"]})
        if mine != expected:
            problems.append(f"{desk['user']}: audit entries {dict(mine)}, calls {dict(expected)}")
    failed = [e for e in entries if e[0] in users and e[3] != "success"]
    if failed:
        problems.append(f"{len(failed)} audit entries of the desks are not successes")
    by_entity = {(action, entity): user for user, action, entity, _o, _d in entries}
    for c in created:
        if by_entity.get(("create", c["customerId"])) != c["user"]:
            problems.append(f"the create entry of {c['customerId']} does not name {c['user']}")
    details: dict[tuple[str, str], str] = {}
    for user, action, _entity, _outcome, detail in entries:
        parsed = json.loads(detail)
        for key in ("orderId", "subscriptionId"):
            if key in parsed and action in ("order", "enroll"):
                details[(action, str(parsed[key]))] = user
        if action == "update":
            new = parsed.get("changes", {}).get("notes", {}).get("new")
            if new is not None:
                details[("update", str(new))] = user
    for u in updates:
        if details.get(("update", u["notes"])) != u["user"]:
            problems.append(f"an update of {u['customerId']} is not in the log as {u['user']}'s")
    for e in enrolled:
        if details.get(("enroll", e["subscriptionId"])) != e["user"]:
            problems.append(f"the enroll entry of {e['subscriptionId']} does not name {e['user']}")
    for o in orders:
        if details.get(("order", o["orderId"])) != o["user"]:
            problems.append(f"the order entry of {o['orderId']} does not name {o['user']}")
    return problems
