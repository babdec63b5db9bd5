"""Who pays: cash, or an HMO/insurer with the member id, plan and cover end date.

The payers people pick from are data (``resources/payers.json``: Nigerian HMOs, insurers
and public schemes); a payer that is not listed may be typed. Orders then record the
payer's and the customer's shares of their total (``orders.recordOrder``).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, read_customer
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import Param, date_value, free_text, nullable, search_key
from pharmdesk.errors import validation
from pharmdesk.resources import load_json
from pharmdesk.store.schema import Customer

CASH = "cash"
PAYERS_FILE = "payers.json"


def known_payers() -> list[str]:
    """The payers of ``resources/payers.json``, by name."""
    return [str(entry["name"]) for entry in load_json(PAYERS_FILE)["payers"]]


@cache
def _known_by_key() -> dict[str, str]:
    """The listed payers by their search key (the first of a key wins), ``cash`` first:
    the list is fixed data, and a profile asks about its payer at every click."""
    found = {CASH: CASH}
    for name in known_payers():
        found.setdefault(search_key(name), name)
    return found


def canonical_payer(typed: str) -> tuple[str, bool]:
    """``cash``, a listed payer as the list spells it, or the typed name; and whether it
    is on the list (``cash`` counts as known)."""
    name = _known_by_key().get(search_key(typed))
    return (typed, False) if name is None else (name, True)


def payer_json(customer: Any, today: dt.date) -> dict[str, Any] | None:
    """The profile's ``payer``; None when nobody recorded one."""
    if customer.payer is None:
        return None
    until = customer.payer_valid_until
    return {
        "payer": customer.payer,
        "known": canonical_payer(customer.payer)[1],
        "memberId": customer.payer_member_id,
        "planName": customer.payer_plan,
        "validUntil": until.isoformat() if until else None,
        "expired": until is not None and until < today,
    }


FIELDS = {
    "payer": "payer",
    "memberId": "payer_member_id",
    "planName": "payer_plan",
    "validUntil": "payer_valid_until",
}


@operation(
    "setPayer",
    params={
        **CUSTOMER_ID,
        "payer": Param(free_text(1, 120), required=True),
        "memberId": Param(nullable(free_text(1, 64))),
        "planName": Param(nullable(free_text(1, 120))),
        "validUntil": Param(nullable(date_value())),
    },
)
def set_payer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    payer, _known = canonical_payer(p["payer"])
    wanted: dict[str, Any] = {"payer": payer}
    if payer == CASH:
        for extra in ("memberId", "planName", "validUntil"):
            if p.get(extra) is not None:
                raise validation(
                    f"{extra} is only for an HMO or insurer; leave it out for cash.", extra
                )
            wanted[extra] = None
    else:
        if p.get("memberId") is None:
            raise validation(
                f"Give the member id on the customer's {payer} card (it is needed to claim).",
                "memberId",
            )
        for extra in ("memberId", "planName", "validUntil"):
            wanted[extra] = p.get(extra)
    customer = read_customer(op.tx, p["customerId"], for_write=True)
    changes = {
        name: {"old": _plain(getattr(customer, attr)), "new": _plain(wanted[name])}
        for name, attr in FIELDS.items()
        if getattr(customer, attr) != wanted[name]
    }
    if changes:
        row = op.tx.get(Customer, customer.id)
        assert row is not None  # read above
        for name, attr in FIELDS.items():
            setattr(row, attr, wanted[name])
        row.version += 1
        row.updated_at = op.naive_now
        op.audit("payer", "customer", cust_id(customer.id), {"changes": changes})
    return {"success": True}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
