"""The floor on a branch server: each measured result by hand-written SQL through psycopg.

The same server, database, tables and indexes as the operation (the bench's imported demo
database); no SQLAlchemy, no ORM, as little Python as possible. Each floor run is one
transaction that does what the operation must do at least: the transaction lock every
PharmDesk transaction takes on a server (``pg_advisory_xact_lock``, the counterpart of
SQLite's ``BEGIN IMMEDIATE``), the reads, an audit entry with its hash (and a row per
customer it shows), the commit. Its audit entries go to twin tables made like
``audit_entry`` and ``audit_customer`` (``CREATE TABLE ... (LIKE ... INCLUDING ALL)``:
same columns and indexes), so the product's chain stays one verifiable chain for the desk
mix that runs afterwards. Statements are never prepared (each is planned with its
values). Each function returns the comparable value of ``ops.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from pharmdesk.controllers.validation import phone_e164, phone_search_forms, search_key
from pharmdesk.store.desk_lock import TRANSACTION_LOCK

ROW = (
    "c.id, c.name, c.phone, c.email, c.address, c.active_plans, c.total_orders, "
    "c.created_at, c.last_order"
)
GENESIS = "0" * 64
MIN_PHONE_DIGITS = 4
AUDIT = "bench_audit_entry"
SHOWN = "bench_audit_customer"


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PgFloor:
    """One psycopg connection (as the database's owner) and the operations as SQL."""

    def __init__(self, url: str, user: str, moment: dt.datetime) -> None:
        import psycopg

        # Each statement planned with its values (psycopg would prepare a statement run 5
        # times, and the server may then keep one generic plan for every search text: 300
        # ms for a LIKE search without hits at 100,000 customers instead of 0.2 ms).
        self.conn = psycopg.connect(url, autocommit=True, prepare_threshold=None)
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {AUDIT} (LIKE audit_entry INCLUDING ALL)")
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {SHOWN} (LIKE audit_customer INCLUDING ALL)")
        self.conn.execute(f"INSERT INTO {AUDIT} SELECT * FROM audit_entry ORDER BY id DESC LIMIT 1")
        self.conn.execute(f"ANALYZE {AUDIT}")
        self.conn.autocommit = False
        self.user = user
        self.at = moment.replace(tzinfo=None)
        self.version = str(self.conn.info.server_version)

    def close(self) -> None:
        self.conn.close()

    # -- the audit entry every operation writes ----------------------------------------------
    def _audit(
        self, action: str, entity_id: str | None, detail: dict[str, Any], shown: Any
    ) -> None:
        head = self.conn.execute(
            f"SELECT id, hash FROM {AUDIT} ORDER BY id DESC LIMIT 1"
        ).fetchone()
        prev_id, prev_hash = (head[0], head[1]) if head else (0, GENESIS)
        text = json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        material = json.dumps(
            [prev_id + 1, self.at.isoformat(), self.user, action, "customer", entity_id,
             "success", text, prev_hash],
            separators=(",", ":"),
            ensure_ascii=False,
        )  # fmt: skip
        self.conn.execute(
            f'INSERT INTO {AUDIT} (id, at, "user", action, entity_type, entity_id, outcome, '
            "detail, prev_hash, hash) VALUES (%s, %s, %s, %s, 'customer', %s, 'success', %s, "
            "%s, %s)",
            (prev_id + 1, self.at, self.user, action, entity_id, text, prev_hash,
             hashlib.sha256(material.encode()).hexdigest()),
        )  # fmt: skip
        if shown:
            self.conn.execute(
                f"INSERT INTO {SHOWN} (customer_id, entry_id) "
                "SELECT unnest(%s::int[]), %s ON CONFLICT DO NOTHING",
                (list(shown), prev_id + 1),
            )

    def _in_transaction(self, work: Callable[[], Any]) -> Any:
        try:
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (TRANSACTION_LOCK,))
            result = work()
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()
        return result

    # -- fetchCustomers ------------------------------------------------------------------------
    def _kept_count(self, token: str) -> int:
        """The server's kept count of listed customers with a search token (0011)."""
        found = self.conn.execute(
            "SELECT listed FROM customer_search_count WHERE token = %s", (token,)
        ).fetchone()
        return int(found[0]) if found else 0

    def list_page(self, page: int, limit: int) -> tuple[int, list[int]]:
        """The kept total; the page's ids from the name index alone (an index-only scan
        past the offset), then their rows."""

        def work() -> tuple[int, list[int]]:
            total = self._kept_count("")
            rows = self.conn.execute(
                f"SELECT {ROW} FROM customer c JOIN (SELECT id FROM customer "
                "WHERE archived = false ORDER BY name_key, id LIMIT %s OFFSET %s) p "
                "ON p.id = c.id ORDER BY c.name_key, c.id",
                (limit, (page - 1) * limit),
            ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("list", None, {"page": page}, ids)
            return int(total), ids

        return self._in_transaction(work)

    @staticmethod
    def search_filter(search: str) -> tuple[str, list[Any]]:
        """The LIKE rules of API.md for a search text, and their parameters."""
        words = search_key(search).split()
        digits = re.sub(r"\D", "", search)
        likes, params = [], []
        if words:
            name_likes = []
            for word in words:
                if len(word) <= 2:
                    name_likes.append("(c.name_key LIKE %s OR c.name_key LIKE %s)")
                    params += [_like(word) + "%", "% " + _like(word) + "%"]
                else:
                    name_likes.append("c.name_key LIKE %s")
                    params.append("%" + _like(word) + "%")
            likes.append("(" + " AND ".join(name_likes) + ")")
        if len(digits) >= MIN_PHONE_DIGITS:
            likes.append("c.phone_search LIKE %s")
            params.append(f"%{digits}%")
        return " OR ".join(likes) or "false", params

    def search_page(self, search: str, page: int, limit: int, plan: str) -> tuple[int, list[int]]:
        """One search page: the planner's own plan ('auto', the trigram indexes for rare
        fragments) or a 'walk' of the name index (no bitmap scans: broad fragments)."""
        likes, params = self.search_filter(search)
        words = search_key(search).split()
        kept = len(words) == 1 and len(words[0]) <= 3  # (then fewer than 4 digits)

        def work() -> tuple[int, list[int]]:
            if kept:  # a broad one-word search: the server's kept count (0011)
                total = self._kept_count(words[0])
            else:
                total = self.conn.execute(
                    f"SELECT count(*) FROM customer c WHERE c.archived = false AND ({likes})",
                    params,
                ).fetchone()[0]
            if plan == "walk":
                self.conn.execute("SET LOCAL enable_bitmapscan = off")
            rows = self.conn.execute(
                f"SELECT {ROW} FROM customer c WHERE c.archived = false AND ({likes}) "
                "ORDER BY c.name_key, c.id LIMIT %s OFFSET %s",
                (*params, limit, (page - 1) * limit),
            ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("list", None, {"search": search, "page": page}, ids)
            return int(total), ids

        return self._in_transaction(work)

    def by_id(self, number: int) -> tuple[int, list[int]]:
        def work() -> tuple[int, list[int]]:
            rows = self.conn.execute(
                f"SELECT {ROW} FROM customer c WHERE c.id = %s AND c.archived = false", (number,)
            ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("list", None, {"search": f"CUST-{number}"}, ids)
            return len(rows), ids

        return self._in_transaction(work)

    # -- viewProviderCustomerDetails -----------------------------------------------------------
    def view(self, number: int) -> tuple[int, int, int]:
        def work() -> tuple[int, int, int]:
            c = self.conn.execute("SELECT * FROM customer WHERE id = %s", (number,)).fetchone()
            # The record's other parts the profile shows (API.md v3): consents per purpose
            # and channel, the phone's STOP, relationships both ways, merges not undone.
            self.conn.execute(
                "SELECT r.purpose, r.channel, r.granted, r.method, r.wording_version, "
                "r.recorded_at, r.recorded_by FROM customer_consent cc "
                "JOIN consent_record r ON r.id = cc.record_id WHERE cc.customer_id = %s",
                (number,),
            ).fetchall()
            self.conn.execute(
                "SELECT received_at, source, lifted_at FROM suppressed_phone "
                "WHERE phone = (SELECT phone FROM customer WHERE id = %s)",
                (number,),
            ).fetchall()
            self.conn.execute(
                "SELECT id, customer_id, related_customer_id, name, phone, kind, can_collect, "
                "consent_method, created_at, created_by FROM customer_relationship "
                "WHERE customer_id = %s OR related_customer_id = %s ORDER BY id",
                (number, number),
            ).fetchall()
            self.conn.execute(
                "SELECT id, keep_id, merged_id, merged_at, merged_by, snapshot IS NOT NULL "
                "FROM customer_merge WHERE (keep_id = %s OR merged_id = %s) "
                "AND undone_at IS NULL ORDER BY id DESC",
                (number, number),
            ).fetchall()
            for table in ("customer_allergy", "customer_condition"):
                self.conn.execute(
                    f"SELECT label FROM {table} WHERE customer_id = %s ORDER BY position",
                    (number,),
                ).fetchall()
            plans = self.conn.execute(
                # resume_date: a pause that ends today ends as the profile is read
                "SELECT id, plan_id, plan_name, medications, status, next_delivery, resume_date "
                "FROM subscription WHERE customer_id = %s ORDER BY status <> 'active', "
                "next_delivery IS NULL, next_delivery, id",
                (number,),
            ).fetchall()
            orders = self.conn.execute(
                "SELECT id, ordered_at, total, status FROM customer_order "
                "WHERE customer_id = %s ORDER BY ordered_at DESC, id DESC LIMIT 10",
                (number,),
            ).fetchall()
            self._audit("view", f"CUST-{number}", {}, [number])
            return c[0], len(plans), len(orders)

        return self._in_transaction(work)

    # -- segments --------------------------------------------------------------------------------
    def condition_segment(self, condition: str, limit: int) -> tuple[int, list[int]]:
        """The condition keys holding the text, with their listed customers as the server
        keeps them (0011); the total is their sum less the customers counted under an
        earlier key already; the page in name order."""
        key = "%" + _like(search_key(condition)) + "%"

        def work() -> tuple[int, list[int]]:
            found = self.conn.execute(
                "SELECT label_key, listed FROM customer_condition_count "
                "WHERE label_key LIKE %s AND listed > 0 ORDER BY listed DESC, label_key",
                (key,),
            ).fetchall()
            keys = [r[0] for r in found]
            total = sum(int(r[1]) for r in found)
            for i, one in enumerate(keys[1:], start=1):
                total -= self.conn.execute(
                    "SELECT count(*) FROM customer_condition k WHERE k.label_key = %s "
                    "AND EXISTS (SELECT 1 FROM customer_condition e WHERE e.customer_id = "
                    "k.customer_id AND e.label_key = ANY(%s)) AND k.customer_id NOT IN "
                    "(SELECT id FROM customer WHERE archived)",
                    (one, keys[:i]),
                ).fetchone()[0]
            rows = self.conn.execute(
                f"SELECT {ROW} FROM customer c WHERE c.archived = false AND EXISTS (SELECT 1 "
                "FROM customer_condition k WHERE k.customer_id = c.id AND k.label_key = "
                "ANY(%s)) ORDER BY c.name_key, c.id LIMIT %s",
                (keys, limit),
            ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("segment", None, {"segment": "condition"}, ids)
            return int(total), ids

        return self._in_transaction(work)

    def refills_segment(self, horizon: dt.date, limit: int) -> tuple[int, list[int]]:
        """A range of the customers' first due refill (``first_refill``, kept by the
        database): counted, and paged in date order; then the page's due subscriptions."""

        def work() -> tuple[int, list[int]]:
            total = self.conn.execute(
                "SELECT count(*) FROM customer WHERE archived = false AND first_refill <= %s",
                (horizon,),
            ).fetchone()[0]
            rows = self.conn.execute(
                f"SELECT {ROW} FROM customer c WHERE c.archived = false AND "
                "c.first_refill <= %s ORDER BY c.first_refill, c.name_key, c.id LIMIT %s",
                (horizon, limit),
            ).fetchall()
            ids = [r[0] for r in rows]
            self.conn.execute(
                "SELECT id, customer_id, plan_id, plan_name, next_delivery FROM subscription "
                "WHERE customer_id = ANY(%s) AND status = 'active' AND next_delivery <= %s "
                "ORDER BY next_delivery, id",
                (ids, horizon),
            ).fetchall()
            self._audit("segment", None, {"segment": "upcomingRefills"}, ids)
            return int(total), ids

        return self._in_transaction(work)

    def high_value_segment(self, min_spend: int, limit: int) -> tuple[int, list[int]]:
        def work() -> tuple[int, list[int]]:
            total = self.conn.execute(
                "SELECT count(*) FROM customer WHERE archived = false AND total_spent >= %s",
                (min_spend,),
            ).fetchone()[0]
            rows = self.conn.execute(
                f"SELECT {ROW}, c.total_spent FROM customer c WHERE c.archived = false AND "
                "c.total_spent >= %s ORDER BY c.total_spent DESC, c.name_key, c.id LIMIT %s",
                (min_spend, limit),
            ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("segment", None, {"segment": "highValue"}, ids)
            return int(total), ids

        return self._in_transaction(work)

    # -- writes ------------------------------------------------------------------------------------
    def add_customer(self, name: str, phone: str) -> str:
        e164 = phone_e164(phone, "NG")
        key = search_key(name)

        def work() -> str:
            if self.conn.execute(
                "SELECT id FROM customer WHERE name_key = %s AND phone = %s LIMIT 1", (key, e164)
            ).fetchone():
                raise ValueError("duplicate")
            number = self.conn.execute(
                "INSERT INTO customer (name, name_key, phone, phone_search, allergy_status, "
                "marketing_consent, archived, version, total_orders, total_spent, "
                "active_plans, language, created_at, updated_at) VALUES (%s, %s, %s, %s, "
                "'unknown', false, false, 1, 0, 0, 0, 'en', %s, %s) RETURNING id",
                (name, key, e164, phone_search_forms(e164), self.at, self.at),
            ).fetchone()[0]
            self._audit("create", f"CUST-{number}", {"fields": ["name", "phone"]}, [number])
            return f"CUST-{number}"

        return self._in_transaction(work)

    def update_address(self, number: int, address: str) -> list[str]:
        """The operation and its floor share one database: the floor changes the next
        customer's address (the same one would already hold it, and nothing be written)."""
        number += 1

        def work() -> list[str]:
            old = self.conn.execute(
                "SELECT address, version FROM customer WHERE id = %s FOR UPDATE", (number,)
            ).fetchone()
            if old[0] == address:
                return []
            self.conn.execute(
                "UPDATE customer SET address = %s, version = version + 1, updated_at = %s "
                "WHERE id = %s",
                (address, self.at, number),
            )
            self._audit(
                "update",
                f"CUST-{number}",
                {"changes": {"address": {"old": old[0], "new": address}}},
                [number],
            )
            return ["address"]

        return self._in_transaction(work)
