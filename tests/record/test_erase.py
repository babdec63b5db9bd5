"""eraseCustomer: personal data replaced, labels, notes, relationships and consents gone,
orders kept as amounts, audit details redacted with the chain still verifying, and no
trace of the erased values in the decrypted pages of the file (free pages and WAL
included). A phone's STOP outlives the erasure."""

from __future__ import annotations

from pharmdesk.controllers.session import DeskSession
from pharmdesk.paths import DatabaseFiles
from tests.record.helpers import customer, details_text, last_entry, refused
from tests.record.plaintext import found, plaintext

SECRETS = {
    "name": "Oluwaseyifunmi Adekunle-Bamidele",
    "address": "17 Ogunlana Drive, Surulere",
    "oldAddress": "3 Bode Thomas Street, Surulere",
    "email": "seyifunmi.bamidele@example.com",
    "notes": "Prefers the blue inhaler",
    "allergy": "Quetiapinexyl",
    "condition": "Sickle cell crisis history",
    "memberId": "HYG-55-667-889",
    "caregiver": "Babatunde Okeowo",
}
PHONE = "+2348039876543"
PHONE_FORMS = ["2348039876543", "08039876543"]
CAREGIVER_PHONE = "+2348051237788"


def _enter(admin: DeskSession) -> str:
    cid = customer(
        admin,
        SECRETS["name"],
        "0803 987 6543",
        address=SECRETS["oldAddress"],
        email=SECRETS["email"],
        notes=SECRETS["notes"],
        allergies=[SECRETS["allergy"]],
        medicalConditions=[SECRETS["condition"]],
        dateOfBirth="1981-07-19",
    )
    admin.call("updateProviderCustomer", {"customerId": cid, "address": SECRETS["address"]})
    admin.call("fetchCustomers", {"search": "seyifunmi"})
    admin.call("fetchCustomers", {"search": "9876543"})
    admin.call("viewProviderCustomerDetails", {"customerId": cid})
    admin.call(
        "setPayer",
        {
            "customerId": cid,
            "payer": "Hygeia HMO",
            "memberId": SECRETS["memberId"],
            "validUntil": "2099-01-01",
        },
    )
    admin.call(
        "addRelationship",
        {
            "customerId": cid,
            "name": SECRETS["caregiver"],
            "phone": CAREGIVER_PHONE,
            "kind": "caregiver",
            "canCollect": True,
            "consentMethod": "written",
        },
    )
    admin.call(
        "setConsent",
        {
            "customerId": cid,
            "purpose": "reminders",
            "channel": "sms",
            "granted": True,
            "method": "verbal",
            "note": SECRETS["notes"],
        },
    )
    admin.call("recordOrder", {"customerId": cid, "total": 8500, "date": "2026-03-01T09:00:00Z"})
    return cid


def _values() -> list[str]:
    return [*SECRETS.values(), *PHONE_FORMS, CAREGIVER_PHONE[1:], "oluwaseyifunmi", "1981-07-19"]


def test_erasure_leaves_no_trace_and_the_chain_verifies(
    admin: DeskSession, db_files: DatabaseFiles
) -> None:
    cid = _enter(admin)
    other = customer(admin, "Kemi Ade", "08030001111")
    admin.call(
        "addRelationship",
        {
            "customerId": other,
            "relatedCustomerId": cid,
            "kind": "spouse",
            "consentMethod": "verbal",
        },
    )
    on_file = db_files.server is None  # on a server, its disk's encryption is the at-rest part
    if on_file:  # the scan can see the values before the erasure (it reads real pages)
        assert len(found(plaintext(admin.key, db_files.db), _values())) == len(_values())

    answer = admin.call("eraseCustomer", {"customerId": cid, "reason": "Customer's request"})
    assert answer["success"] is True and answer["erasedIds"] == [cid]
    assert answer["auditRedacted"] >= 5 and answer["auditNotRedacted"] == 0

    view = admin.call("viewProviderCustomerDetails", {"customerId": cid})
    assert view["name"] == f"Erased customer {cid}" and view["erased"] is True
    assert view["archived"] is True
    for field in ("email", "address", "dateOfBirth", "notes", "payer"):
        assert view[field] is None, field
    assert view["phone"] == ""
    assert view["allergies"] == view["medicalConditions"] == []
    assert view["allergyStatus"] == "unknown"
    assert view["relationships"] == []
    assert all(not c["granted"] and c["recordedAt"] is None for c in view["consents"])
    assert view["stats"]["totalOrders"] == 1 and view["stats"]["totalSpent"] == 8500
    assert [o["total"] for o in view["recentOrders"]] == [8500]
    assert admin.call("viewProviderCustomerDetails", {"customerId": other})["relationships"] == []
    assert admin.call("fetchCustomers", {"search": "Erased"})["customers"] == []

    check = admin.call("verifyAuditLog", {})
    assert check["ok"] is True, check
    text = details_text(admin)
    assert found(text.encode(), _values()) == []
    entry = last_entry(admin, "erase")
    assert entry["entityId"] == cid and entry["detail"]["reason"] == "Customer's request"
    views = admin.call("fetchAuditLog", {"customerId": cid, "action": "update"})["entries"]
    assert views[0]["detail"]["redacted"][0]["reason"] == "erasure"
    assert views[0]["detail"]["changes"]["address"] == {"old": "[erased]", "new": "[erased]"}

    if on_file:  # the pages of the file, decrypted (free pages and the WAL too), hold none
        assert found(plaintext(admin.key, db_files.db), _values()) == []
        key = admin.key
        admin.close()
        assert found(plaintext(key, db_files.db), _values()) == []


def test_erase_errors(admin: DeskSession, pharmacist: DeskSession) -> None:
    cid = customer(admin, "Halima Musa", "08030002222")
    error = refused(pharmacist, "eraseCustomer", {"customerId": cid, "reason": "asked"})
    assert error.code == "PERMISSION_DENIED"
    for params, code, field in [
        ({"customerId": cid}, "VALIDATION_ERROR", "reason"),
        ({"customerId": "CUST-x", "reason": "asked"}, "VALIDATION_ERROR", "customerId"),
        ({"customerId": "CUST-999", "reason": "asked"}, "NOT_FOUND", "customerId"),
    ]:
        error = refused(admin, "eraseCustomer", params)
        assert (error.code, error.field) == (code, field)
    admin.call("eraseCustomer", {"customerId": cid, "reason": "asked"})
    error = refused(admin, "eraseCustomer", {"customerId": cid, "reason": "again"})
    assert error.code == "CONFLICT"
    assert refused(admin, "setPayer", {"customerId": cid, "payer": "cash"}).code == "ARCHIVED"


def test_a_merged_duplicate_is_erased_with_the_record_and_the_merge_cannot_be_undone(
    admin: DeskSession,
) -> None:
    keep = customer(admin, "Ibrahim Danjuma", "08030003333")
    dup = customer(admin, "Ibrahim Danjumah", "08030003334")
    merge = admin.call(
        "mergeCustomers",
        {
            "keepId": keep,
            "mergeId": dup,
            "fields": {"name": "keep", "phone": "keep"},
            "reason": "same man",
        },
    )["mergeId"]
    answer = admin.call("eraseCustomer", {"customerId": keep, "reason": "asked"})
    assert answer["erasedIds"] == [keep, dup]
    view = admin.call("viewProviderCustomerDetails", {"customerId": dup})
    assert view["name"] == f"Erased customer {dup}" and view["erased"] is True
    error = refused(admin, "undoMerge", {"mergeId": merge, "reason": "oops"})
    assert error.code == "CONFLICT" and "erased" in error.message
    assert "Danjuma" not in details_text(admin)


def test_stop_outlives_erasure(admin: DeskSession, frontdesk: DeskSession) -> None:
    cid = customer(frontdesk, "Grace Etim", "08030004444", marketingConsent=True)
    frontdesk.call("recordReply", {"phone": "08030004444", "text": "STOP", "channel": "sms"})
    admin.call("eraseCustomer", {"customerId": cid, "reason": "Customer's request"})
    error = refused(
        frontdesk,
        "addProviderCustomer",
        {"name": "Grace Etim", "phone": "+234 803 000 4444", "marketingConsent": True},
    )
    assert (error.code, error.field) == ("VALIDATION_ERROR", "marketingConsent")
    again = customer(frontdesk, "Grace Etim", "08030004444")
    error = refused(frontdesk, "setMarketingConsent", {"customerId": again, "consent": True})
    assert (error.code, error.field) == ("VALIDATION_ERROR", "consent")
    error = refused(
        frontdesk,
        "setConsent",
        {
            "customerId": again,
            "purpose": "marketing",
            "channel": "sms",
            "granted": True,
            "method": "verbal",
        },
    )
    assert error.code == "VALIDATION_ERROR" and "STOP" in error.message
