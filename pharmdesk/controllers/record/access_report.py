"""getAccessReport: who saw or changed one customer's record, and when (NDPA access).

One walk down ``audit_customer`` (every entry that named the customer: views, list pages
and segments that showed them, exports, changes), for the customer and for any duplicate
merged into them, oldest first, with a summary per person.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.registry import ADMINS, Op, operation
from pharmdesk.controllers.validation import Param, date_value
from pharmdesk.errors import validation
from pharmdesk.store.schema import AuditCustomer, AuditEntry, Customer

SEEN = frozenset({"view", "list", "segment", "export", "print"})


def _naive_start(op: Op, day: dt.date) -> dt.datetime:
    return op.desk.clock.local_day_start(day).astimezone(dt.UTC).replace(tzinfo=None)


def merged_into(op: Op, number: int) -> list[int]:
    """The customer and every record merged into it (and into those), for the report."""
    found = [number]
    frontier = [number]
    while frontier:
        frontier = list(
            op.tx.scalars(select(Customer.id).where(Customer.merged_into.in_(frontier)))
        )
        found += [n for n in frontier if n not in found]
    return found


@operation(
    "getAccessReport",
    params={**CUSTOMER_ID, "from": Param(date_value()), "to": Param(date_value())},
    roles=ADMINS,
)
def get_access_report(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    if "from" in p and "to" in p and p["from"] > p["to"]:
        raise validation("'to' must be on or after 'from'.", "to")
    customer = get_customer(op.tx, p["customerId"])
    numbers = merged_into(op, customer.id)
    query = (
        select(AuditEntry, AuditCustomer.customer_id)
        .join(AuditCustomer, AuditCustomer.entry_id == AuditEntry.id)
        .where(AuditCustomer.customer_id.in_(numbers))
        .order_by(AuditEntry.id)
    )
    if "from" in p:
        query = query.where(AuditEntry.at >= _naive_start(op, p["from"]))
    if "to" in p:
        query = query.where(AuditEntry.at < _naive_start(op, p["to"] + dt.timedelta(days=1)))
    entries = []
    people: dict[str, dict[str, Any]] = {}
    seen_ids: set[int] = set()
    for entry, number in op.tx.execute(query):
        if entry.id in seen_ids:
            continue
        seen_ids.add(entry.id)
        kind = "seen" if entry.action in SEEN else "changed"
        at = iso_or_none(entry.at)
        entries.append(
            {
                "id": f"AUD-{entry.id}",
                "at": at,
                "user": entry.user,
                "action": entry.action,
                "kind": kind,
                "outcome": entry.outcome,
                "recordId": cust_id(number),
                "detail": json.loads(entry.detail) if entry.detail else {},
            }
        )
        person = people.setdefault(
            entry.user, {"user": entry.user, "seen": 0, "changed": 0, "first": at, "last": at}
        )
        person[kind] += 1
        person["last"] = at
    answer = {
        "customerId": cust_id(customer.id),
        "from": p["from"].isoformat() if "from" in p else None,
        "to": p["to"].isoformat() if "to" in p else None,
        "entries": entries,
        "people": sorted(people.values(), key=lambda x: x["user"]),
        "generatedAt": iso_or_none(op.naive_now),
    }
    op.audit(
        "export",
        "customer",
        cust_id(customer.id),
        {
            "kind": "accessReport",
            "entries": len(entries),
            "from": answer["from"],
            "to": answer["to"],
        },
    )
    return answer
