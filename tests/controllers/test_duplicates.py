"""findDuplicateCustomers and scanDuplicateCustomers: which pairs, in what order, for whom."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from pharmdesk.controllers.duplicate_rules import compare_names, phone_key
from pharmdesk.controllers.session import DeskSession
from pharmdesk.controllers.validation import search_key
from pharmdesk.errors import PERMISSION_DENIED, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry, Customer
from tests.conftest import inspection


def add(desk: DeskSession, name: str, phone: str, birth: str | None = None) -> str:
    params: dict[str, Any] = {"name": name, "phone": phone}
    if birth is not None:
        params["dateOfBirth"] = birth
    return str(desk.call("addProviderCustomer", params)["customerId"])


def pairs_of(desk: DeskSession, **params: Any) -> list[dict[str, Any]]:
    return list(desk.call("findDuplicateCustomers", params)["pairs"])


def ids(pairs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(p["a"]["id"], p["b"]["id"]) for p in pairs]


def test_finds_each_kind_of_near_duplicate(admin: DeskSession, pharmacist: DeskSession):
    typo_a = add(admin, "Chinedu Okafor", "0803 123 4567", "1980-03-02")
    typo_b = add(admin, "Chinedu Okafro", "+234 803 123 4567")
    swap_a = add(admin, "Funmilayo Adeyemi", "08051112222", "1975-06-30")
    swap_b = add(admin, "ADEYEMI Funmilayo", "08069990000", "1975-06-30")
    middle_a = add(admin, "Ibrahim Musa Bello", "07031234000", "1990-01-15")
    middle_b = add(admin, "Ibrahim Bello", "2347031234000", "1990-01-15")
    twin_a = add(admin, "Ngozi Eze", "08101112233", "1988-12-01")
    twin_b = add(admin, "Ngozi Eze", "09031112244", "1988-12-01")

    found = {(p["a"]["id"], p["b"]["id"]): p for p in pairs_of(pharmacist, limit=100)}

    assert set(found) == {
        (typo_a, typo_b),
        (swap_a, swap_b),
        (middle_a, middle_b),
        (twin_a, twin_b),
    }
    assert found[(typo_a, typo_b)]["reasons"] == ["samePhone", "similarName"]
    assert found[(swap_a, swap_b)]["reasons"] == ["sameBirthDate", "swappedNames"]
    assert found[(middle_a, middle_b)]["reasons"] == [
        "samePhone",
        "sameBirthDate",
        "missingMiddleName",
    ]
    assert found[(twin_a, twin_b)]["reasons"] == ["sameBirthDate", "sameName"]
    side = found[(typo_a, typo_b)]["a"]
    assert side["name"] == "Chinedu Okafor"
    assert side["phone"] == "+2348031234567"
    assert side["dateOfBirth"] == "1980-03-02"
    assert found[(typo_a, typo_b)]["b"]["dateOfBirth"] is None


def test_relatives_sharing_a_phone_are_not_listed(admin: DeskSession):
    add(admin, "Ngozi Okafor", "08031234567", "1960-02-02")
    add(admin, "Emeka Okafor", "0803 123 4567", "1985-07-07")
    add(admin, "Chiamaka Okafor", "+2348031234567")
    # One name and one phone but two recorded birth dates: a parent and a child, maybe.
    add(admin, "Tunde Bakare", "08051234567", "1950-01-01")
    add(admin, "Tunde Ola Bakare", "08051234567", "1982-05-05")
    assert pairs_of(admin) == []


def test_close_names_need_a_shared_phone_or_birth_date(admin: DeskSession):
    add(admin, "Aisha Bello", "08031234567", "1970-01-01")
    add(admin, "Aisha Belo", "08051234567", "1971-01-01")
    add(admin, "Aisha Bello", "08061234567")  # the same name, nothing else shared
    assert pairs_of(admin) == []


def test_a_shared_birth_date_alone_is_not_enough(admin: DeskSession):
    add(admin, "Aisha Bello", "08031234567", "1970-01-01")
    add(admin, "Kunle Adebayo", "08051234567", "1970-01-01")
    assert pairs_of(admin) == []


def test_the_order_is_score_then_ids_and_pages_neither_repeat_nor_skip(admin: DeskSession):
    for n in range(7):
        phone = f"0803123{n:04d}"
        add(admin, f"Kemi Ojo{'la' * n}", phone, "1991-01-01")
        add(admin, f"Kemi Ojo{'la' * n}", phone.replace("0803", "0805"), "1991-01-01")
        add(admin, f"Kemi Ojo{'la' * n}k", phone)
    whole = admin.call("findDuplicateCustomers", {"limit": 100})
    keys = [(-p["score"], int(p["a"]["id"][5:]), int(p["b"]["id"][5:])) for p in whole["pairs"]]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) == whole["total"]
    paged: list[tuple[str, str]] = []
    page = 1
    while True:
        answer = admin.call("findDuplicateCustomers", {"page": page, "limit": 4})
        assert answer["total"] == whole["total"] and answer["page"] == page
        paged += ids(answer["pairs"])
        if not answer["hasMore"]:
            break
        page += 1
    assert paged == ids(whole["pairs"])
    beyond = admin.call("findDuplicateCustomers", {"page": page + 1, "limit": 4})
    assert beyond["pairs"] == [] and beyond["hasMore"] is False


def test_a_change_to_a_customer_is_seen_by_the_next_call(admin: DeskSession):
    a = add(admin, "Chinedu Okafor", "08031234567")
    b = add(admin, "Chinedu Okafro", "08031234567")
    assert ids(pairs_of(admin)) == [(a, b)]
    admin.call("updateProviderCustomer", {"customerId": b, "name": "Obinna Okafor"})
    assert pairs_of(admin) == []
    admin.call("updateProviderCustomer", {"customerId": b, "name": "Chinedu Emeka Okafor"})
    assert ids(pairs_of(admin)) == [(a, b)]
    admin.call("archiveCustomer", {"customerId": a})
    assert pairs_of(admin) == []


def test_a_page_is_audited_with_the_customers_shown(admin: DeskSession, pharmacist: DeskSession):
    a = add(admin, "Chinedu Okafor", "08031234567")
    b = add(admin, "Chinedu Okafro", "08031234567")
    pharmacist.call("findDuplicateCustomers", {"page": 1, "limit": 5})
    with inspection(pharmacist) as tx:
        entry = tx.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert (entry.user, entry.action, entry.outcome) == ("ngozi", "list", "success")
        detail = json.loads(entry.detail) if isinstance(entry.detail, str) else entry.detail
    assert detail["operation"] == "findDuplicateCustomers"
    assert detail["customerIds"] == [a, b]
    assert (detail["page"], detail["limit"], detail["shown"]) == (1, 5, 1)
    log = admin.call("fetchAuditLog", {"customerId": b, "action": "list"})
    assert any(e["detail"].get("operation") == "findDuplicateCustomers" for e in log["entries"])


def test_front_desk_is_refused_and_the_refusal_audited(frontdesk: DeskSession):
    with pytest.raises(PharmDeskError) as caught:
        frontdesk.call("findDuplicateCustomers", {})
    assert caught.value.code == PERMISSION_DENIED
    with pytest.raises(PharmDeskError) as job_refused:
        frontdesk.prepare_job("scanDuplicateCustomers", {})
    assert job_refused.value.code == PERMISSION_DENIED
    with inspection(frontdesk) as tx:
        denied = tx.scalars(select(AuditEntry).where(AuditEntry.action == "denied")).all()
    assert len(denied) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 101}, "limit"), ({"page": 0}, "page"), ({"page": "2"}, "page"), ({"x": 1}, "x")],
)
def test_bad_paging_is_a_validation_error(admin: DeskSession, params: dict[str, Any], field: str):
    with pytest.raises(PharmDeskError) as caught:
        admin.call("findDuplicateCustomers", params)
    assert (caught.value.code, caught.value.field) == (VALIDATION_ERROR, field)


def test_the_job_reports_progress_and_the_operation_reuses_its_list(
    admin: DeskSession, pharmacist: DeskSession
):
    for n in range(30):
        add(admin, f"Bisi Ade{'x' * (n % 3)}mola {n}", f"0803123{n:04d}", "1990-01-01")
    add(admin, "Bisi Ademla 3", "08031230003")
    seen: list[tuple[str, int, int]] = []
    answer = pharmacist.run_job("scanDuplicateCustomers", {}, lambda *a: seen.append(a))
    stages = [stage for stage, _done, _total in seen]
    assert stages[0] == "Reading customers" and stages[-1] == "Comparing names"
    assert seen[-1][1] == seen[-1][2]
    reading = [(d, t) for s, d, t in seen if s == "Reading customers"]
    assert reading[-1] == (31, 31)
    assert answer["total"] == pharmacist.call("findDuplicateCustomers", {})["total"] >= 1


def test_a_stored_phone_in_another_form_is_compared_by_its_digits(admin: DeskSession):
    """A record written before phones were stored in E.164 (an old import)."""
    a = add(admin, "Chinedu Okafor", "08031234567")
    b = add(admin, "Chinedu Emeka Okafor", "08059999999")
    with inspection(admin) as tx:
        row = tx.get(Customer, int(b[5:]))
        assert row is not None
        row.phone = "0803 123 4567"
        row.version += 1
    assert ids(pairs_of(admin)) == [(a, b)]


@pytest.mark.parametrize(
    "form", ["08031234567", "0803 123 4567", "+234 803 123 4567", "2348031234567", "+2348031234567"]
)
def test_phone_forms_share_one_key(form: str):
    assert phone_key(form, "NG") == "2348031234567"


@pytest.mark.parametrize(
    ("a", "b", "reasons"),
    [
        ("Chinedu Okafor", "chinedu  OKAFOR", ["sameName"]),
        ("Adéwálé Ògúnlẹ́yẹ", "Adewale Ogunleye", ["sameName"]),
        ("Okafor Chinedu", "Chinedu Okafor", ["swappedNames"]),
        ("Chinedu E. Okafor", "Chinedu Emeka Okafor", ["similarName"]),
        ("Chinedu Okafor", "Chinedu Emeka Okafor", ["missingMiddleName"]),
        ("Okafor Chinedu", "Chinedu Emeka Okafor", ["swappedNames", "missingMiddleName"]),
        ("Joy Agu", "Jooy Agu", ["similarName"]),
        ("Oluwaseun Ogunleye", "Oluasen Ogunleye", ["similarName"]),  # two slips, 9 letters
        ("Joy Agu", "Jy Ag", None),
        ("Chinedu Okafor", "Chinedu Okafor-Bello", None),  # two surnames, not a middle name
        ("Ngozi Okafor", "Emeka Okafor", None),
        ("Chinedu Okafor", "Chinedy Okafro", None),  # every word mistyped
        ("Oluwaseun Ogunleye", "Oluwasen Ogunlaye Tola", None),
    ],
)
def test_name_rules(a: str, b: str, reasons: list[str] | None):
    found = compare_names(search_key(a), search_key(b))
    assert (None if found is None else list(found.reasons)) == reasons


names = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9), min_size=2, max_size=4
)


@settings(deadline=None, max_examples=200)
@given(names, st.data())
def test_one_slip_or_a_swap_is_always_found_and_the_rule_is_symmetric(
    words: list[str], data: st.DataObject
):
    key = " ".join(words)
    at = data.draw(st.integers(0, len(words) - 1))
    word = words[at]
    where = data.draw(st.integers(1, len(word) - 1))
    slipped = [*words]
    slipped[at] = word[:where] + word[where:].replace(word[where], "", 1)  # one letter dropped
    other = " ".join(slipped)
    swapped = " ".join([words[-1], *words[:-1]])
    for variant in (other, swapped):
        found = compare_names(key, variant)
        assert found is not None
        back = compare_names(variant, key)
        assert back is not None and back.points == found.points


def test_a_placeholder_phone_or_birth_date_is_not_evidence(admin: DeskSession, monkeypatch):
    from pharmdesk.controllers import duplicates

    monkeypatch.setattr(duplicates, "PLACEHOLDER_GROUP", 3)
    duplicates.forget()
    for n in range(4):  # "unknown" typed as 1900-01-01 for walk-in customers
        add(admin, "Walk-in Customer", f"0803000000{n}", "1900-01-01")
    a = add(admin, "Chinedu Okafor", "08031234567", "1900-01-01")
    b = add(admin, "Chinedu Okafro", "08031234567", "1900-01-01")
    assert ids(pairs_of(admin, limit=100)) == [(a, b)]
    duplicates.forget()
