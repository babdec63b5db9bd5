"""Consent per purpose and channel: the one writer of consent records, and the STOP
suppression list. Every path that changes consent (the customer form, the import,
``setMarketingConsent``, ``setConsent``, a STOP reply) comes through here, so history,
proof and the summary flag on the customer row never disagree.

The customer row keeps ``marketing_consent`` as a summary: marketing agreed on at least
one channel (what the segment readers narrow a campaign to when no channel is named).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.registry import Op
from pharmdesk.errors import validation
from pharmdesk.resources import load_json
from pharmdesk.store import driver_sql
from pharmdesk.store.schema import (
    ConsentEvent,
    ConsentRecord,
    Customer,
    CustomerConsent,
    SuppressedPhone,
)

REMINDERS = "reminders"
MARKETING = "marketing"
PURPOSES = (REMINDERS, MARKETING)
CHANNELS = ("sms", "whatsapp", "email", "call")
METHODS = ("verbal", "written", "form", "import", "reply")
WORDING_FILE = "consent-wording.json"


def wording(purpose: str) -> dict[str, Any]:
    """The wording staff read or show for a purpose: ``{"version", "text": {lang: ...}}``."""
    entry: dict[str, Any] = load_json(WORDING_FILE)[purpose]
    return entry


def wording_version(purpose: str) -> str:
    return str(wording(purpose)["version"])


# -- suppression ---------------------------------------------------------------------------
def suppressed_since(tx: Session, phone: str) -> dt.datetime | None:
    """When STOP was received from this phone, if it is still suppressed."""
    row = tx.get(SuppressedPhone, phone)
    if row is None or row.lifted_at is not None:
        return None
    return row.received_at


def refuse_if_suppressed(tx: Session, phone: str, field: str) -> None:
    """VALIDATION_ERROR when marketing is granted for a phone that answered STOP."""
    since = suppressed_since(tx, phone)
    if since is not None:
        when = since.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
        raise validation(
            f"This phone number asked to stop marketing messages (STOP received {when}). "
            "Marketing can only be turned back on with the customer's written consent "
            "(setConsent with method 'written').",
            field,
        )


def suppress(op: Op, phone: str, source: str) -> None:
    row = op.tx.get(SuppressedPhone, phone)
    if row is None:
        op.tx.add(
            SuppressedPhone(
                phone=phone, received_at=op.naive_now, source=source, recorded_by=op.user
            )
        )
    else:
        row.received_at = op.naive_now
        row.source = source
        row.recorded_by = op.user
        row.lifted_at = None
        row.lifted_by = None
    op.tx.flush()


def lift_suppression(op: Op, phone: str) -> bool:
    """A written consent lifts STOP; the row stays, with who lifted it and when."""
    row = op.tx.get(SuppressedPhone, phone)
    if row is None or row.lifted_at is not None:
        return False
    row.lifted_at = op.naive_now
    row.lifted_by = op.user
    op.tx.flush()
    return True


# -- recording -------------------------------------------------------------------------------
def record(
    op: Op,
    customer_ids: Iterable[int],
    purpose: str,
    channels: Iterable[str],
    granted: bool,
    method: str,
    note: str | None = None,
    *,
    sync_summary: bool = True,
) -> None:
    """Write one record per customer and channel and make it the current answer; keep
    the customer's marketing summary (and its old-style history) in step, unless the
    caller writes that summary itself (the customer form and ``setMarketingConsent``)."""
    numbers = list(customer_ids)
    chosen = list(channels)
    if not numbers or not chosen:
        return
    conn = op.tx.connection()
    version = wording_version(purpose)
    rows = [
        {
            "customer_id": number,
            "purpose": purpose,
            "channel": channel,
            "granted": granted,
            "method": method,
            "wording_version": version,
            "note": note,
            "recorded_at": op.naive_now,
            "recorded_by": op.user,
        }
        for number in numbers
        for channel in chosen
    ]
    ids = conn.scalars(
        insert(ConsentRecord).returning(ConsentRecord.id, sort_by_parameter_order=True), rows
    ).all()
    existing = {
        (r.customer_id, r.channel)
        for r in conn.execute(
            select(CustomerConsent.customer_id, CustomerConsent.channel).where(
                CustomerConsent.customer_id.in_(numbers), CustomerConsent.purpose == purpose
            )
        )
    }
    current = [
        {**{k: row[k] for k in ("customer_id", "purpose", "channel", "granted")}, "record_id": rid}
        for row, rid in zip(rows, ids, strict=True)
    ]
    fresh = [c for c in current if (c["customer_id"], c["channel"]) not in existing]
    known = [c for c in current if (c["customer_id"], c["channel"]) in existing]
    if fresh:
        conn.execute(insert(CustomerConsent), fresh)
    for c in known:
        conn.execute(
            update(CustomerConsent)
            .where(
                and_(
                    CustomerConsent.customer_id == c["customer_id"],
                    CustomerConsent.purpose == purpose,
                    CustomerConsent.channel == c["channel"],
                )
            )
            .values(granted=c["granted"], record_id=c["record_id"])
        )
    if purpose == MARKETING and sync_summary:
        sync_marketing_summary(op, numbers)


def sync_marketing_summary(op: Op, numbers: list[int]) -> list[int]:
    """Set ``customer.marketing_consent`` to "marketing on at least one channel" where it
    changed, with the old-style history row; returns the customers whose summary changed."""
    conn = op.tx.connection()
    agreed = set(
        conn.scalars(
            select(CustomerConsent.customer_id).where(
                CustomerConsent.customer_id.in_(numbers),
                CustomerConsent.purpose == MARKETING,
                CustomerConsent.granted.is_(True),
            )
        )
    )
    flags: dict[int, bool] = dict(
        conn.execute(
            select(Customer.id, Customer.marketing_consent).where(Customer.id.in_(numbers))
        ).all()
    )
    changed = [n for n in numbers if bool(flags.get(n)) != (n in agreed)]
    for number in changed:
        now_agreed = number in agreed
        conn.execute(
            update(Customer)
            .where(Customer.id == number)
            .values(
                marketing_consent=now_agreed,
                consent_recorded_at=op.naive_now,
                consent_recorded_by=op.user,
            )
        )
        conn.execute(
            insert(ConsentEvent),
            {
                "customer_id": number,
                "consent": now_agreed,
                "recorded_at": op.naive_now,
                "recorded_by": op.user,
            },
        )
    return changed


def granted_channels(tx: Session, customer_id: int, purpose: str) -> set[str]:
    return set(
        tx.scalars(
            select(CustomerConsent.channel).where(
                CustomerConsent.customer_id == customer_id,
                CustomerConsent.purpose == purpose,
                CustomerConsent.granted.is_(True),
            )
        )
    )


def has_consent(tx: Session, customer_id: int, purpose: str, channel: str) -> bool:
    return bool(
        tx.scalar(
            select(CustomerConsent.granted).where(
                CustomerConsent.customer_id == customer_id,
                CustomerConsent.purpose == purpose,
                CustomerConsent.channel == channel,
            )
        )
    )


# -- reading ---------------------------------------------------------------------------------
def record_json(row: Any) -> dict[str, Any]:
    return {
        "purpose": row.purpose,
        "channel": row.channel,
        "granted": bool(row.granted),
        "recordedAt": iso_or_none(row.recorded_at),
        "recordedBy": row.recorded_by,
        "method": row.method,
        "wordingVersion": row.wording_version,
    }


_CURRENT = (
    select(
        ConsentRecord.purpose,
        ConsentRecord.channel,
        ConsentRecord.granted,
        ConsentRecord.recorded_at,
        ConsentRecord.recorded_by,
        ConsentRecord.method,
        ConsentRecord.wording_version,
    )
    .join(CustomerConsent, CustomerConsent.record_id == ConsentRecord.id)
    .where(CustomerConsent.customer_id == bindparam("customer"))
)
_NEVER = dict.fromkeys(("recordedAt", "recordedBy", "method", "wordingVersion"))


def current_consents(tx: Session, customer_id: int) -> list[dict[str, Any]]:
    """Every purpose x channel; one never asked is not granted and has no record."""
    found = {
        (row.purpose, row.channel): row
        for row in driver_sql.rows(tx.connection(), _CURRENT, {"customer": customer_id})
    }
    return [
        record_json(found[purpose, channel])
        if (purpose, channel) in found
        else {"purpose": purpose, "channel": channel, "granted": False, **_NEVER}
        for purpose in PURPOSES
        for channel in CHANNELS
    ]


_SUPPRESSION = select(SuppressedPhone.received_at, SuppressedPhone.source).where(
    SuppressedPhone.phone == bindparam("phone"), SuppressedPhone.lifted_at.is_(None)
)


def suppression(tx: Session, phone: str) -> dict[str, Any] | None:
    """``{"since", "source"}`` while the phone is on the STOP list, else None."""
    found = driver_sql.rows(tx.connection(), _SUPPRESSION, {"phone": phone})
    if not found:
        return None
    row = found[0]
    return {"since": iso_or_none(row.received_at), "source": row.source}


def history(tx: Session, customer_id: int, *, newest_first: bool = False) -> list[dict[str, Any]]:
    order = ConsentRecord.id.desc() if newest_first else ConsentRecord.id
    return [
        {**record_json(row), "note": row.note}
        for row in tx.scalars(
            select(ConsentRecord).where(ConsentRecord.customer_id == customer_id).order_by(order)
        )
    ]


# -- consents given with a new customer (the import's consent columns) ------------------------
CONSENTS_FIELD = "consents"


def consent_list() -> Any:
    """``addProviderCustomer``'s optional ``consents``: ``[{"purpose", "channel",
    "granted"}]``, each purpose and channel at most once (an import's consent columns)."""

    def convert(name: str, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or len(value) > len(PURPOSES) * len(CHANNELS):
            raise validation(f"{name} must be a list of purpose, channel and granted.", name)
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for item in value:
            if (
                not isinstance(item, dict)
                or item.get("purpose") not in PURPOSES
                or item.get("channel") not in CHANNELS
                or not isinstance(item.get("granted"), bool)
            ):
                raise validation(
                    f"Each of {name} needs a purpose ({', '.join(PURPOSES)}), a channel "
                    f"({', '.join(CHANNELS)}) and granted (true or false).",
                    name,
                )
            key = (item["purpose"], item["channel"])
            if key in seen:
                raise validation(f"{name} names {key[0]} by {key[1]} twice.", name)
            seen.add(key)
            out.append({"purpose": key[0], "channel": key[1], "granted": item["granted"]})
        return out

    return convert


def refuse_suppressed_grants(tx: Session, phone: str, consents: list[dict[str, Any]]) -> None:
    """A new customer's marketing grant for a phone that answered STOP is refused, as the
    marketing flag is (API.md: only a written consent lifts STOP)."""
    if any(c["purpose"] == MARKETING and c["granted"] for c in consents):
        refuse_if_suppressed(tx, phone, CONSENTS_FIELD)


def record_new(op: Op, given: list[tuple[int, list[dict[str, Any]], str]]) -> None:
    """New customers' consents by purpose and channel: ``(customer id, consents,
    method)``. Recorded after the all-channel marketing flag, so a column about one
    channel says the last word for it; the marketing summary follows."""
    groups: dict[tuple[str, str, bool, str], list[int]] = {}
    for number, consents, method in given:
        for c in consents:
            groups.setdefault((c["purpose"], c["channel"], c["granted"], method), []).append(number)
    for (purpose, channel, granted, method), numbers in groups.items():
        record(op, numbers, purpose, [channel], granted, method, sync_summary=False)
    marketing = sorted(
        {n for n, consents, _m in given for c in consents if c["purpose"] == MARKETING}
    )
    if marketing:
        sync_marketing_summary(op, marketing)
