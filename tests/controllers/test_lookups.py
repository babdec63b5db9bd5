"""findLikelyDuplicates, listRecordedLabels and recordPrint."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pharmdesk.controllers.lookups import names_look_alike
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.store.schema import AuditEntry


def add(desk: DeskSession, name: str, phone: str, **extra: object) -> str:
    return desk.call("addProviderCustomer", {"name": name, "phone": phone, **extra})["customerId"]


def test_same_phone_and_similar_name_with_same_birth_date(admin: DeskSession) -> None:
    family = add(admin, "Bisi Okafor", "08031112222")
    twin = add(admin, "Okafor Chinedu", "07035550000", dateOfBirth="1990-05-01")
    add(admin, "Chinedu Okafor", "07035550001", dateOfBirth="1991-05-01")  # other birth date
    add(admin, "Amaka Obi", "07035550002", dateOfBirth="1990-05-01")  # other name
    answer = admin.call(
        "findLikelyDuplicates",
        {"name": "Chinedu Okafor", "phone": "0803 111 2222", "dateOfBirth": "1990-05-01"},
    )
    assert [(c["id"], c["reason"]) for c in answer["customers"]] == [
        (family, "samePhone"),
        (twin, "similarNameSameBirthDate"),
    ]


def test_exclude_and_archived(admin: DeskSession) -> None:
    first = add(admin, "Bisi Okafor", "08031112222")
    second = add(admin, "Tobi Okafor", "08031112222")
    admin.call("archiveCustomer", {"customerId": second})
    answer = admin.call(
        "findLikelyDuplicates",
        {"name": "Bisi Okafor", "phone": "08031112222", "excludeCustomerId": first},
    )
    assert answer["customers"] == []


def test_duplicate_check_is_audited_and_validated(admin: DeskSession) -> None:
    admin.call("findLikelyDuplicates", {"name": "Bisi Okafor"})
    with admin.db.transaction() as tx:
        entry = tx.scalars(select(AuditEntry).where(AuditEntry.action == "list")).one()
    assert json.loads(entry.detail)["purpose"] == "duplicateCheck"
    with pytest.raises(PharmDeskError) as info:
        admin.call("findLikelyDuplicates", {"name": "Bisi", "phone": "123"})
    assert info.value.field == "phone"


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("Chinedu Okafor", "Okafor Chinedu", True),
        ("Chinedu Okafor", "Chinedum Okafor", True),
        ("Adéwálé Ògún", "Adewale Ogun", True),
        ("Chinedu Okafor", "Amaka Obi", False),
    ],
)
def test_names_look_alike(a: str, b: str, alike: bool) -> None:
    assert names_look_alike(a, b) is alike


def test_recorded_labels_most_used_first(admin: DeskSession) -> None:
    add(admin, "A One", "08030000001", medicalConditions=["Hypertension", "Asthma"])
    add(admin, "A Two", "08030000002", medicalConditions=["hypertension"])
    add(admin, "A Three", "08030000003", allergies=["Penicillin"])
    assert admin.call("listRecordedLabels", {"kind": "conditions"})["labels"] == [
        "Hypertension",
        "Asthma",
    ]
    assert admin.call("listRecordedLabels", {"kind": "allergies"})["labels"] == ["Penicillin"]


def test_record_print(frontdesk: DeskSession, admin: DeskSession) -> None:
    cid = add(admin, "A One", "08030000001")
    assert frontdesk.call("recordPrint", {"customerId": cid, "document": "profilePdf"}) == {
        "success": True
    }
    with admin.db.transaction() as tx:
        entry = tx.scalars(select(AuditEntry).where(AuditEntry.action == "print")).one()
    assert (entry.user, entry.entity_id) == ("femi", cid)
    with pytest.raises(PharmDeskError) as info:
        frontdesk.call("recordPrint", {"customerId": "CUST-99", "document": "profile"})
    assert info.value.code == "NOT_FOUND"
