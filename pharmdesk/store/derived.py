"""Columns the database keeps from other tables with triggers, and how to fill them in
for every row at once after a bulk load that set the triggers aside (the demo).

``customer.first_refill`` (migration 0008): each customer's earliest ``next_delivery``
among their active subscriptions. The migration keeps its own frozen copy of this SQL.
"""

from __future__ import annotations

# One pass over the active subscriptions, grouped; customers without one keep NULL.
FIRST_REFILL_FILL = (
    "UPDATE customer SET first_refill = due.first_due FROM ("
    "SELECT customer_id, min(next_delivery) AS first_due FROM subscription "
    "WHERE status = 'active' GROUP BY customer_id) AS due "
    "WHERE customer.id = due.customer_id"
)

# After a bulk load, in this order: the set-aside triggers come back, then these fill in
# what they would have kept.
FILLS = (FIRST_REFILL_FILL,)
