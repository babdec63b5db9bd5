"""Small helpers for the customer-record tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError


def customer(desk: DeskSession, name: str, phone: str, **fields: Any) -> str:
    answer = desk.call("addProviderCustomer", {"name": name, "phone": phone, **fields})
    return str(answer["customerId"])


def refused(desk: DeskSession, operation: str, params: dict[str, Any]) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(operation, params)
    return info.value


def last_entry(admin: DeskSession, action: str) -> dict[str, Any]:
    entries = admin.call("fetchAuditLog", {"action": action, "limit": 1})["entries"]
    assert entries, f"no {action} entry"
    entry: dict[str, Any] = entries[0]
    return entry


def details_text(admin: DeskSession) -> str:
    """Every audit detail, as one text (to look for values that must be gone)."""
    out = []
    before = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if before:
            params["beforeId"] = before
        page = admin.call("fetchAuditLog", params)
        out += [json.dumps(e["detail"], ensure_ascii=False) for e in page["entries"]]
        before = page["nextBeforeId"]
        if not page["hasMore"]:
            return "\n".join(out)
