"""mergeCustomers (``MRG-n``): two records of one person become one.

Everything the duplicate holds moves to the record kept (orders, subscriptions, allergy
and condition labels, consents with their history, relationships); for each field where
the two differ, the caller says which value wins. Allergies and conditions are never
chosen away: the kept record gets both lists (an allergy must not vanish in a merge).
The duplicate is archived with ``mergedInto``; both records' counters are recomputed.

The merge keeps a snapshot of both records as they were and of every row it moved, so
``undoMerge`` puts both back exactly (counters, version and timestamps included), as long
as the kept record has not changed since; otherwise it answers CONFLICT
(``undo_merge``). What moving the rows does is in ``merge_combine``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, bindparam, cast, func, or_, select, update
from sqlalchemy.orm import Session

from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.customers.lookup import cust_id, get_customer
from pharmdesk.controllers.customers.rules import duplicate_error
from pharmdesk.controllers.record.merge_combine import (
    LABEL_TABLES,
    merge_allergy_status,
    merge_consents,
    merge_labels,
    move_relationships,
    recount,
)
from pharmdesk.controllers.record.snapshot import customer_json, fingerprint, rows_of
from pharmdesk.controllers.registry import PHARMACISTS, Op, operation
from pharmdesk.controllers.validation import (
    Param,
    choice,
    display_id,
    entity_id,
    free_text,
    obj,
    phone_search_forms,
    search_key,
)
from pharmdesk.errors import PharmDeskError, validation
from pharmdesk.store import driver_sql
from pharmdesk.store.schema import (
    ConsentEvent,
    ConsentRecord,
    Customer,
    CustomerConsent,
    CustomerMerge,
    CustomerRelationship,
    Order,
    Subscription,
)

MRG = "MRG"
KEEP, MERGE = "keep", "merge"
# The fields a person chooses between (API name -> customer columns that go together).
CHOSEN = {
    "name": ("name",),
    "phone": ("phone",),
    "email": ("email",),
    "address": ("address",),
    "dateOfBirth": ("date_of_birth",),
    "notes": ("notes",),
    "language": ("language",),
    "payer": ("payer", "payer_member_id", "payer_plan", "payer_valid_until"),
}


# Rows that belong to a customer by ``customer_id`` and move wholesale.
MOVED: dict[str, Any] = {
    "orders": Order,
    "subscriptions": Subscription,
    "consentRecords": ConsentRecord,
    "consentEvents": ConsentEvent,
}


def merge_id(number: int) -> str:
    return display_id(MRG, number)


def differing_fields(keep: Any, other: Any) -> list[str]:
    """The chosen fields where the two records hold different values."""
    return [
        name
        for name, columns in CHOSEN.items()
        if any(getattr(keep, c) != getattr(other, c) for c in columns)
    ]


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@operation(
    "mergeCustomers",
    params={
        "keepId": Param(entity_id("CUST"), required=True),
        "mergeId": Param(entity_id("CUST"), required=True),
        "fields": Param(obj({name: Param(choice(KEEP, MERGE)) for name in CHOSEN}), default={}),
        "reason": Param(free_text(1, 500), required=True),
    },
    roles=PHARMACISTS,
)
def merge_customers(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    if p["keepId"] == p["mergeId"]:
        raise validation("keepId and mergeId are the same customer. Pick two records.", "mergeId")
    keep = _side(op.tx, p["keepId"], "keepId")
    other = _side(op.tx, p["mergeId"], "mergeId")
    differing = differing_fields(keep, other)
    missing = [name for name in differing if name not in p["fields"]]
    if missing:
        raise validation(
            "Choose which record's value to keep for each field that differs: "
            f'{", ".join(missing)} ("keep" or "merge").',
            "fields",
        )
    winners = {name: (other if p["fields"][name] == MERGE else keep) for name in differing}
    new_values = {
        column: getattr(winner, column)
        for name, winner in winners.items()
        for column in CHOSEN[name]
    }
    name = new_values.get("name", keep.name)
    phone = new_values.get("phone", keep.phone)
    if "name" in winners or "phone" in winners:
        _refuse_third_duplicate(op.tx, name, phone, {keep.id, other.id})
    conn = op.tx.connection()
    op.tx.flush()
    snapshot = _snapshot(op.tx, keep.id, other.id)
    # -- move what the duplicate holds ------------------------------------------------------
    for table in MOVED.values():
        conn.execute(update(table).where(table.customer_id == other.id).values(customer_id=keep.id))
    merge_consents(op.tx, keep.id, other.id)
    added_labels = merge_labels(op.tx, keep.id, other.id)
    move_relationships(op.tx, keep.id, other.id)
    # -- the kept record: chosen values, union of labels, counters ------------------------
    changes = {
        field: {
            "old": _plain(getattr(keep, CHOSEN[field][0])),
            "new": _plain(getattr(winners[field], CHOSEN[field][0])),
        }
        for field in differing
        if winners[field] is other
    }
    for column, value in new_values.items():
        setattr(keep, column, value)
    keep.name_key = search_key(keep.name)
    keep.phone_search = phone_search_forms(keep.phone)
    merge_allergy_status(keep, other)
    other.archived = True
    other.merged_into = keep.id
    for customer in (keep, other):
        recount(op.tx, customer)
        customer.version += 1
        customer.updated_at = op.naive_now
    op.tx.flush()
    merge = CustomerMerge(
        keep_id=keep.id,
        merged_id=other.id,
        reason=p["reason"],
        snapshot=None,
        merged_at=op.naive_now,
        merged_by=op.user,
    )
    op.tx.add(merge)
    op.tx.flush()
    merge.snapshot = {**snapshot, "after": fingerprint(op.tx, keep.id)}
    op.audit(
        "merge",
        "customer",
        cust_id(keep.id),
        {
            "event": "merge",
            "mergeId": merge_id(merge.id),
            "keepId": cust_id(keep.id),
            "mergedId": cust_id(other.id),
            "fields": {f: (MERGE if winners[f] is other else KEEP) for f in differing},
            "changes": changes,
            "labelsAdded": added_labels,
            "reason": p["reason"],
            "customerIds": [cust_id(keep.id), cust_id(other.id)],
        },
    )
    return {"success": True, "mergeId": merge_id(merge.id)}


def _side(tx: Session, number: int, field: str) -> Customer:
    """One of the two records, or its refusal (NOT_FOUND, ARCHIVED) on its own param."""
    try:
        return get_customer(tx, number, for_write=True)
    except PharmDeskError as exc:
        raise PharmDeskError(exc.code, exc.message, field) from None


def _refuse_third_duplicate(tx: Session, name: str, phone: str, pair: set[int]) -> None:
    key = search_key(name)
    for number, stored in tx.execute(
        select(Customer.id, Customer.name_key).where(Customer.phone == phone)
    ):
        if number not in pair and search_key(stored) == key:
            raise duplicate_error(number)


def _snapshot(tx: Session, keep: int, other: int) -> dict[str, Any]:
    both = (keep, other)
    labels = {
        field: rows_of(tx, table.__table__, table.customer_id.in_(both))
        for field, table in LABEL_TABLES.items()
    }
    return {
        "keep": customer_json(tx, keep),
        "merged": customer_json(tx, other),
        "labels": labels,
        "consents": rows_of(tx, CustomerConsent.__table__, CustomerConsent.customer_id.in_(both)),
        "relationships": rows_of(
            tx,
            CustomerRelationship.__table__,
            or_(
                CustomerRelationship.customer_id.in_(both),
                CustomerRelationship.related_customer_id.in_(both),
            ),
        ),
        "moved": {
            name: list(tx.scalars(select(table.id).where(table.customer_id == other)))
            for name, table in MOVED.items()
        },
    }


_MERGE = CustomerMerge.__table__
# Erasure clears a snapshot to JSON ``null``: a merge can be undone while its snapshot is
# an object (compared in the database, so the snapshot itself is not read for a profile).
_UNDOABLE = func.coalesce(cast(_MERGE.c.snapshot, Text), "null") != "null"
_MERGES_OF = (
    select(
        _MERGE.c.id,
        _MERGE.c.keep_id,
        _MERGE.c.merged_id,
        _MERGE.c.merged_at,
        _MERGE.c.merged_by,
        _UNDOABLE.label("undoable"),
    )
    .where(
        or_(_MERGE.c.keep_id == bindparam("number"), _MERGE.c.merged_id == bindparam("number")),
        _MERGE.c.undone_at.is_(None),
    )
    .order_by(_MERGE.c.id.desc())
)


def merges_of(tx: Session, number: int) -> list[dict[str, Any]]:
    """The profile's ``merges``: merges into or out of this record that were not undone
    (newest first), and whether they can still be undone (not after an erasure)."""
    return [
        {
            "mergeId": merge_id(row.id),
            "keepId": cust_id(row.keep_id),
            "mergedId": cust_id(row.merged_id),
            "mergedAt": iso_or_none(row.merged_at),
            "mergedBy": row.merged_by,
            "undoable": row.undoable,
        }
        for row in driver_sql.rows(tx.connection(), _MERGES_OF, {"number": number})
    ]
