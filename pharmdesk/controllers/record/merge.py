"""mergeCustomers and undoMerge (``MRG-n``): two records of one person become one.

Everything the duplicate holds moves to the record kept (orders, subscriptions, allergy
and condition labels, consents with their history, relationships); for each field where
the two differ, the caller says which value wins. Allergies and conditions are never
chosen away: the kept record gets both lists (an allergy must not vanish in a merge).
The duplicate is archived with ``mergedInto``; both records' counters are recomputed.

The merge keeps a snapshot of both records as they were and of every row it moved, so
``undoMerge`` puts both back exactly (counters, version and timestamps included), as long
as the kept record has not changed since; otherwise it answers CONFLICT.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.customers.lookup import cust_id, get_customer
from pharmdesk.controllers.customers.rules import duplicate_error
from pharmdesk.controllers.record.snapshot import (
    customer_json,
    fingerprint,
    row_values,
    rows_of,
)
from pharmdesk.controllers.registry import ADMINS, PHARMACISTS, Op, operation
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
from pharmdesk.errors import CONFLICT, PharmDeskError, not_found, validation
from pharmdesk.store.schema import (
    ConsentEvent,
    ConsentRecord,
    Customer,
    CustomerAllergy,
    CustomerCondition,
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
LABEL_TABLES: dict[str, Any] = {
    "allergies": CustomerAllergy,
    "medicalConditions": CustomerCondition,
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
    _merge_consents(op.tx, keep.id, other.id)
    added_labels = _merge_labels(op.tx, keep.id, other.id)
    _move_relationships(op.tx, keep.id, other.id)
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
    _merge_allergy_status(keep, other)
    other.archived = True
    other.merged_into = keep.id
    for customer in (keep, other):
        _recount(op.tx, customer)
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


def _merge_consents(tx: Session, keep: int, other: int) -> None:
    """Per purpose and channel the newer answer wins (the newest record is the current
    answer, as everywhere); the duplicate's current answers then go."""
    conn = tx.connection()
    current = {
        (r.purpose, r.channel): r
        for r in conn.execute(select(CustomerConsent).where(CustomerConsent.customer_id == keep))
    }
    theirs = conn.execute(select(CustomerConsent).where(CustomerConsent.customer_id == other)).all()
    conn.execute(delete(CustomerConsent).where(CustomerConsent.customer_id == other))
    for row in theirs:
        mine = current.get((row.purpose, row.channel))
        values = {"granted": row.granted, "record_id": row.record_id}
        if mine is None:
            conn.execute(
                insert(CustomerConsent).values(
                    customer_id=keep, purpose=row.purpose, channel=row.channel, **values
                )
            )
        elif row.record_id > mine.record_id:
            conn.execute(
                update(CustomerConsent)
                .where(
                    and_(
                        CustomerConsent.customer_id == keep,
                        CustomerConsent.purpose == row.purpose,
                        CustomerConsent.channel == row.channel,
                    )
                )
                .values(**values)
            )


def _merge_labels(tx: Session, keep: int, other: int) -> dict[str, list[str]]:
    """The duplicate's allergies and conditions that the kept record lacks, appended."""
    conn = tx.connection()
    added: dict[str, list[str]] = {}
    for field, table in LABEL_TABLES.items():
        mine = conn.execute(
            select(table.label_key, table.position).where(table.customer_id == keep)
        ).all()
        keys = {k for k, _ in mine}
        position = max((pos for _, pos in mine), default=-1) + 1
        theirs = conn.execute(
            select(table.label, table.label_key)
            .where(table.customer_id == other)
            .order_by(table.position)
        ).all()
        new = []
        for label, key in theirs:
            if key not in keys:
                keys.add(key)
                new.append(
                    {"customer_id": keep, "position": position, "label": label, "label_key": key}
                )
                position += 1
        conn.execute(delete(table).where(table.customer_id == other))
        if new:
            conn.execute(insert(table), new)
            added[field] = [row["label"] for row in new]
    return added


def _merge_allergy_status(keep: Customer, other: Customer) -> None:
    statuses = {keep.allergy_status, other.allergy_status}
    if keep.allergy_status == other.allergy_status:
        return
    confirmed = [c for c in (keep, other) if c.allergies_confirmed_at is not None]
    newest = max(confirmed, key=lambda c: c.allergies_confirmed_at or dt.datetime.min, default=None)
    keep.allergy_status = (
        "recorded"
        if "recorded" in statuses
        else "noneKnown"
        if "noneKnown" in statuses
        else "unknown"
    )
    if newest is not None:
        keep.allergies_confirmed_at = newest.allergies_confirmed_at
        keep.allergies_confirmed_by = newest.allergies_confirmed_by


def _move_relationships(tx: Session, keep: int, other: int) -> None:
    conn = tx.connection()
    table = CustomerRelationship
    conn.execute(update(table).where(table.customer_id == other).values(customer_id=keep))
    conn.execute(
        update(table).where(table.related_customer_id == other).values(related_customer_id=keep)
    )
    # A link between the two records themselves means nothing once they are one.
    conn.execute(delete(table).where(table.customer_id == keep, table.related_customer_id == keep))


def _recount(tx: Session, customer: Customer) -> None:
    """The counters from the rows themselves (completed orders, active plans), and the
    marketing summary from the current consents."""
    tx.flush()
    conn = tx.connection()
    count, spent, last = conn.execute(
        select(
            func.count(), func.coalesce(func.sum(Order.total), 0), func.max(Order.ordered_at)
        ).where(Order.customer_id == customer.id, Order.status == "completed")
    ).one()
    customer.total_orders = int(count)
    customer.total_spent = int(spent)
    customer.last_order = last
    customer.active_plans = int(
        conn.scalar(
            select(func.count()).where(
                Subscription.customer_id == customer.id, Subscription.status == "active"
            )
        )
        or 0
    )
    agreed = conn.scalar(
        select(func.count()).where(
            CustomerConsent.customer_id == customer.id,
            CustomerConsent.purpose == "marketing",
            CustomerConsent.granted.is_(True),
        )
    )
    customer.marketing_consent = bool(agreed)


# -- undoMerge --------------------------------------------------------------------------------
@operation(
    "undoMerge",
    params={
        "mergeId": Param(entity_id(MRG), required=True),
        "reason": Param(free_text(1, 500), required=True),
    },
    roles=ADMINS,
)
def undo_merge(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    merge = op.tx.get(CustomerMerge, p["mergeId"])
    if merge is None:
        raise not_found(f"No merge {merge_id(p['mergeId'])}. Check the id.", "mergeId")
    if merge.undone_at is not None:
        raise PharmDeskError(
            CONFLICT,
            f"{merge_id(merge.id)} was already undone ({merge.undone_at:%Y-%m-%d} by "
            f"{merge.undone_by}).",
            "mergeId",
        )
    snapshot = merge.snapshot
    if snapshot is None:
        raise PharmDeskError(
            CONFLICT,
            f"{merge_id(merge.id)} cannot be undone: the customer's personal data was erased "
            "since.",
            "mergeId",
        )
    if fingerprint(op.tx, merge.keep_id) != snapshot["after"]:
        raise PharmDeskError(
            CONFLICT,
            f"{cust_id(merge.keep_id)} has changed since the merge (an order, plan, consent, "
            "relationship or edit), so it cannot be put back as it was. Correct the records "
            "by hand instead.",
            "mergeId",
        )
    _restore(op.tx, snapshot, merge.keep_id, merge.merged_id)
    merge.undone_at = op.naive_now
    merge.undone_by = op.user
    merge.undo_reason = p["reason"]
    op.audit(
        "merge",
        "customer",
        cust_id(merge.keep_id),
        {
            "event": "undo",
            "mergeId": merge_id(merge.id),
            "keepId": cust_id(merge.keep_id),
            "mergedId": cust_id(merge.merged_id),
            "reason": p["reason"],
            "customerIds": [cust_id(merge.keep_id), cust_id(merge.merged_id)],
        },
    )
    return {"success": True}


def _restore(tx: Session, snapshot: dict[str, Any], keep: int, other: int) -> None:
    tx.flush()
    tx.expire_all()  # the rows are rewritten below with Core statements
    conn = tx.connection()
    both = (keep, other)
    for name, table in MOVED.items():
        ids = snapshot["moved"][name]
        if ids:
            conn.execute(update(table).where(table.id.in_(ids)).values(customer_id=other))
    conn.execute(delete(CustomerConsent).where(CustomerConsent.customer_id.in_(both)))
    consent_table: Any = CustomerConsent.__table__
    rows = [row_values(consent_table, r) for r in snapshot["consents"]]
    if rows:
        conn.execute(insert(consent_table), rows)
    for field, table in LABEL_TABLES.items():
        conn.execute(delete(table).where(table.customer_id.in_(both)))
        # New ids (another customer may hold the old ones by now); order by position.
        labels = [
            {k: v for k, v in row_values(table.__table__, r).items() if k != "id"}
            for r in snapshot["labels"][field]
        ]
        if labels:
            conn.execute(insert(table), labels)
    rel: Any = CustomerRelationship
    conn.execute(
        delete(rel).where(or_(rel.customer_id.in_(both), rel.related_customer_id.in_(both)))
    )
    rel_rows = [row_values(rel.__table__, r) for r in snapshot["relationships"]]
    if rel_rows:
        conn.execute(insert(rel.__table__), rel_rows)
    customer_table: Any = Customer.__table__
    for number, data in ((keep, snapshot["keep"]), (other, snapshot["merged"])):
        values = {k: v for k, v in row_values(customer_table, data).items() if k != "id"}
        conn.execute(update(customer_table).where(customer_table.c.id == number).values(values))


def merges_of(tx: Session, number: int) -> list[dict[str, Any]]:
    """The profile's ``merges``: merges into or out of this record that were not undone
    (newest first), and whether they can still be undone (not after an erasure)."""
    rows = tx.scalars(
        select(CustomerMerge)
        .where(
            or_(CustomerMerge.keep_id == number, CustomerMerge.merged_id == number),
            CustomerMerge.undone_at.is_(None),
        )
        .order_by(CustomerMerge.id.desc())
    ).all()
    return [
        {
            "mergeId": merge_id(row.id),
            "keepId": cust_id(row.keep_id),
            "mergedId": cust_id(row.merged_id),
            "mergedAt": iso_or_none(row.merged_at),
            "mergedBy": row.merged_by,
            "undoable": row.snapshot is not None,
        }
        for row in rows
    ]
