"""addRelationship / removeRelationship: both directions in the profile, each error,
the audit entries."""

from __future__ import annotations

from pharmdesk.controllers.session import DeskSession
from tests.record.helpers import customer, last_entry, refused


def _view(desk: DeskSession, cid: str) -> dict:
    return desk.call("viewProviderCustomerDetails", {"customerId": cid})


def test_a_child_on_file_shows_on_both_profiles(frontdesk: DeskSession, admin: DeskSession) -> None:
    mum = customer(frontdesk, "Funmilayo Adeyemi", "08031234567")
    son = customer(frontdesk, "Tobi Adeyemi", "08037654321")
    answer = frontdesk.call(
        "addRelationship",
        {
            "customerId": mum,
            "relatedCustomerId": son,
            "kind": "child",
            "canCollect": True,
            "consentMethod": "verbal",
        },
    )
    assert answer["success"] is True and answer["relationshipId"].startswith("REL-")
    (own,) = _view(frontdesk, mum)["relationships"]
    assert own["direction"] == "own" and own["kind"] == "child"
    assert own["customerId"] == son and own["name"] == "Tobi Adeyemi"
    assert own["canCollect"] is True and own["consentMethod"] == "verbal"
    assert own["createdBy"] == "femi"
    (theirs,) = _view(frontdesk, son)["relationships"]
    assert theirs["direction"] == "of" and theirs["kind"] == "parent"
    assert theirs["customerId"] == mum
    entry = last_entry(admin, "relationship")
    assert entry["entityId"] == mum and entry["user"] == "femi"
    assert entry["detail"]["event"] == "add"
    assert entry["detail"]["relationshipId"] == answer["relationshipId"]
    # "who has seen this customer" finds the entry from both sides
    seen = admin.call("fetchAuditLog", {"customerId": son, "action": "relationship"})
    assert [e["id"] for e in seen["entries"]] == [entry["id"]]


def test_a_named_caregiver_with_a_phone(frontdesk: DeskSession) -> None:
    gran = customer(frontdesk, "Alhaja Kudirat Bello", "08021112222")
    rel = frontdesk.call(
        "addRelationship",
        {
            "customerId": gran,
            "name": " Musa\u200b Bello ",
            "phone": "0803 555 6666",
            "kind": "caregiver",
            "canCollect": True,
            "consentMethod": "written",
        },
    )["relationshipId"]
    (row,) = _view(frontdesk, gran)["relationships"]
    assert row == {
        **row,
        "relationshipId": rel,
        "customerId": None,
        "name": "Musa Bello",
        "phone": "+2348035556666",
        "kind": "caregiver",
        "direction": "own",
    }


def test_errors(frontdesk: DeskSession, admin: DeskSession) -> None:
    a = customer(frontdesk, "Chidi Okafor", "08030000001")
    b = customer(frontdesk, "Ngozi Okafor", "08030000002")
    base = {"customerId": a, "kind": "spouse", "consentMethod": "verbal"}
    cases = [
        ({**base}, "VALIDATION_ERROR", "name"),
        ({**base, "name": "Ngozi Okafor"}, "VALIDATION_ERROR", "phone"),
        ({**base, "name": "Ngozi", "phone": "0801"}, "VALIDATION_ERROR", "phone"),
        ({**base, "relatedCustomerId": b, "name": "x"}, "VALIDATION_ERROR", "relatedCustomerId"),
        ({**base, "relatedCustomerId": a}, "VALIDATION_ERROR", "relatedCustomerId"),
        ({**base, "relatedCustomerId": b, "kind": "cousin"}, "VALIDATION_ERROR", "kind"),
        (
            {**base, "relatedCustomerId": b, "consentMethod": "telepathy"},
            "VALIDATION_ERROR",
            "consentMethod",
        ),
        ({**base, "relatedCustomerId": b, "canCollect": "yes"}, "VALIDATION_ERROR", "canCollect"),
        ({**base, "relatedCustomerId": "CUST-999"}, "NOT_FOUND", "relatedCustomerId"),
        ({**base, "customerId": "CUST-999", "relatedCustomerId": b}, "NOT_FOUND", "customerId"),
    ]
    for params, code, field in cases:
        error = refused(frontdesk, "addRelationship", params)
        assert (error.code, error.field) == (code, field), params
    frontdesk.call("addRelationship", {**base, "relatedCustomerId": b})
    error = refused(frontdesk, "addRelationship", {**base, "relatedCustomerId": b})
    assert error.code == "DUPLICATE"
    admin.call("archiveCustomer", {"customerId": b})
    c = customer(frontdesk, "Emeka Okafor", "08030000003")
    error = refused(frontdesk, "addRelationship", {**base, "customerId": c, "relatedCustomerId": b})
    assert (error.code, error.field) == ("ARCHIVED", "relatedCustomerId")
    error = refused(frontdesk, "addRelationship", {**base, "customerId": b, "relatedCustomerId": c})
    assert error.code == "ARCHIVED"


def test_remove_with_a_reason(frontdesk: DeskSession, admin: DeskSession) -> None:
    a = customer(frontdesk, "Bisi Lawal", "08030000011")
    rel = frontdesk.call(
        "addRelationship",
        {
            "customerId": a,
            "name": "Kunle Lawal",
            "phone": "08030000012",
            "kind": "agent",
            "consentMethod": "form",
        },
    )["relationshipId"]
    for params, code, field in [
        ({"relationshipId": rel}, "VALIDATION_ERROR", "reason"),
        ({"relationshipId": rel, "reason": "  "}, "VALIDATION_ERROR", "reason"),
        ({"relationshipId": "CUST-1", "reason": "x"}, "VALIDATION_ERROR", "relationshipId"),
        ({"relationshipId": "REL-999", "reason": "x"}, "NOT_FOUND", "relationshipId"),
    ]:
        error = refused(frontdesk, "removeRelationship", params)
        assert (error.code, error.field) == (code, field)
    assert frontdesk.call(
        "removeRelationship", {"relationshipId": rel, "reason": "Customer asked"}
    ) == {"success": True}
    assert _view(frontdesk, a)["relationships"] == []
    entry = last_entry(admin, "relationship")
    assert entry["detail"] == {
        **entry["detail"],
        "event": "remove",
        "relationshipId": rel,
        "reason": "Customer asked",
    }
    error = refused(frontdesk, "removeRelationship", {"relationshipId": rel, "reason": "x"})
    assert error.code == "NOT_FOUND"


def test_the_run_sheet_names_who_may_collect(admin: DeskSession) -> None:
    plan = admin.call(
        "addPlan",
        {
            "name": "Asthma Care",
            "medications": ["Salbutamol"],
            "frequency": "monthly",
            "price": 8000,
        },
    )["planId"]
    gran = customer(admin, "Mama Ronke", "08035550001")
    admin.call("addCustomerPlan", {"customerId": gran, "planId": plan})
    admin.call(
        "addRelationship",
        {
            "customerId": gran,
            "name": "Bayo Ronke",
            "phone": "08035550002",
            "kind": "child",
            "canCollect": True,
            "consentMethod": "verbal",
        },
    )
    admin.call(
        "addRelationship",
        {
            "customerId": gran,
            "name": "Dele Ronke",
            "phone": "08035550003",
            "kind": "child",
            "consentMethod": "verbal",
        },
    )
    (row,) = admin.call("getRefillRunSheet", {"days": 7})["deliveries"]
    assert row["customerId"] == gran and row["collectedBy"] == ["Bayo Ronke"]
