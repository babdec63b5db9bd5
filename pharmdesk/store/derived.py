"""What the database keeps from other tables with triggers, and how to fill it in for
every row at once after a bulk load that set the triggers aside (the demo on a file, a
file moved onto a branch server).

``customer.first_refill`` (migration 0008): each customer's earliest ``next_delivery``
among their active subscriptions. ``customer_search_count`` and
``customer_condition_count`` (0011, on a server only): how many listed customers have
each search token, each condition key. The migrations keep their own frozen
copies of this SQL.
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

# On a branch server, after the copy: the listed customers per search token (the
# database's own ``customer_search_tokens``), counted afresh.
SERVER_SEARCH_COUNT_FILL = (
    "INSERT INTO customer_search_count (token, listed) "
    "SELECT token, count(*) FROM customer, unnest(customer_search_tokens(name_key)) AS token "
    "WHERE NOT archived GROUP BY token"
)
# ... and the listed customers per condition key.
SERVER_CONDITION_COUNT_FILL = (
    "INSERT INTO customer_condition_count (label_key, listed) "
    "SELECT k.label_key, count(*) FROM customer_condition k "
    "JOIN customer c ON c.id = k.customer_id WHERE NOT c.archived GROUP BY k.label_key"
)
SERVER_FILLS = (
    "DELETE FROM customer_search_count",
    SERVER_SEARCH_COUNT_FILL,
    "DELETE FROM customer_condition_count",
    SERVER_CONDITION_COUNT_FILL,
)
