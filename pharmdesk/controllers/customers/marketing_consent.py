"""Marketing consent on the customer row and its history, and ``setMarketingConsent``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from pharmdesk.clock import to_iso
from pharmdesk.controllers.consent import records as consent_records
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import Param, boolean
from pharmdesk.store.schema import ConsentEvent, Customer


def consent_values(op: Op, consent: bool) -> dict[str, Any]:
    return {
        "marketing_consent": consent,
        "consent_recorded_at": op.naive_now,
        "consent_recorded_by": op.user,
    }


def consent_events(op: Op, numbers: list[int], consent: bool) -> None:
    """The consent history rows of a change recorded for these customers."""
    if numbers:
        op.tx.connection().execute(
            insert(ConsentEvent),
            [
                {
                    "customer_id": number,
                    "consent": consent,
                    "recorded_at": op.naive_now,
                    "recorded_by": op.user,
                }
                for number in numbers
            ],
        )


def _record_consent(op: Op, customer: Customer, consent: bool) -> None:
    for attr, value in consent_values(op, consent).items():
        setattr(customer, attr, value)
    consent_events(op, [customer.id], consent)


# -- setMarketingConsent ------------------------------------------------------------------
@operation(
    "setMarketingConsent",
    params={**CUSTOMER_ID, "consent": Param(boolean(), required=True)},
)
def set_marketing_consent(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    if p["consent"]:
        consent_records.refuse_if_suppressed(op.tx, customer.phone, "consent")
    previous = customer.marketing_consent
    _record_consent(op, customer, p["consent"])
    # Marketing on every channel (API.md v3), as the staff member asked it at the desk.
    consent_records.record(
        op,
        [customer.id],
        consent_records.MARKETING,
        consent_records.CHANNELS,
        p["consent"],
        "verbal",
        sync_summary=False,
    )
    customer.version += 1
    customer.updated_at = op.naive_now
    op.audit("consent", "customer", cust_id(customer.id), {"old": previous, "new": p["consent"]})
    return {"success": True, "marketingConsent": p["consent"], "recordedAt": to_iso(op.now)}
