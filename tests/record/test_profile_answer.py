"""The whole profile answer of a customer with something in every part (relationships
both ways, a payer, merges, consents, a STOP, labels, plans, orders), pinned against
the values the steps that made it imply: every key, every list in its order."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import DeskSession
from pharmdesk.store.schema import Customer
from tests.record.helpers import customer

NEVER = {"recordedAt": None, "recordedBy": None, "method": None, "wordingVersion": None}
REMINDERS_WORDING = "reminders-2026-12"
MARKETING_WORDING = "marketing-2026-12"


def _plan(admin: DeskSession, name: str, medications: list[str]) -> str:
    answer = admin.call(
        "addPlan", {"name": name, "medications": medications, "frequency": "monthly", "price": 9000}
    )
    return str(answer["planId"])


def _merge(admin: DeskSession, keep: str, name: str, phone: str) -> tuple[str, str]:
    dup = customer(admin, name, phone)
    answer = admin.call(
        "mergeCustomers",
        {
            "keepId": keep,
            "mergeId": dup,
            "fields": dict.fromkeys(
                ("name", "phone", "email", "address", "dateOfBirth", "notes"), "keep"
            ),
            "reason": "Registered twice",
        },
    )
    return str(answer["mergeId"]), dup


def _stored_version(admin: DeskSession, cid: str) -> int:
    with admin.db.transaction() as tx:
        version = tx.scalar(select(Customer.version).where(Customer.id == _number(cid)))
    assert isinstance(version, int) and version > 1
    return version


def _number(display_id: str) -> int:
    return int(display_id.split("-")[1])


def test_a_rich_profile_answers_every_part_in_order(
    admin: DeskSession, frontdesk: DeskSession, clock: FixedClock
) -> None:
    rich = customer(
        admin,
        "Adaeze Okonkwo",
        "08031230001",
        email="ada@example.com",
        address="4 Allen Avenue, Ikeja",
        dateOfBirth="1970-05-01",
        allergies=["Sulfonamides", "Aspirin"],
        medicalConditions=["Hypertension", "Asthma", "Diabetes Type 2"],
        notes="Prefers calls after 4pm",
        marketingConsent=True,
    )  # 12:00
    daughter = customer(admin, "Chioma Okonkwo", "08031230003")
    husband = customer(admin, "Emeka Okonkwo", "08031230004")
    clock.advance(minutes=1)  # 12:01: two duplicates merged in, the second one newer
    first_merge, first_dup = _merge(admin, rich, "Adaeze Okonkwoh", "08031230009")
    clock.advance(minutes=1)  # 12:02
    second_merge, second_dup = _merge(admin, rich, "Adaze Okonkwo", "08031230008")
    clock.advance(minutes=1)  # 12:03: plans
    monthly = _plan(admin, "Hypertension Care", ["Amlodipine 5mg", "Lisinopril 10mg"])
    inhaler = _plan(admin, "Asthma Relief", ["Salbutamol inhaler"])
    sugar = _plan(admin, "Diabetes Monthly", ["Metformin 500mg"])
    late = admin.call(
        "addCustomerPlan", {"customerId": rich, "planId": monthly, "startDate": "2026-05-01"}
    )
    soon = admin.call(
        "addCustomerPlan", {"customerId": rich, "planId": inhaler, "startDate": "2026-04-20"}
    )
    paused = admin.call("addCustomerPlan", {"customerId": rich, "planId": sugar})
    admin.call("pauseCustomerPlan", {"subscriptionId": paused["subscriptionId"]})
    clock.advance(minutes=1)  # 12:04: orders, two at one moment; one pending
    orders = []
    for day in range(1, 13):
        when = f"2026-03-{day:02d}T09:00:00Z" if day != 12 else "2026-03-11T09:00:00Z"
        answer = admin.call("recordOrder", {"customerId": rich, "total": 1000 * day, "date": when})
        orders.append((answer["orderId"], when, 1000 * day, "completed"))
    pending = admin.call(
        "recordOrder",
        {"customerId": rich, "total": 500, "date": "2026-02-01T08:00:00Z", "status": "pending"},
    )
    orders.append((pending["orderId"], "2026-02-01T08:00:00Z", 500, "pending"))
    clock.advance(minutes=1)  # 12:05: reminders by SMS, by frontdesk
    frontdesk.call(
        "setConsent",
        {
            "customerId": rich,
            "purpose": "reminders",
            "channel": "whatsapp",
            "granted": True,
            "method": "written",
            "note": "Signed form",
        },
    )
    clock.advance(minutes=1)  # 12:06: STOP by SMS withdraws marketing everywhere
    frontdesk.call("recordReply", {"phone": "08031230001", "text": "STOP", "channel": "sms"})
    clock.advance(minutes=1)  # 12:07: relationships both ways, a payer whose cover ended
    own_child = admin.call(
        "addRelationship",
        {
            "customerId": rich,
            "relatedCustomerId": daughter,
            "kind": "child",
            "canCollect": True,
            "consentMethod": "verbal",
        },
    )["relationshipId"]
    own_agent = frontdesk.call(
        "addRelationship",
        {
            "customerId": rich,
            "name": "Bola Ade",
            "phone": "08035550000",
            "kind": "agent",
            "canCollect": False,
            "consentMethod": "written",
        },
    )["relationshipId"]
    of_husband = admin.call(
        "addRelationship",
        {
            "customerId": husband,
            "relatedCustomerId": rich,
            "kind": "caregiver",
            "canCollect": True,
            "consentMethod": "form",
        },
    )["relationshipId"]
    admin.call("updateProviderCustomer", {"customerId": husband, "phone": "08031230005"})
    admin.call(
        "setPayer",
        {
            "customerId": rich,
            "payer": "hygeia hmo",
            "memberId": "HY-1",
            "planName": "Gold",
            "validUntil": "2026-03-31",
        },
    )
    clock.advance(minutes=1)  # 12:08: the profile is opened

    view = admin.call("viewProviderCustomerDetails", {"customerId": rich})

    def at(minute: int) -> str:
        return f"2026-04-18T12:{minute:02d}:00Z"

    recent = sorted(orders, key=lambda o: (o[1], _number(o[0])), reverse=True)[:10]
    completed = [o for o in orders if o[3] == "completed"]
    marketing_after_stop = {
        "granted": False,
        "recordedAt": at(6),
        "recordedBy": "femi",
        "method": "reply",
        "wordingVersion": MARKETING_WORDING,
    }
    expected: dict[str, Any] = {
        "id": rich,
        "name": "Adaeze Okonkwo",
        "phone": "+2348031230001",
        "email": "ada@example.com",
        "address": "4 Allen Avenue, Ikeja",
        "dateOfBirth": "1970-05-01",
        "allergies": ["Sulfonamides", "Aspirin"],
        "allergyStatus": "recorded",
        "allergiesConfirmedAt": at(0),
        "allergiesConfirmedBy": "admin",
        "medicalConditions": ["Hypertension", "Asthma", "Diabetes Type 2"],
        "stats": {
            "totalOrders": 12,
            "totalSpent": sum(o[2] for o in completed),
            "activePlans": 2,
            "lastOrder": "2026-03-11T09:00:00Z",
        },
        "plans": [
            {
                "id": inhaler,
                "subscriptionId": soon["subscriptionId"],
                "name": "Asthma Relief",
                "medications": ["Salbutamol inhaler"],
                "status": "active",
                "nextDelivery": "2026-04-20",
            },
            {
                "id": monthly,
                "subscriptionId": late["subscriptionId"],
                "name": "Hypertension Care",
                "medications": ["Amlodipine 5mg", "Lisinopril 10mg"],
                "status": "active",
                "nextDelivery": "2026-05-01",
            },
            {
                "id": sugar,
                "subscriptionId": paused["subscriptionId"],
                "name": "Diabetes Monthly",
                "medications": ["Metformin 500mg"],
                "status": "paused",
                "nextDelivery": "2026-04-18",
            },
        ],
        "recentOrders": [
            {"orderId": o[0], "date": o[1], "total": o[2], "status": o[3]} for o in recent
        ],
        "notes": "Prefers calls after 4pm",
        "language": "en",
        "marketingConsent": False,
        "marketingConsentRecordedAt": at(6),
        "marketingConsentRecordedBy": "femi",
        "consents": [
            {"purpose": "reminders", "channel": "sms", "granted": False, **NEVER},
            {
                "purpose": "reminders",
                "channel": "whatsapp",
                "granted": True,
                "recordedAt": at(5),
                "recordedBy": "femi",
                "method": "written",
                "wordingVersion": REMINDERS_WORDING,
            },
            {"purpose": "reminders", "channel": "email", "granted": False, **NEVER},
            {"purpose": "reminders", "channel": "call", "granted": False, **NEVER},
            *(
                {"purpose": "marketing", "channel": channel, **marketing_after_stop}
                for channel in ("sms", "whatsapp", "email", "call")
            ),
        ],
        "consentSuppressed": {"since": at(6), "source": "reply"},
        "relationships": [
            {
                "relationshipId": own_child,
                "direction": "own",
                "kind": "child",
                "customerId": daughter,
                "name": "Chioma Okonkwo",
                "phone": "+2348031230003",
                "canCollect": True,
                "consentMethod": "verbal",
                "createdAt": at(7),
                "createdBy": "admin",
            },
            {
                "relationshipId": own_agent,
                "direction": "own",
                "kind": "agent",
                "customerId": None,
                "name": "Bola Ade",
                "phone": "+2348035550000",
                "canCollect": False,
                "consentMethod": "written",
                "createdAt": at(7),
                "createdBy": "femi",
            },
            {
                "relationshipId": of_husband,
                "direction": "of",
                "kind": "caredFor",
                "customerId": husband,
                "name": "Emeka Okonkwo",
                "phone": "+2348031230005",  # the related record as it is now
                "canCollect": True,
                "consentMethod": "form",
                "createdAt": at(7),
                "createdBy": "admin",
            },
        ],
        "payer": {
            "payer": "Hygeia HMO",
            "known": True,
            "memberId": "HY-1",
            "planName": "Gold",
            "validUntil": "2026-03-31",
            "expired": True,
        },
        "mergedInto": None,
        "merges": [
            {
                "mergeId": merge,
                "keepId": rich,
                "mergedId": dup,
                "mergedAt": at(minute),
                "mergedBy": "admin",
                "undoable": True,
            }
            for merge, dup, minute in ((second_merge, second_dup, 2), (first_merge, first_dup, 1))
        ],
        "erased": False,
        "archived": False,
        "version": _stored_version(admin, rich),
        "createdAt": at(0),
        "updatedAt": at(7),
    }
    assert view == expected
    # the keys' order and the JSON types too (True is not 1 there)
    assert json.dumps(view) == json.dumps(expected)
    # the merged duplicates show the same merge, and where they went
    for merge, dup in ((first_merge, first_dup), (second_merge, second_dup)):
        gone = admin.call("viewProviderCustomerDetails", {"customerId": dup})
        assert gone["mergedInto"] == rich and gone["archived"] is True
        assert [m["mergeId"] for m in gone["merges"]] == [merge]
        assert gone["relationships"] == [] and gone["payer"] is None
        assert gone["consentSuppressed"] is None


def test_an_erased_merge_is_shown_but_no_longer_undoable(admin: DeskSession) -> None:
    keep = customer(admin, "Ibrahim Danjuma", "08030003333")
    merge, dup = _merge(admin, keep, "Ibrahim Danjumah", "08030003334")
    before = admin.call("viewProviderCustomerDetails", {"customerId": dup})["merges"]
    assert [(m["mergeId"], m["undoable"]) for m in before] == [(merge, True)]
    assert before[0]["undoable"] is True
    admin.call("eraseCustomer", {"customerId": keep, "reason": "asked"})
    for cid in (keep, dup):
        view = admin.call("viewProviderCustomerDetails", {"customerId": cid})
        expected = [
            {
                "mergeId": merge,
                "keepId": keep,
                "mergedId": dup,
                "mergedAt": "2026-04-18T12:00:00Z",
                "mergedBy": "admin",
                "undoable": False,
            }
        ]
        assert json.dumps(view["merges"]) == json.dumps(expected)
        assert view["erased"] is True and view["relationships"] == []
