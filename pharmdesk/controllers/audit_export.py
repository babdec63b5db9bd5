"""``recordAuditExport``: the audit log written to a file is itself an audit entry.

The GUI reads the filtered log through ``fetchAuditLog`` (each page audited ``auditView``),
then calls this before it writes the file, so a file never leaves without an entry saying
who exported what (the filters) and how much (the count). When the file then cannot be
written, a second call with ``outcome: failed`` says so. No patient data goes in the entry:
only the filters (a customer id at most), the count and the newest entry in the file.
"""

from __future__ import annotations

from typing import Any

from pharmdesk.controllers.auditlog import AUDIT
from pharmdesk.controllers.customer_rows import CUSTOMER
from pharmdesk.controllers.registry import ADMINS, REGISTRY, Op, operation
from pharmdesk.controllers.validation import Param, choice, entity_id, integer
from pharmdesk.errors import validation

# The same filters, checked the same way, as the fetchAuditLog pages the file was read from.
FILTERS = ("customerId", "user", "action", "from", "to")
FILTER_PARAMS = {name: REGISTRY["fetchAuditLog"].params[name] for name in FILTERS}


def filters_json(p: dict[str, Any]) -> dict[str, Any]:
    """The filters as fetchAuditLog records them in its own ``auditView`` entries."""
    filters: dict[str, Any] = {}
    if "customerId" in p:
        filters["customerId"] = f"{CUSTOMER}-{p['customerId']}"
    if "user" in p:
        filters["user"] = p["user"].lower()
    if "action" in p:
        filters["action"] = p["action"]
    if "from" in p:
        filters["from"] = p["from"].isoformat()
    if "to" in p:
        filters["to"] = p["to"].isoformat()
    return filters


@operation(
    "recordAuditExport",
    params={
        **FILTER_PARAMS,
        "entries": Param(integer(0, 100_000_000), required=True),
        "throughId": Param(entity_id(AUDIT)),
        "outcome": Param(choice("success", "failed"), default="success"),
    },
    roles=ADMINS,
)
def record_audit_export(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    if "from" in p and "to" in p and p["from"] > p["to"]:
        raise validation("'to' must be on or after 'from'.", "to")
    filters = filters_json(p)
    detail: dict[str, Any] = {
        "kind": "auditLog",
        "format": "csv",
        "filters": filters,
        "entries": p["entries"],
    }
    if "throughId" in p:
        detail["throughId"] = f"{AUDIT}-{p['throughId']}"
    # Filtered by one customer: the entry joins that customer's own trail.
    entity = ("customer", filters["customerId"]) if "customerId" in filters else (None, None)
    op.audit("export", entity[0], entity[1], detail, outcome=p["outcome"])
    return {"success": True}
