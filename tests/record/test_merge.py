"""mergeCustomers and undoMerge: everything moves to the record kept, the chosen values
win, the duplicate is archived with mergedInto, counters are recomputed; undo puts both
records back exactly (counters, version, labels, consents, relationships included)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.store.schema import ConsentRecord, CustomerAllergy, CustomerCondition, Order
from tests.record.helpers import customer, last_entry, refused

REASON = "Same person registered twice at import"


def _plan(admin: DeskSession, name: str = "Hypertension Care") -> str:
    answer = admin.call(
        "addPlan",
        {"name": name, "medications": ["Amlodipine 5mg"], "frequency": "monthly", "price": 15000},
    )
    return str(answer["planId"])


def _pair(admin: DeskSession) -> tuple[str, str, str]:
    """Two records of one woman (a typo and an older phone), each with history, and a
    daughter linked to the second."""
    keep = customer(
        admin,
        "Adaeze Okonkwo",
        "08031230001",
        email="ada@example.com",
        allergies=["Penicillin"],
        medicalConditions=["Hypertension"],
        dateOfBirth="1970-05-01",
    )
    dup = customer(
        admin,
        "Adaeze Okonkwoh",
        "0803 123 0002",
        address="4 Allen Avenue, Ikeja",
        allergies=["Sulfonamides", "penicillin"],
        medicalConditions=["Diabetes Type 2"],
        dateOfBirth="1970-05-01",
        notes="Prefers calls after 4pm",
    )
    daughter = customer(admin, "Chioma Okonkwo", "08031230003")
    plan = _plan(admin)
    admin.call("addCustomerPlan", {"customerId": keep, "planId": plan})
    admin.call("addCustomerPlan", {"customerId": dup, "planId": _plan(admin, "Diabetes Monthly")})
    admin.call("recordOrder", {"customerId": keep, "total": 5000, "date": "2026-01-10T10:00:00Z"})
    admin.call("recordOrder", {"customerId": dup, "total": 7000, "date": "2026-02-10T10:00:00Z"})
    admin.call("recordOrder", {"customerId": dup, "total": 900, "status": "pending"})
    admin.call(
        "setConsent",
        {
            "customerId": dup,
            "purpose": "reminders",
            "channel": "sms",
            "granted": True,
            "method": "verbal",
        },
    )
    admin.call(
        "setConsent",
        {
            "customerId": keep,
            "purpose": "reminders",
            "channel": "sms",
            "granted": False,
            "method": "verbal",
        },
    )
    admin.call("setPayer", {"customerId": dup, "payer": "Hygeia HMO", "memberId": "HY-1"})
    admin.call(
        "addRelationship",
        {
            "customerId": dup,
            "relatedCustomerId": daughter,
            "kind": "child",
            "canCollect": True,
            "consentMethod": "verbal",
        },
    )
    admin.call(
        "addRelationship",
        {"customerId": keep, "relatedCustomerId": dup, "kind": "spouse", "consentMethod": "verbal"},
    )
    return keep, dup, daughter


def _state(admin: DeskSession, *ids: str) -> dict[str, Any]:
    """Everything both records show, and the rows behind them."""
    out: dict[str, Any] = {}
    for cid in ids:
        out[cid] = admin.call("exportCustomerData", {"customerId": cid})
        out[cid].pop("exportedAt")
        out[cid]["consents"] = admin.call("getConsents", {"customerId": cid})
    with admin.db.transaction() as tx:
        for table in (CustomerAllergy, CustomerCondition):
            out[table.__tablename__] = sorted(
                tx.execute(select(table.customer_id, table.position, table.label)).all()
            )
        out["orders"] = sorted(tx.execute(select(Order.id, Order.customer_id)).all())
        out["consent_record"] = sorted(
            tx.execute(select(ConsentRecord.id, ConsentRecord.customer_id)).all()
        )
    return out


def _fields() -> dict[str, str]:
    return {
        "name": "keep",
        "phone": "keep",
        "address": "merge",
        "notes": "merge",
        "email": "keep",
        "payer": "merge",
    }


def test_merge_moves_everything_and_undo_restores_both_exactly(
    admin: DeskSession, pharmacist: DeskSession
) -> None:
    keep, dup, daughter = _pair(admin)
    before = _state(admin, keep, dup, daughter)
    answer = pharmacist.call(
        "mergeCustomers", {"keepId": keep, "mergeId": dup, "fields": _fields(), "reason": REASON}
    )
    assert answer["success"] is True and answer["mergeId"].startswith("MRG-")
    kept = admin.call("viewProviderCustomerDetails", {"customerId": keep})
    assert (kept["name"], kept["phone"]) == ("Adaeze Okonkwo", "+2348031230001")
    assert kept["address"] == "4 Allen Avenue, Ikeja" and kept["email"] == "ada@example.com"
    assert kept["notes"] == "Prefers calls after 4pm"
    assert kept["allergies"] == ["Penicillin", "Sulfonamides"]
    assert kept["medicalConditions"] == ["Hypertension", "Diabetes Type 2"]
    assert kept["stats"] == {
        "totalOrders": 2,
        "totalSpent": 12000,
        "activePlans": 2,
        "lastOrder": "2026-02-10T10:00:00Z",
    }
    assert len(kept["recentOrders"]) == 3 and len(kept["plans"]) == 2
    assert kept["payer"]["payer"] == "Hygeia HMO"
    # the link between the two records goes; the daughter now belongs to the kept one
    assert [(r["kind"], r["customerId"]) for r in kept["relationships"]] == [("child", daughter)]
    consents = {(c["purpose"], c["channel"]): c["granted"] for c in kept["consents"]}
    assert consents[("reminders", "sms")] is False  # the newer answer (the kept one's) wins
    gone = admin.call("viewProviderCustomerDetails", {"customerId": dup})
    assert gone["archived"] is True and gone["mergedInto"] == keep
    assert (
        gone["merges"]
        == kept["merges"]
        == [
            {
                "mergeId": answer["mergeId"],
                "keepId": keep,
                "mergedId": dup,
                "mergedAt": "2026-04-18T12:00:00Z",
                "mergedBy": "ngozi",
                "undoable": True,
            }
        ]
    )
    assert gone["stats"] == {"totalOrders": 0, "totalSpent": 0, "activePlans": 0, "lastOrder": None}
    # lists show one record; searching for the merged id leads to the kept one
    found = admin.call("fetchCustomers", {"search": "Adaeze"})["customers"]
    assert [c["id"] for c in found] == [keep]
    assert [c["id"] for c in admin.call("fetchCustomers", {"search": dup})["customers"]] == [keep]
    listed = last_entry(admin, "list")["detail"]
    assert (listed["search"], listed["customerIds"]) == (dup, [keep])  # what was typed
    entry = last_entry(admin, "merge")
    assert entry["user"] == "ngozi" and entry["entityId"] == keep
    assert entry["detail"]["mergeId"] == answer["mergeId"]
    assert entry["detail"]["fields"]["address"] == "merge"
    assert entry["detail"]["labelsAdded"] == {
        "allergies": ["Sulfonamides"],
        "medicalConditions": ["Diabetes Type 2"],
    }
    assert entry["detail"]["reason"] == REASON
    # the duplicate's history is findable from its own id
    seen = admin.call("fetchAuditLog", {"customerId": dup, "action": "merge"})["entries"]
    assert [e["id"] for e in seen] == [entry["id"]]

    assert admin.call("undoMerge", {"mergeId": answer["mergeId"], "reason": "Twins, not one"}) == {
        "success": True
    }
    after = _state(admin, keep, dup, daughter)
    assert after == before
    undo = last_entry(admin, "merge")
    assert undo["detail"]["event"] == "undo" and undo["detail"]["reason"] == "Twins, not one"
    error = refused(admin, "undoMerge", {"mergeId": answer["mergeId"], "reason": "again"})
    assert error.code == "CONFLICT"


def test_merge_errors(admin: DeskSession, pharmacist: DeskSession, frontdesk: DeskSession) -> None:
    keep, dup, daughter = _pair(admin)
    base = {"keepId": keep, "mergeId": dup, "fields": _fields(), "reason": REASON}
    error = refused(frontdesk, "mergeCustomers", base)
    assert error.code == "PERMISSION_DENIED"
    assert last_entry(admin, "denied")["detail"] == {"operation": "mergeCustomers"}
    for params, code, field in [
        ({**base, "mergeId": keep}, "VALIDATION_ERROR", "mergeId"),
        ({**base, "reason": ""}, "VALIDATION_ERROR", "reason"),
        ({**base, "fields": {"name": "both"}}, "VALIDATION_ERROR", "fields.name"),
        ({**base, "fields": {"shoeSize": "keep"}}, "VALIDATION_ERROR", "fields.shoeSize"),
        ({**base, "fields": {"name": "keep"}}, "VALIDATION_ERROR", "fields"),
        ({**base, "mergeId": "CUST-999"}, "NOT_FOUND", "mergeId"),
        ({**base, "keepId": "CUST-999"}, "NOT_FOUND", "keepId"),
    ]:
        error = refused(pharmacist, "mergeCustomers", params)
        assert (error.code, error.field) == (code, field), params
    missing = refused(pharmacist, "mergeCustomers", {**base, "fields": {"name": "keep"}})
    assert "phone" in missing.message and "address" in missing.message
    # A chosen name and phone already held by a third customer is a duplicate.
    third = customer(admin, "Adaeze Okonkwoh", "08031230001")
    error = refused(
        pharmacist, "mergeCustomers", {**base, "fields": {**_fields(), "name": "merge"}}
    )
    assert error.code == "DUPLICATE" and third in error.message
    answer = pharmacist.call("mergeCustomers", base)
    error = refused(pharmacist, "mergeCustomers", {**base, "keepId": daughter})
    assert (error.code, error.field) == ("ARCHIVED", "mergeId")
    # undo: admins only, and only while the kept record is as the merge left it
    error = refused(pharmacist, "undoMerge", {"mergeId": answer["mergeId"], "reason": "x"})
    assert error.code == "PERMISSION_DENIED"
    assert refused(admin, "undoMerge", {"mergeId": "MRG-99", "reason": "x"}).code == "NOT_FOUND"
    assert refused(admin, "undoMerge", {"mergeId": answer["mergeId"]}).field == "reason"
    admin.call("recordOrder", {"customerId": keep, "total": 100})
    error = refused(admin, "undoMerge", {"mergeId": answer["mergeId"], "reason": "x"})
    assert error.code == "CONFLICT" and "changed since the merge" in error.message


def test_identical_records_need_no_choices(admin: DeskSession, pharmacist: DeskSession) -> None:
    a = customer(admin, "Yusuf Garba", "08039990001")
    b = customer(admin, "Yusuf Garba", "08039990002")
    error = refused(pharmacist, "mergeCustomers", {"keepId": a, "mergeId": b, "reason": REASON})
    assert "phone" in error.message and error.field == "fields"
    pharmacist.call(
        "mergeCustomers",
        {"keepId": a, "mergeId": b, "fields": {"phone": "merge"}, "reason": REASON},
    )
    assert admin.call("viewProviderCustomerDetails", {"customerId": a})["phone"] == (
        "+2348039990002"
    )
