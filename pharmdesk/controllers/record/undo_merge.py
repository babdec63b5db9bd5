"""``undoMerge``: both records put back exactly as the merge's snapshot holds them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, or_, update
from sqlalchemy.orm import Session

from pharmdesk.controllers.customers.lookup import cust_id
from pharmdesk.controllers.record.merge import MOVED, MRG, merge_id
from pharmdesk.controllers.record.merge_combine import LABEL_TABLES
from pharmdesk.controllers.record.snapshot import fingerprint, row_values
from pharmdesk.controllers.registry import ADMINS, Op, operation
from pharmdesk.controllers.validation import Param, entity_id, free_text
from pharmdesk.errors import CONFLICT, PharmDeskError, not_found
from pharmdesk.store.schema import Customer, CustomerConsent, CustomerMerge, CustomerRelationship


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
