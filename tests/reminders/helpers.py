"""Customers with plans due on chosen days, and reads of the outbox and audit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.store.schema import AuditEntry, OutboxMessage

TODAY = dt.date(2026, 4, 18)  # the FixedClock's branch-local date


def refused(desk: DeskSession, name: str, params: Any = None) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def customer(desk: DeskSession, name: str, phone: str, **fields: Any) -> str:
    return str(
        desk.call("addProviderCustomer", {"name": name, "phone": phone, **fields})["customerId"]
    )


def plan(desk: DeskSession, name: str = "Hypertension Care") -> str:
    return str(
        desk.call(
            "addPlan",
            {
                "name": name,
                "medications": ["Amlodipine 5mg"],
                "frequency": "monthly",
                "price": 15000,
            },
        )["planId"]
    )


def enroll(desk: DeskSession, customer_id: str, plan_id: str, in_days: int) -> str:
    start = (TODAY + dt.timedelta(days=in_days)).isoformat()
    answer = desk.call(
        "addCustomerPlan", {"customerId": customer_id, "planId": plan_id, "startDate": start}
    )
    return str(answer["subscriptionId"])


def grant(
    desk: DeskSession, customer_id: str, channel: str = "sms", purpose: str = "reminders"
) -> None:
    desk.call(
        "setConsent",
        {
            "customerId": customer_id,
            "purpose": purpose,
            "channel": channel,
            "granted": True,
            "method": "verbal",
        },
    )


def withdraw(
    desk: DeskSession, customer_id: str, channel: str = "sms", purpose: str = "reminders"
) -> None:
    desk.call(
        "setConsent",
        {
            "customerId": customer_id,
            "purpose": purpose,
            "channel": channel,
            "granted": False,
            "method": "verbal",
        },
    )


def messages(desk: DeskSession) -> list[OutboxMessage]:
    with desk.db.transaction() as tx:
        found = list(tx.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        tx.expunge_all()
        return found


def entries(desk: DeskSession, action: str) -> list[tuple[AuditEntry, dict[str, Any]]]:
    with desk.db.transaction() as tx:
        rows = list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        tx.expunge_all()
    return [(row, json.loads(row.detail)) for row in rows]
