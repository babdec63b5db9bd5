"""Reading and checking the audit log (admins only). Looking at the log is itself logged.

The entry of the call itself is appended after the page has been read (or the chain
checked), so it is never part of what it describes: it cannot appear on the page, shift
a page, or be counted by the verification it records.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from pharmdesk.controllers import audit
from pharmdesk.controllers.customer_rows import CUSTOMER, iso_or_none
from pharmdesk.controllers.registry import ADMINS, Op, operation
from pharmdesk.controllers.validation import (
    Param,
    choice,
    date_value,
    entity_id,
    integer,
    string,
)
from pharmdesk.errors import validation
from pharmdesk.store.schema import AuditEntry

AUDIT = "AUD"
# The actions of API.md's audit table: filtering by a misspelt one is refused, not empty.
ACTIONS = (
    "signIn",
    "signOut",
    "lock",
    "signInFailed",
    "lockedOut",
    "list",
    "view",
    "segment",
    "create",
    "update",
    "archive",
    "consent",
    "enroll",
    "review",
    "subscription",
    "order",
    "plan",
    "export",
    "print",
    "import",
    "auditView",
    "staff",
    "settings",
    "backup",
    "restore",
    "emergencyAccess",
    "denied",
)


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """One entry as API.md shows it, with its detail parsed back into JSON."""
    return {
        "id": f"{AUDIT}-{entry.id}",
        "at": iso_or_none(entry.at),
        "user": entry.user,
        "action": entry.action,
        "entityType": entry.entity_type,
        "entityId": entry.entity_id,
        "outcome": entry.outcome,
        "detail": json.loads(entry.detail) if entry.detail else {},
    }


def _naive_start(op: Op, day: dt.date) -> dt.datetime:
    """Where a branch-local day starts, as the naive UTC the log stores."""
    return op.desk.clock.local_day_start(day).astimezone(dt.UTC).replace(tzinfo=None)


@operation(
    "fetchAuditLog",
    params={
        "limit": Param(integer(1, 500), default=50),
        "beforeId": Param(entity_id(AUDIT)),
        "customerId": Param(entity_id(CUSTOMER)),
        "user": Param(string(1, 64)),
        "action": Param(choice(*ACTIONS)),
        "from": Param(date_value()),
        "to": Param(date_value()),
    },
    roles=ADMINS,
)
def fetch_audit_log(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    if "from" in p and "to" in p and p["from"] > p["to"]:
        raise validation("'to' must be on or after 'from'.", "to")
    query = select(AuditEntry)
    filters: dict[str, Any] = {}
    if "beforeId" in p:
        query = query.where(AuditEntry.id < p["beforeId"])
        filters["beforeId"] = f"{AUDIT}-{p['beforeId']}"
    if "customerId" in p:
        customer = f"{CUSTOMER}-{p['customerId']}"
        query = query.where(AuditEntry.entity_type == "customer", AuditEntry.entity_id == customer)
        filters["customerId"] = customer
    if "user" in p:
        # Usernames are stored lower-case (sign-in folds what was typed).
        user = p["user"].lower()
        query = query.where(AuditEntry.user == user)
        filters["user"] = user
    if "action" in p:
        query = query.where(AuditEntry.action == p["action"])
        filters["action"] = p["action"]
    if "from" in p:
        query = query.where(AuditEntry.at >= _naive_start(op, p["from"]))
        filters["from"] = p["from"].isoformat()
    if "to" in p:
        query = query.where(AuditEntry.at < _naive_start(op, p["to"] + dt.timedelta(days=1)))
        filters["to"] = p["to"].isoformat()
    limit = p["limit"]
    # Keyset paging on the id: entries appended meanwhile are newer than every page.
    rows = op.tx.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    has_more = len(rows) > limit
    page = rows[:limit]
    entries = [entry_json(e) for e in page]
    next_before = f"{AUDIT}-{page[-1].id}" if has_more else None
    op.audit(
        "auditView",
        None,
        None,
        {"operation": "fetchAuditLog", "filters": filters, "shown": len(entries)},
    )
    return {"entries": entries, "hasMore": has_more, "nextBeforeId": next_before}


@operation("verifyAuditLog", params={}, roles=ADMINS)
def verify_audit_log(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    checkpoint = audit.read_checkpoint(op.desk.files.checkpoint)
    report = audit.verify_chain(op.tx, checkpoint)
    answer = report.to_json()
    op.audit(
        "auditView",
        None,
        None,
        {
            "operation": "verifyAuditLog",
            **answer,
            "reason": report.reason,
            "checkpoint": checkpoint.code() if checkpoint else None,
        },
    )
    return answer
