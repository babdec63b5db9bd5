"""Redacting an erased customer's values from audit details, keeping the chain whole.

Since migration 0005 an entry's hash covers its detail's own hash (``detail_hash``), so a
detail can be replaced and the chain still verifies. A redacted detail starts with
``{"redacted": ...}`` (what ``audit.is_redacted`` looks for), says when and for whom, and
keeps everything that was not the customer's: ids, counts, amounts, field names.

What is replaced (by ``"[erased]"``):
- in entries about the customer (their entity), every changed value (``changes`` old and
  new: earlier phones and addresses too) and every text that holds one of their values;
- in other entries that named them (list pages, segments, imports), the search text that
  found them and every text that holds one of their values.
Entries written before migration 0005 (no detail hash) cannot be redacted without
breaking the chain; they are counted and left.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from pharmdesk.controllers.audit import is_redacted
from pharmdesk.controllers.validation import search_key
from pharmdesk.store.schema import AuditCustomer, AuditEntry

ERASED = "[erased]"
MIN_NEEDLE = 3
# Texts that hold what a person typed to find someone.
SEARCH_KEYS = frozenset({"search", "query", "condition"})


def needles_from(values: Iterable[Any]) -> set[str]:
    """The search keys of the texts (and of each of their lines) worth looking for."""
    found: set[str] = set()
    for value in values:
        if isinstance(value, list):
            found |= needles_from(value)
        elif isinstance(value, str):
            for part in [value, *value.splitlines()]:
                key = search_key(part)
                if len(key) >= MIN_NEEDLE:
                    found.add(key)
            digits = "".join(ch for ch in value if ch.isdigit())
            if len(digits) >= 7:
                found.add(digits)
                found.add(digits[-10:])  # the national number without its prefix
    return found


def _holds(text: str, needles: set[str]) -> bool:
    key = search_key(text)
    digits = "".join(ch for ch in text if ch.isdigit())
    return any(n in key or (n.isdigit() and n in digits) for n in needles)


def _clean(value: Any, needles: set[str], *, everything: bool = False) -> Any:
    if isinstance(value, dict):
        return {k: _clean_item(k, v, needles, everything) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, needles, everything=everything) for v in value]
    if isinstance(value, str) and (everything or _holds(value, needles)):
        return ERASED
    return value


def _clean_item(key: str, value: Any, needles: set[str], everything: bool) -> Any:
    if key in ("customerIds", "redacted"):
        return value
    if key == "changes" and isinstance(value, dict):
        return {field: _clean(v, needles, everything=True) for field, v in value.items()}
    if key in SEARCH_KEYS and isinstance(value, str) and value:
        return ERASED
    return _clean(value, needles, everything=everything)


def old_values(tx: Session, entity: str) -> list[Any]:
    """Values the customer's own entries recorded (earlier phones, names, addresses)."""
    found: list[Any] = []
    for detail in tx.scalars(
        select(AuditEntry.detail).where(
            AuditEntry.entity_type == "customer", AuditEntry.entity_id == entity
        )
    ):
        try:
            data = json.loads(detail)
        except ValueError:
            continue
        for change in (data.get("changes") or {}).values():
            if isinstance(change, dict):
                found += [change.get("old"), change.get("new")]
        for key in ("name", "phone"):
            found.append(data.get(key))
    return [v for v in found if isinstance(v, str | list)]


def redact_entries(
    tx: Session, numbers: list[int], needles: set[str], note: dict[str, Any]
) -> tuple[int, int]:
    """Redact the entries that named these customers. Returns (redacted, left as they
    were because they predate detail hashes)."""
    entities = [f"CUST-{n}" for n in numbers]
    linked = select(AuditCustomer.entry_id).where(AuditCustomer.customer_id.in_(numbers))
    rows = tx.execute(
        select(AuditEntry.id, AuditEntry.entity_id, AuditEntry.detail, AuditEntry.detail_hash)
        .where(
            or_(
                AuditEntry.id.in_(linked),
                (AuditEntry.entity_type == "customer") & AuditEntry.entity_id.in_(entities),
            )
        )
        .order_by(AuditEntry.id)
    ).all()
    redacted = left = 0
    for entry_id, entity, detail, detail_hash in rows:
        data = json.loads(detail) if detail else {}
        own = entity in entities
        earlier = data.pop("redacted", None) if is_redacted(detail) else None
        cleaned = _clean(data, needles, everything=False) if not own else _own(data, needles)
        if cleaned == data:
            continue
        if detail_hash is None:
            left += 1
            continue
        marks = (earlier if isinstance(earlier, list) else [earlier] if earlier else []) + [note]
        text = json.dumps({"redacted": marks, **cleaned}, separators=(",", ":"), ensure_ascii=False)
        _replace_detail(tx, entry_id, text)
        redacted += 1
    return redacted, left


def _replace_detail(tx: Session, entry_id: int, detail: str) -> None:
    """On a branch server no staff login may change the log: admins redact through the
    server's own function (``pharmdesk_audit_redact``), which changes nothing but the
    detail of an entry whose hash the chain keeps."""
    if tx.get_bind().dialect.name == "postgresql":
        tx.execute(
            sql_text("SELECT pharmdesk_audit_redact(:id, :detail)"),
            {"id": entry_id, "detail": detail},
        )
        return
    tx.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(detail=detail))


def _own(data: dict[str, Any], needles: set[str]) -> dict[str, Any]:
    """An entry about the customer: changed values go whatever they were."""
    cleaned: dict[str, Any] = _clean(data, needles)
    for key in ("name", "phone", "notes", "address", "email", "note"):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = ERASED
    return cleaned
