"""Reading and checking the audit log (admins only). Looking at the log is itself logged.

The entry of the call itself is appended after the page has been read (or the chain
checked), so it is never part of what it describes: it cannot appear on the page, shift
a page, or be counted by the verification it records.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
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
from pharmdesk.errors import PharmDeskError, validation
from pharmdesk.store.backup import BackupArchive
from pharmdesk.store.schema import AuditCustomer, AuditEntry, AuditState

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
    "tamper",
    "relationship",
    "payer",
    "merge",
    "erase",
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
    order = AuditEntry.id.desc()
    if "customerId" in p:
        # Every entry that showed or changed the customer (its entity, or one of the
        # customers a list showed): one walk down audit_customer's primary key.
        query = query.join(AuditCustomer, AuditCustomer.entry_id == AuditEntry.id).where(
            AuditCustomer.customer_id == p["customerId"]
        )
        if "beforeId" in p:
            query = query.where(AuditCustomer.entry_id < p["beforeId"])
        order = AuditCustomer.entry_id.desc()
        filters["customerId"] = f"{CUSTOMER}-{p['customerId']}"
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
    rows = op.tx.scalars(query.order_by(order).limit(limit + 1)).all()
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


@operation(
    "verifyAuditLog",
    params={"backup": Param(string(1, 4096)), "code": Param(string(1, 100))},
    roles=ADMINS,
)
def verify_audit_log(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """The chain, every seal (with this admin's root), and every checkpoint given: the one
    beside the database (required), the one inside a backup, a printed code."""
    checkpoints: list[audit.Checkpoint] = []
    sources: list[str] = []
    reason = None
    path = op.desk.files.checkpoint
    stored = audit.read_checkpoint(path)
    if stored is None:
        reason = "checkpoint missing" if not path.exists() else "checkpoint unreadable"
    else:
        checkpoints.append(stored)
        sources.append(f"file {stored.code()}")
    if "backup" in p:
        carried = backup_checkpoint(Path(p["backup"]).expanduser())
        checkpoints.append(carried)
        sources.append(f"backup {carried.code()}")
    if "code" in p:
        try:
            printed = audit.Checkpoint.from_code(p["code"])
        except ValueError:
            raise validation(
                "That is not a checkpoint code: it looks like AUD-1234:0123456789abcdef.", "code"
            ) from None
        checkpoints.append(printed)
        sources.append(f"code {printed.code()}")
    seal = op.desk.seal
    if seal is None and sealing_started(op):
        reason = reason or (
            "the seal key is not available to this account: sign in with your password "
            "(an admin who holds it hands it on at their next sign-in)"
        )
    report = audit.verify_chain(op.tx, checkpoints, seal)
    ok = report.ok and reason is None
    answer = {
        **report.to_json(),
        "ok": ok,
        "reason": report.reason or reason,
        "sealed": report.sealed,
        "checkpoints": sources,
    }
    op.audit("auditView", None, None, {"operation": "verifyAuditLog", **answer})
    return answer


def sealing_started(op: Op) -> bool:
    state = op.tx.execute(select(AuditState.seal_key).where(AuditState.id == 1)).first()
    return state is not None and state[0] is not None


def backup_checkpoint(path: Path) -> audit.Checkpoint:
    """The checkpoint a backup file carries (unpacked into a private temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="pharmdesk-verify-") as staging:
        try:
            carried = BackupArchive(path, Path(staging)).checkpoint
        except PharmDeskError as exc:
            raise PharmDeskError(exc.code, exc.message, "backup") from None
    if carried is None:
        raise validation("That backup holds no audit checkpoint to check against.", "backup")
    return audit.Checkpoint.from_json(carried)
