"""Relationships (``REL-n``): who belongs to a customer and who may collect for them.

A relationship links a customer to another customer on file or to a named person with a
phone. ``kind`` says what the related person is *to the customer* (the customer's
``parent``, ``child``, ``spouse``, ``caregiver`` or ``agent``); ``canCollect`` whether they
may collect the customer's medicines; ``consentMethod`` how the customer agreed to it.
The profile shows both directions: seen from the related customer, the same row reads
the other way round (``child`` becomes ``parent``, ``caregiver`` becomes ``caredFor``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, case, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import (
    Param,
    boolean,
    choice,
    customer_name,
    display_id,
    entity_id,
    free_text,
    phone_e164,
    search_key,
)
from pharmdesk.errors import DUPLICATE, PharmDeskError, not_found, validation
from pharmdesk.store import driver_sql
from pharmdesk.store.schema import Customer, CustomerRelationship

REL = "REL"
KINDS = ("parent", "child", "spouse", "caregiver", "agent")
# The same row read from the related customer's side.
INVERSE = {
    "parent": "child",
    "child": "parent",
    "spouse": "spouse",
    "caregiver": "caredFor",
    "agent": "principal",
}
CONSENT_METHODS = ("verbal", "written", "form")


def rel_id(number: int) -> str:
    return display_id(REL, number)


_REL = CustomerRelationship.__table__
_OTHER = Customer.__table__.alias("other")
_NUMBER: BindParameter[int] = bindparam("number")
# This customer's own rows and the rows naming it, with the other customer on file (the
# related one of an own row, the owner of the other), read in one statement.
_RELATIONSHIPS_OF = (
    select(
        _REL.c.id,
        _REL.c.customer_id,
        _REL.c.related_customer_id,
        _REL.c.name,
        _REL.c.phone,
        _REL.c.kind,
        _REL.c.can_collect,
        _REL.c.consent_method,
        _REL.c.created_at,
        _REL.c.created_by,
        _OTHER.c.name.label("other_name"),
        _OTHER.c.phone.label("other_phone"),
    )
    .outerjoin(
        _OTHER,
        _OTHER.c.id
        == case(
            (_REL.c.customer_id == _NUMBER, _REL.c.related_customer_id),
            else_=_REL.c.customer_id,
        ),
    )
    .where(or_(_REL.c.customer_id == _NUMBER, _REL.c.related_customer_id == _NUMBER))
    .order_by(_REL.c.id)
)


def relationships_of(tx: Session, number: int) -> list[dict[str, Any]]:
    """The profile's ``relationships``: this customer's own (``direction`` ``"own"``),
    then those where another customer named this one (``"of"``), oldest first. The other
    side is a customer on file (with their current name and phone) or the named person."""
    out = []
    for row in driver_sql.rows(tx.connection(), _RELATIONSHIPS_OF, {"number": number}):
        own = row.customer_id == number
        other = row.related_customer_id if own else row.customer_id
        on_file = other is not None
        out.append(
            {
                "relationshipId": rel_id(row.id),
                "direction": "own" if own else "of",
                "kind": row.kind if own else INVERSE[row.kind],
                "customerId": cust_id(other) if on_file else None,
                "name": row.other_name if on_file else row.name,
                "phone": row.other_phone if on_file else row.phone,
                # own: the related person may collect for this customer; of: this
                # customer may collect for the other one.
                "canCollect": row.can_collect,
                "consentMethod": row.consent_method,
                "createdAt": iso_or_none(row.created_at),
                "createdBy": row.created_by,
            }
        )
    return out


def collectors(tx: Session, numbers: list[int]) -> dict[int, list[str]]:
    """Who may collect for each customer (names), for the refill queue's "collected by"."""
    found: dict[int, list[str]] = {}
    if not numbers:
        return found
    rows = tx.execute(
        select(CustomerRelationship.customer_id, CustomerRelationship.name, Customer.name)
        .outerjoin(Customer, Customer.id == CustomerRelationship.related_customer_id)
        .where(
            CustomerRelationship.customer_id.in_(numbers),
            CustomerRelationship.can_collect.is_(True),
        )
        .order_by(CustomerRelationship.id)
    ).all()
    for number, named, on_file in rows:
        found.setdefault(number, []).append(on_file or named or "")
    return found


@operation(
    "addRelationship",
    params={
        **CUSTOMER_ID,
        "relatedCustomerId": Param(entity_id("CUST")),
        "name": Param(free_text(0, 500)),
        "phone": Param(free_text(0, 40)),
        "kind": Param(choice(*KINDS), required=True),
        "canCollect": Param(boolean(), default=False),
        "consentMethod": Param(choice(*CONSENT_METHODS), required=True),
    },
)
def add_relationship(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    related: int | None = p.get("relatedCustomerId")
    name = phone = None
    if related is not None:
        if "name" in p or "phone" in p:
            raise validation(
                "Give either relatedCustomerId (someone on file) or name and phone (someone "
                "who is not), not both.",
                "relatedCustomerId",
            )
        if related == p["customerId"]:
            raise validation(
                "A customer cannot be related to themselves. Pick the other person.",
                "relatedCustomerId",
            )
    else:
        if "name" not in p:
            raise validation(
                "Give the related person: relatedCustomerId for someone on file, or their "
                "name and phone.",
                "name",
            )
        if "phone" not in p:
            raise validation("Give the related person's phone number too.", "phone")
        name = customer_name(p["name"])
        phone = phone_e164(p["phone"], op.region)
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    if related is not None:
        other = op.tx.get(Customer, related)
        if other is None:
            raise not_found(f"No customer {cust_id(related)}. Check the id.", "relatedCustomerId")
        if other.archived:
            raise PharmDeskError(
                "ARCHIVED",
                f"{cust_id(related)} is archived and cannot be linked. Use the record that "
                "is in use.",
                "relatedCustomerId",
            )
    _refuse_same(op.tx, customer.id, p["kind"], related, name, phone)
    row = CustomerRelationship(
        customer_id=customer.id,
        related_customer_id=related,
        name=name,
        phone=phone,
        kind=p["kind"],
        can_collect=p["canCollect"],
        consent_method=p["consentMethod"],
        created_at=op.naive_now,
        created_by=op.user,
    )
    op.tx.add(row)
    op.tx.flush()
    detail: dict[str, Any] = {
        "event": "add",
        "relationshipId": rel_id(row.id),
        "kind": row.kind,
        "canCollect": row.can_collect,
        "consentMethod": row.consent_method,
    }
    if related is not None:
        detail["relatedCustomerId"] = cust_id(related)
        detail["customerIds"] = [cust_id(customer.id), cust_id(related)]
    else:
        detail["name"], detail["phone"] = name, phone
    op.audit("relationship", "customer", cust_id(customer.id), detail)
    return {"success": True, "relationshipId": rel_id(row.id)}


def _refuse_same(
    tx: Session, number: int, kind: str, related: int | None, name: str | None, phone: str | None
) -> None:
    rows = tx.scalars(
        select(CustomerRelationship).where(
            CustomerRelationship.customer_id == number, CustomerRelationship.kind == kind
        )
    ).all()
    for row in rows:
        same = (
            row.related_customer_id == related
            if related is not None
            else row.related_customer_id is None
            and row.phone == phone
            and search_key(row.name or "") == search_key(name or "")
        )
        if same:
            raise PharmDeskError(
                DUPLICATE,
                f"This {kind} is already recorded for {cust_id(number)} as {rel_id(row.id)}.",
                "kind",
            )


@operation(
    "removeRelationship",
    params={
        "relationshipId": Param(entity_id(REL), required=True),
        "reason": Param(free_text(1, 500), required=True),
    },
)
def remove_relationship(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    row = op.tx.get(CustomerRelationship, p["relationshipId"])
    if row is None:
        raise not_found(
            f"No relationship {rel_id(p['relationshipId'])}. Check it on the profile.",
            "relationshipId",
        )
    customer = get_customer(op.tx, row.customer_id, for_write=True)
    ids = [cust_id(customer.id)]
    if row.related_customer_id is not None:
        ids.append(cust_id(row.related_customer_id))
    detail = {
        "event": "remove",
        "relationshipId": rel_id(row.id),
        "kind": row.kind,
        "reason": p["reason"],
        "customerIds": ids,
    }
    op.tx.delete(row)
    op.audit("relationship", "customer", cust_id(customer.id), detail)
    return {"success": True}
