"""The floor: each measured result computed by hand-written SQL over the plaintext twin.

Plain SQLite (no encryption), no ORM, as little Python as possible, the same indexes and
search index, the same pragmas (WAL, synchronous FULL), and the same audit entry and
commit per operation that the controllers write, so the ratio shows what encryption,
SQLAlchemy and PharmDesk's own Python cost. Where a query can be answered two ways (walk
the sort index, or read the search index's matches and sort them), both are timed and the
faster is the floor. Each floor function returns the same comparable value as the
controller's answer gives (see ``ops.comparable``), so every measurement is also checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pharmdesk.controllers.validation import phone_e164, phone_search_forms, search_key

ROW = (
    "c.id, c.name, c.phone, c.email, c.address, c.active_plans, c.total_orders, "
    "c.created_at, c.last_order"
)
GENESIS = "0" * 64
MIN_PHONE_DIGITS = 4


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Floor:
    """A plain sqlite3 connection to the twin, and the operations as hand-written SQL."""

    def __init__(self, path: Path, user: str, moment: dt.datetime) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in (
            "journal_mode = WAL",
            "synchronous = FULL",
            "foreign_keys = ON",
            "temp_store = MEMORY",
            "cache_size = -65536",
        ):
            self.conn.execute(f"PRAGMA {pragma}").fetchall()
        self.user = user
        self.at = moment.replace(tzinfo=None)
        self.sqlite_version = sqlite3.sqlite_version

    def close(self) -> None:
        self.conn.close()

    # -- the audit entry every operation writes ---------------------------------------------
    def _audit(
        self,
        action: str,
        entity_id: str | None,
        detail: dict[str, Any],
        shown: Sequence[int] = (),
    ) -> None:
        """The entry as PharmDesk writes it: a list names the customers it showed
        (``customerIds``), and every customer named gets its ``audit_customer`` row."""
        if shown:
            detail = {**detail, "customerIds": [f"CUST-{n}" for n in dict.fromkeys(shown)]}
        head = self.conn.execute(
            "SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1"
        ).fetchone()
        prev_id, prev_hash = head if head else (0, GENESIS)
        text = json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        stamp = self.at.strftime("%Y-%m-%dT%H:%M:%SZ")
        material = json.dumps(
            [
                prev_id + 1,
                stamp,
                self.user,
                action,
                "customer",
                entity_id,
                "success",
                text,
                prev_hash,
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        self.conn.execute(
            "INSERT INTO audit_entry (id, at, user, action, entity_type, entity_id, outcome, "
            "detail, prev_hash, hash) VALUES (?, ?, ?, ?, 'customer', ?, 'success', ?, ?, ?)",
            (
                prev_id + 1,
                self.at.isoformat(sep=" "),
                self.user,
                action,
                entity_id,
                text,
                prev_hash,
                hashlib.sha256(material.encode()).hexdigest(),
            ),
        )
        named = set(shown)
        if entity_id is not None:
            named.add(int(entity_id.removeprefix("CUST-")))
        self.conn.executemany(
            "INSERT INTO audit_customer (customer_id, entry_id) VALUES (?, ?)",
            [(number, prev_id + 1) for number in sorted(named)],
        )

    def _in_transaction(self, work: Callable[[], Any]) -> Any:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            result = work()
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return result

    # -- fetchCustomers ----------------------------------------------------------------------
    def _active(self) -> int:
        row = self.conn.execute(
            "SELECT (SELECT count(*) FROM customer) "
            "- (SELECT count(*) FROM customer WHERE archived = 1)"
        ).fetchone()
        return int(row[0])

    def list_page(self, page: int, limit: int) -> tuple[int, list[int]]:
        def work() -> tuple[int, list[int]]:
            total = self._active()
            rows = self.conn.execute(
                f"SELECT {ROW} FROM customer c WHERE c.archived = 0 "
                "ORDER BY c.name_key, c.id LIMIT ? OFFSET ?",
                (limit, (page - 1) * limit),
            ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("list", None, {"page": page}, ids)
            return total, ids

        return self._in_transaction(work)

    def search_plans(self, search: str) -> tuple[str, str, tuple[Any, ...]]:
        """The FTS query, and the LIKE filter with its parameters, for a search text."""
        words = search_key(search).split()
        digits = re.sub(r"\D", "", search)
        fts, likes, params = [], [], []
        if words:
            fts.append(
                "("
                + " AND ".join("name : " + _phrase(" " * max(0, 3 - len(w)) + w) for w in words)
                + ")"
            )
            name_likes = []
            for word in words:
                if len(word) <= 2:
                    name_likes.append(
                        "(c.name_key LIKE ? ESCAPE '\\' OR c.name_key LIKE ? ESCAPE '\\')"
                    )
                    params += [_like(word) + "%", "% " + _like(word) + "%"]
                else:
                    name_likes.append("c.name_key LIKE ? ESCAPE '\\'")
                    params.append("%" + _like(word) + "%")
            likes.append("(" + " AND ".join(name_likes) + ")")
        if len(digits) >= MIN_PHONE_DIGITS:
            fts.append("phone : " + _phrase(digits))
            likes.append("c.phone_search LIKE ?")
            params.append(f"%{digits}%")
        return " OR ".join(fts), " OR ".join(likes), tuple(params)

    def search_page(self, search: str, page: int, limit: int, plan: str) -> tuple[int, list[int]]:
        """One search page by ``plan``: 'walk' the name index, or sort the 'index' matches."""
        fts, likes, params = self.search_plans(search)
        offset = (page - 1) * limit

        def work() -> tuple[int, list[int]]:
            total = self.conn.execute(
                "SELECT count(*) FROM customer_search WHERE customer_search MATCH ?", (fts,)
            ).fetchone()[0]
            if plan == "walk":
                rows = self.conn.execute(
                    f"SELECT {ROW} FROM customer c WHERE c.archived = 0 AND ({likes}) "
                    "ORDER BY c.name_key, c.id LIMIT ? OFFSET ?",
                    (*params, limit, offset),
                ).fetchall()
            else:
                rows = self.conn.execute(
                    f"SELECT {ROW} FROM customer_search f CROSS JOIN customer c "
                    "ON c.id = f.rowid WHERE customer_search MATCH ? AND c.archived = 0 "
                    "ORDER BY c.name_key, c.id LIMIT ? OFFSET ?",
                    (fts, limit, offset),
                ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("list", None, {"search": search, "page": page}, ids)
            return int(total), ids

        return self._in_transaction(work)

    def by_id(self, number: int) -> tuple[int, list[int]]:
        def work() -> tuple[int, list[int]]:
            rows = self.conn.execute(
                f"SELECT {ROW} FROM customer c WHERE c.id = ? AND c.archived = 0", (number,)
            ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("list", None, {"search": f"CUST-{number}"}, ids)
            return len(ids), ids

        return self._in_transaction(work)

    # -- viewProviderCustomerDetails ----------------------------------------------------------
    def view(self, number: int) -> tuple[int, int, int]:
        def work() -> tuple[int, int, int]:
            c = self.conn.execute("SELECT * FROM customer WHERE id = ?", (number,)).fetchone()
            # The record's other parts the profile shows (API.md v3): consents per purpose
            # and channel, the phone's STOP, relationships both ways, merges not undone.
            self.conn.execute(
                "SELECT r.purpose, r.channel, r.granted, r.method, r.wording_version, "
                "r.recorded_at, r.recorded_by FROM customer_consent cc "
                "JOIN consent_record r ON r.id = cc.record_id WHERE cc.customer_id = ?",
                (number,),
            ).fetchall()
            self.conn.execute(
                "SELECT received_at, source, lifted_at FROM suppressed_phone "
                "WHERE phone = (SELECT phone FROM customer WHERE id = ?)",
                (number,),
            ).fetchall()
            self.conn.execute(
                "SELECT id, customer_id, related_customer_id, name, phone, kind, can_collect, "
                "consent_method, created_at, created_by FROM customer_relationship "
                "WHERE customer_id = ? OR related_customer_id = ? ORDER BY id",
                (number, number),
            ).fetchall()
            self.conn.execute(
                "SELECT id, keep_id, merged_id, merged_at, merged_by, snapshot IS NOT NULL "
                "FROM customer_merge WHERE (keep_id = ? OR merged_id = ?) "
                "AND undone_at IS NULL ORDER BY id DESC",
                (number, number),
            ).fetchall()
            self.conn.execute(
                "SELECT label FROM customer_allergy WHERE customer_id = ? ORDER BY position",
                (number,),
            ).fetchall()
            self.conn.execute(
                "SELECT label FROM customer_condition WHERE customer_id = ? ORDER BY position",
                (number,),
            ).fetchall()
            plans = self.conn.execute(
                # resume_date: a pause that ends today ends as the profile is read
                "SELECT id, plan_id, plan_name, medications, status, next_delivery, resume_date "
                "FROM subscription WHERE customer_id = ? ORDER BY status != 'active', "
                "next_delivery IS NULL, next_delivery, id",
                (number,),
            ).fetchall()
            orders = self.conn.execute(
                "SELECT id, ordered_at, total, status FROM customer_order "
                "WHERE customer_id = ? ORDER BY ordered_at DESC, id DESC LIMIT 10",
                (number,),
            ).fetchall()
            self._audit("view", f"CUST-{number}", {})
            return c[0], len(plans), len(orders)

        return self._in_transaction(work)

    # -- segments ------------------------------------------------------------------------------
    def condition_segment(self, condition: str, limit: int) -> tuple[int, list[int]]:
        """The few distinct condition keys by a skip scan of their index (one seek per
        key) with each key's row count; the total from the (label_key, customer_id) index
        alone: the keys' rows (one per customer and key), less the rows of customers
        already counted under a bigger key, less the archived customers holding one; the
        page by walking the name index and probing each customer's conditions."""
        key = "%" + _like(search_key(condition)) + "%"

        def work() -> tuple[int, list[int]]:
            found = self.conn.execute(
                "WITH RECURSIVE k(key) AS (SELECT min(label_key) FROM customer_condition "
                "UNION ALL SELECT (SELECT min(label_key) FROM customer_condition "
                "WHERE label_key > k.key) FROM k WHERE k.key IS NOT NULL) "
                "SELECT key, (SELECT count(*) FROM customer_condition n "
                "WHERE n.label_key = k.key) FROM k WHERE key LIKE ? ESCAPE '\\'",
                (key,),
            ).fetchall()
            keys = [k for k, _n in sorted(found, key=lambda kn: (-kn[1], kn[0]))]
            if not keys:
                self._audit("segment", None, {"segment": "condition"})
                return 0, []
            marks = ",".join("?" * len(keys))
            parts = [f"{sum(n for _k, n in found)}"]
            params: list[Any] = []
            for i, one in enumerate(keys[1:], start=1):
                parts.append(
                    "- (SELECT count(*) FROM customer_condition k WHERE k.label_key = ? AND "
                    "EXISTS (SELECT 1 FROM customer_condition e WHERE e.customer_id = "
                    f"k.customer_id AND e.label_key IN ({','.join('?' * i)})))"
                )
                params += [one, *keys[:i]]
            total = self.conn.execute(
                f"SELECT {' '.join(parts)} - (SELECT count(*) FROM customer c "
                "WHERE c.archived = 1 AND EXISTS (SELECT 1 FROM customer_condition k "
                f"WHERE k.customer_id = c.id AND k.label_key IN ({marks})))",
                (*params, *keys),
            ).fetchone()[0]
            rows = self.conn.execute(
                f"SELECT {ROW} FROM customer c WHERE c.archived = 0 AND EXISTS (SELECT 1 "
                "FROM customer_condition k WHERE k.customer_id = c.id AND k.label_key IN "
                f"({marks})) ORDER BY c.name_key, c.id LIMIT ?",
                (*keys, limit),
            ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("segment", None, {"segment": "condition"}, ids)
            return int(total), ids

        return self._in_transaction(work)

    def refills_segment(self, horizon: dt.date, limit: int) -> tuple[int, list[int]]:
        """Walk the refill index in date order; a customer is listed at the first date
        due (no earlier due plan), once (the lowest subscription id of that date), so
        SQLite sorts only within a date ("right part of ORDER BY") and stops at the page.
        The count is the distinct customers in the index range, less the archived ones
        (reached from the archived end of a customer index)."""
        day = horizon.isoformat()

        def work() -> tuple[int, list[int]]:
            total = self.conn.execute(
                "SELECT (SELECT count(DISTINCT customer_id) FROM subscription "
                "WHERE status = 'active' AND next_delivery <= :day) - (SELECT "
                "count(DISTINCT s.customer_id) FROM customer c CROSS JOIN subscription s "
                "ON s.customer_id = c.id WHERE c.archived = 1 AND s.status = 'active' "
                "AND s.next_delivery <= :day)",
                {"day": day},
            ).fetchone()[0]
            rows = self.conn.execute(
                f"SELECT {ROW} FROM subscription s CROSS JOIN customer c ON c.id = s.customer_id "
                "WHERE s.status = 'active' AND s.next_delivery <= :day AND c.archived = 0 "
                "AND NOT EXISTS (SELECT 1 FROM subscription e WHERE e.customer_id = "
                "s.customer_id AND e.status = 'active' AND (e.next_delivery < s.next_delivery "
                "OR (e.next_delivery = s.next_delivery AND e.id < s.id))) "
                "ORDER BY s.next_delivery, c.name_key, c.id LIMIT :limit",
                {"day": day, "limit": limit},
            ).fetchall()
            ids = [r[0] for r in rows]
            marks = ",".join("?" * len(ids)) or "NULL"
            self.conn.execute(
                "SELECT id, customer_id, plan_id, plan_name, next_delivery FROM subscription "
                f"WHERE customer_id IN ({marks}) AND status = 'active' AND next_delivery <= ? "
                "ORDER BY next_delivery, id",
                (*ids, day),
            ).fetchall()
            self._audit("segment", None, {"segment": "upcomingRefills"}, ids)
            return int(total), ids

        return self._in_transaction(work)

    def high_value_segment(self, min_spend: int, limit: int) -> tuple[int, list[int]]:
        def work() -> tuple[int, list[int]]:
            total = self.conn.execute(
                "SELECT count(*) FROM customer WHERE archived = 0 AND total_spent >= ?",
                (min_spend,),
            ).fetchone()[0]
            rows = self.conn.execute(
                f"SELECT {ROW}, c.total_spent FROM customer c WHERE c.archived = 0 AND "
                "c.total_spent >= ? ORDER BY c.total_spent DESC, c.name_key, c.id LIMIT ?",
                (min_spend, limit),
            ).fetchall()
            ids = [r[0] for r in rows]
            self._audit("segment", None, {"segment": "highValue"}, ids)
            return int(total), ids

        return self._in_transaction(work)

    # -- writes ---------------------------------------------------------------------------------
    def add_customer(self, name: str, phone: str) -> str:
        e164 = phone_e164(phone, "NG")
        key = search_key(name)
        stamp = self.at.isoformat(sep=" ")

        def work() -> str:
            if self.conn.execute(
                "SELECT id FROM customer WHERE name_key = ? AND phone = ? LIMIT 1", (key, e164)
            ).fetchone():
                raise ValueError("duplicate")
            cursor = self.conn.execute(
                "INSERT INTO customer (name, name_key, phone, phone_search, allergy_status, "
                "marketing_consent, archived, version, total_orders, total_spent, "
                "active_plans, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 'unknown', 0, 0, 1, 0, 0, 0, ?, ?)",
                (name, key, e164, phone_search_forms(e164), stamp, stamp),
            )
            number = f"CUST-{cursor.lastrowid}"
            self._audit("create", number, {"fields": ["name", "phone"]})
            return number

        return self._in_transaction(work)

    def update_address(self, number: int, address: str) -> list[str]:
        def work() -> list[str]:
            old = self.conn.execute(
                "SELECT address, version FROM customer WHERE id = ?", (number,)
            ).fetchone()
            if old[0] == address:
                return []
            self.conn.execute(
                "UPDATE customer SET address = ?, version = version + 1, updated_at = ? "
                "WHERE id = ?",
                (address, self.at.isoformat(sep=" "), number),
            )
            self._audit(
                "update",
                f"CUST-{number}",
                {"changes": {"address": {"old": old[0], "new": address}}},
            )
            return ["address"]

        return self._in_transaction(work)
