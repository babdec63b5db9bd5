"""setConsent and getConsents: consent per purpose and channel, with its proof."""

from __future__ import annotations

from typing import Any

from pharmdesk.clock import to_iso
from pharmdesk.controllers.consent import records
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import Param, boolean, choice, clean_text, nullable, string

PURPOSE = Param(choice(*records.PURPOSES), required=True)
CHANNEL = Param(choice(*records.CHANNELS), required=True)


@operation(
    "setConsent",
    params={
        **CUSTOMER_ID,
        "purpose": PURPOSE,
        "channel": CHANNEL,
        "granted": Param(boolean(), required=True),
        "method": Param(choice(*records.METHODS), required=True),
        "note": Param(nullable(string(0, 500))),
    },
)
def set_consent(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    purpose, channel, granted = p["purpose"], p["channel"], p["granted"]
    lifted = False
    if purpose == records.MARKETING and granted:
        if p["method"] == "written":
            lifted = records.lift_suppression(op, customer.phone)
        else:
            records.refuse_if_suppressed(op.tx, customer.phone, "granted")
    old = records.has_consent(op.tx, customer.id, purpose, channel)
    note = clean_text(p["note"]) or None if p.get("note") else None
    records.record(op, [customer.id], purpose, [channel], granted, p["method"], note)
    customer.version += 1
    customer.updated_at = op.naive_now
    detail: dict[str, Any] = {
        "purpose": purpose,
        "channel": channel,
        "old": old,
        "new": granted,
        "method": p["method"],
        "wordingVersion": records.wording_version(purpose),
    }
    if lifted:
        detail["suppressionLifted"] = True
    op.audit("consent", "customer", cust_id(customer.id), detail)
    return {
        "success": True,
        "consent": {
            "purpose": purpose,
            "channel": channel,
            "granted": granted,
            "recordedAt": to_iso(op.now),
            "recordedBy": op.user,
            "method": p["method"],
            "wordingVersion": records.wording_version(purpose),
        },
    }


@operation("getConsents", params=CUSTOMER_ID)
def get_consents(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Every purpose x channel (never asked: not granted, no record), the history newest
    first, and whether the phone is on the STOP list."""
    customer = get_customer(op.tx, p["customerId"])
    current = records.current_consents(op.tx, customer.id)
    history = records.history(op.tx, customer.id, newest_first=True)
    suppressed = records.suppression(op.tx, customer.phone)
    op.audit("view", "customer", cust_id(customer.id), {"part": "consents"})
    return {"current": current, "history": history, "suppressed": suppressed}
