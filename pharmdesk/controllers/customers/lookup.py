"""Finding one customer: its display id, the ``customerId`` parameter, and the
read that refuses a missing (or, for a change, an archived) record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from pharmdesk.controllers.customer_rows import CUSTOMER
from pharmdesk.controllers.validation import Param, entity_id
from pharmdesk.errors import ARCHIVED, PharmDeskError, not_found
from pharmdesk.store import driver_sql
from pharmdesk.store.schema import Customer


def cust_id(number: int) -> str:
    return f"{CUSTOMER}-{number}"


CUSTOMER_ID = {"customerId": Param(entity_id(CUSTOMER), required=True)}


# -- shared lookups -----------------------------------------------------------------------
def _missing(number: int) -> PharmDeskError:
    return not_found(f"No customer {cust_id(number)}. Check the id.", "customerId")


def _archived(number: int) -> PharmDeskError:
    return PharmDeskError(
        ARCHIVED,
        f"{cust_id(number)} is archived and cannot be changed. Ask an admin if this is a mistake.",
        "customerId",
    )


def get_customer(tx: Session, number: int, *, for_write: bool = False) -> Customer:
    """The customer, or NOT_FOUND; ARCHIVED when ``for_write`` and it is archived."""
    customer = tx.get(Customer, number)
    if customer is None:
        raise _missing(number)
    if for_write and customer.archived:
        raise _archived(number)
    return customer


_CUSTOMER_BY_ID = select(*Customer.__table__.c).where(
    Customer.__table__.c.id == bindparam("number")
)


def read_customer(tx: Session, number: int, *, for_write: bool = False) -> Row[Any]:
    """``get_customer`` as a plain row (the same columns as attributes, the same errors):
    for the operations on one customer that run at every click, where loading an ORM
    object and flushing it back was a third of the call."""
    found = driver_sql.rows(tx.connection(), _CUSTOMER_BY_ID, {"number": number})
    row = found[0] if found else None
    if row is None:
        raise _missing(number)
    if for_write and row.archived:
        raise _archived(number)
    return row
