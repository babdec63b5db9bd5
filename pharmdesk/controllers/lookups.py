"""Operations the customer form and profile need beyond API.md's documented eight.

- ``findLikelyDuplicates``: before saving a new customer, the people already on file
  with the same phone, or with a very similar name and the same date of birth.
- ``listRecordedLabels``: allergy or condition names already used in the branch, most
  used first, for type-ahead (no person is shown, so nothing is audited).
- ``recordPrint``: a printed or PDF document of a customer, audited as ``print``.
"""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import false, func, select

from pharmdesk.controllers import audit
from pharmdesk.controllers.customer_rows import CUSTOMER, ROW_COLUMNS, customer_row
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, get_customer
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import (
    Param,
    choice,
    customer_name,
    date_value,
    entity_id,
    free_text,
    phone_e164,
    search_key,
)
from pharmdesk.store.schema import Customer, CustomerAllergy, CustomerCondition

MAX_LIKELY = 10
SIMILAR_NAME = 0.85
MAX_LABELS = 300


def _tokens(key: str) -> tuple[str, ...]:
    return tuple(sorted(key.split()))


def names_look_alike(a: str, b: str) -> bool:
    """Same words in any order, or nearly the same spelling (Chinedu / Chinedum)."""
    key_a, key_b = search_key(a), search_key(b)
    if _tokens(key_a) == _tokens(key_b):
        return True
    return difflib.SequenceMatcher(None, key_a, key_b).ratio() >= SIMILAR_NAME


@operation(
    "findLikelyDuplicates",
    params={
        "name": Param(free_text(0, 500), required=True),
        "phone": Param(free_text(0, 40)),
        "dateOfBirth": Param(date_value()),
        "excludeCustomerId": Param(entity_id(CUSTOMER)),
    },
)
def find_likely_duplicates(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    name = customer_name(p["name"])
    found: dict[int, dict[str, Any]] = {}
    base = select(*ROW_COLUMNS).where(Customer.archived == false())
    if p.get("excludeCustomerId") is not None:
        base = base.where(Customer.id != p["excludeCustomerId"])
    if p.get("phone"):
        phone = phone_e164(p["phone"], op.region)
        for row in op.tx.execute(
            base.where(Customer.phone == phone).order_by(Customer.id).limit(MAX_LIKELY)
        ):
            found[row.id] = {**customer_row(row), "reason": "samePhone"}
    if p.get("dateOfBirth") is not None:
        candidates = op.tx.execute(
            base.where(Customer.date_of_birth == p["dateOfBirth"]).order_by(Customer.id).limit(500)
        )
        for row in candidates:
            if row.id not in found and names_look_alike(name, row.name):
                found[row.id] = {**customer_row(row), "reason": "similarNameSameBirthDate"}
    customers = list(found.values())[:MAX_LIKELY]
    op.audit(
        "list",
        "customer",
        None,
        {
            "purpose": "duplicateCheck",
            "shown": len(customers),
            "customerIds": audit.shown_ids(customers),
        },
    )
    return {"customers": customers}


@operation(
    "listRecordedLabels",
    params={"kind": Param(choice("allergies", "conditions"), required=True)},
)
def list_recorded_labels(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    table = CustomerAllergy if p["kind"] == "allergies" else CustomerCondition
    rows = op.tx.execute(
        select(table.label_key, func.min(table.label), func.count())
        .group_by(table.label_key)
        .order_by(func.count().desc(), table.label_key)
        .limit(MAX_LABELS)
    ).all()
    return {"labels": [label for _key, label, _count in rows]}


@operation(
    "recordPrint",
    params={
        **CUSTOMER_ID,
        "document": Param(choice("profile", "profilePdf"), required=True),
    },
)
def record_print(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"])
    op.audit("print", "customer", f"{CUSTOMER}-{customer.id}", {"document": p["document"]})
    return {"success": True}
