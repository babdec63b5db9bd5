"""Archiving a customer: ``archiveCustomer``."""

from __future__ import annotations

from typing import Any

from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.registry import ADMINS, Op, operation


# -- archiveCustomer ----------------------------------------------------------------------
@operation("archiveCustomer", params=CUSTOMER_ID, roles=ADMINS)
def archive_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    customer.archived = True
    customer.version += 1
    customer.updated_at = op.naive_now
    op.audit("archive", "customer", cust_id(customer.id))
    return {"success": True}
