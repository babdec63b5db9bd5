"""Customer segments (by condition, upcoming refills, high value) and the campaign audience.

Each segment is defined by one ordered query over the customer table (archived customers
are never listed) with the shared row shape and paging of ``customer_rows``. The campaign
audience is the same query narrowed to customers who consented to marketing.

A million customers: counting such a query and paging it from the top would read every
customer (seconds). The condition and refill segments therefore have a faster reader that
gives exactly the same answer (tests/controllers/test_segments.py holds both to it):

- condition: the distinct condition keys that match, found by a skip scan of the key
  index (one seek per distinct key); the total from that index alone (customers per key,
  less those counted under a bigger key already, less the few archived ones); the page by
  walking the name index and probing each customer's conditions, or, when the matches
  are few and the walk would be long, by reading the matches and sorting them.
- upcoming refills: each customer's first due refill is a column (``first_refill``, kept
  by triggers on ``subscription``, migration 0008), so the total is a range count of its
  index and the page walks that index in date order, sorting only one date's rows.

The SQL is standard (a recursive CTE, EXISTS, CROSS JOIN with WHERE), so it runs as is
on PostgreSQL; only the row's timestamp formatting is SQLite's (``SQLITE_ROW_COLUMNS``).

The modules: ``segment`` (the shape and the page), one per segment (``condition``,
``refills``, ``high_value``), and the operations in ``lists`` and ``campaign``; importing
those two registers them. This package itself imports nothing.
"""
