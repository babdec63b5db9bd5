"""API.md v3 "Text that reaches a record" through the operations: nothing invisible hides
an allergy or a duplicate, look-alike letters are refused, controls are never stored; and
rows stored before these rules (older databases) are seen through at compare time."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import DUPLICATE, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import Customer, CustomerAllergy, Staff, SubscriptionEvent
from tests.unit.test_text_rules import INVISIBLES

# Letters that look Latin but are not (test data, not a product table).
LOOK_ALIKES = {
    "a": ["\u0430", "\u03b1"],
    "c": ["\u0441", "\u03f2"],
    "e": ["\u0435"],
    "i": ["\u0456", "\u03b9"],
    "o": ["\u043e", "\u03bf", "\u0585"],
    "p": ["\u0440", "\u03c1"],
    "n": ["\u0578"],
}
HYPOTHESIS = settings(
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_phones = itertools.count(2_000_000)


def refused(desk: DeskSession, name: str, params: Any) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def new_customer(desk: DeskSession, name: str = "Bola Adeyemi", **extra: Any) -> str:
    params = {"name": name, "phone": f"0803{next(_phones):07d}", **extra}
    return str(desk.call("addProviderCustomer", params)["customerId"])


def new_plan(desk: DeskSession, medications: list[str], name: str | None = None) -> str:
    params = {
        "name": name or f"Antibiotic course {next(_phones)}",
        "medications": medications,
        "frequency": "monthly",
        "price": 5000,
    }
    return str(desk.call("addPlan", params)["planId"])


def kinds(answer: dict[str, Any]) -> list[str]:
    return [w["kind"] for w in answer["warnings"]]


@pytest.fixture
def amoxicillin(admin: DeskSession) -> str:
    return new_plan(admin, ["Amoxicillin 500mg"], "Chest Infection Course")


# -- the allergy check ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "allergy", ["Peni\u200bcillin", "Penicil\u00adlin", "\ufeffPenicillin\u202e"]
)
def test_an_invisible_character_in_an_allergy_still_sends_the_plan_for_review(
    admin: DeskSession, frontdesk: DeskSession, amoxicillin: str, allergy: str
) -> None:
    customer = new_customer(frontdesk, allergies=[allergy])
    details = frontdesk.call("viewProviderCustomerDetails", {"customerId": customer})
    assert details["allergies"] == ["Penicillin"]
    answer = frontdesk.call("addCustomerPlan", {"customerId": customer, "planId": amoxicillin})
    assert answer["status"] == "pendingReview"
    assert kinds(answer) == ["allergyConflict"]


def test_an_invisible_character_in_a_medication_still_names_its_drug_class(
    admin: DeskSession, frontdesk: DeskSession
) -> None:
    plan = new_plan(admin, ["Amoxi\u200bcil\u00adlin 500mg"])
    assert admin.call("listPlans", {})["plans"][-1]["medications"] == ["Amoxicillin 500mg"]
    customer = new_customer(frontdesk, allergies=["Penicillin"])
    answer = frontdesk.call("checkPlanConflicts", {"customerId": customer, "planId": plan})
    assert [w["drugClass"] for w in answer["warnings"]] == ["Penicillins"]


def test_look_alike_letters_in_an_allergy_or_a_medication_are_refused(
    admin: DeskSession, frontdesk: DeskSession
) -> None:
    error = refused(
        frontdesk,
        "addProviderCustomer",
        {"name": "Bola Adeyemi", "phone": "08031110000", "allergies": ["Pen\u0456cillin"]},
    )
    assert (error.code, error.field) == (VALIDATION_ERROR, "allergies")
    assert "'\u0456' (Cyrillic, U+0456) is mixed into the Latin word" in error.message
    error = refused(
        admin,
        "addPlan",
        {"name": "Course", "medications": ["Amox\u0456cillin"], "frequency": "monthly", "price": 1},
    )
    assert (error.code, error.field) == (VALIDATION_ERROR, "medications")
    error = refused(
        admin,
        "addPlan",
        {"name": "C\u043eurse", "medications": ["Amoxicillin"], "frequency": "monthly", "price": 1},
    )
    assert (error.code, error.field) == (VALIDATION_ERROR, "name")
    assert admin.call("fetchCustomers", {})["total"] == 0


def _stored_before_the_rules(desk: DeskSession, customer: str, **values: Any) -> None:
    """Write values as an older PharmDesk stored them: as typed, keys made without the
    rules (no migration cleans them)."""
    number = int(customer.split("-")[1])
    with desk.db.transaction() as tx:
        if "name" in values:
            tx.execute(
                update(Customer)
                .where(Customer.id == number)
                .values(name=values["name"], name_key=values["name"].casefold())
            )
        if "allergy" in values:
            tx.execute(
                insert(CustomerAllergy).values(
                    customer_id=number,
                    position=0,
                    label=values["allergy"],
                    label_key=values["allergy"].casefold(),
                )
            )
            tx.execute(
                update(Customer).where(Customer.id == number).values(allergy_status="recorded")
            )


def test_rows_stored_with_invisible_characters_before_the_rules_still_match(
    admin: DeskSession, frontdesk: DeskSession, amoxicillin: str
) -> None:
    customer = new_customer(frontdesk, "Placeholder Name", phone="08035550000")
    _stored_before_the_rules(frontdesk, customer, name="John Doe\u200b", allergy="Peni\u200bcillin")
    answer = frontdesk.call("addCustomerPlan", {"customerId": customer, "planId": amoxicillin})
    assert (answer["status"], kinds(answer)) == ("pendingReview", ["allergyConflict"])
    error = refused(frontdesk, "addProviderCustomer", {"name": "John Doe", "phone": "08035550000"})
    assert (error.code, error.field) == (DUPLICATE, "name")
    rows = [
        {"row": 2, "customer": {"name": "JOHN DOE", "phone": "+2348035550000"}},
    ]
    checked = admin.call("checkImportRows", {"importId": "IMP-old", "rows": rows})
    assert checked["results"][0]["outcome"] == "duplicate"
    written = admin.call("importCustomers", {"importId": "IMP-old", "rows": rows})
    assert written["results"][0]["outcome"] == "duplicate"


# -- duplicates and what is stored -----------------------------------------------------------
def test_a_name_with_a_zero_width_space_and_the_same_phone_is_a_duplicate(
    frontdesk: DeskSession,
) -> None:
    first = new_customer(frontdesk, "John Doe", phone="08039990000")
    for name in ("John Doe\u200b", "\u2066John\u00a0Doe\u2069", "Jo\u00adhn Doe"):
        error = refused(frontdesk, "addProviderCustomer", {"name": name, "phone": "08039990000"})
        assert (error.code, error.field) == (DUPLICATE, "name")
        assert first in error.message
    other = new_customer(frontdesk, "Jane Doe", phone="08039990000")  # a household
    error = refused(
        frontdesk, "updateProviderCustomer", {"customerId": other, "name": "John\u200b Doe"}
    )
    assert error.code == DUPLICATE


def test_likely_duplicates_see_through_invisible_characters(frontdesk: DeskSession) -> None:
    new_customer(frontdesk, "Chinedu Okafor", dateOfBirth="1980-02-03")
    found = frontdesk.call(
        "findLikelyDuplicates", {"name": "Chi\u200bnedu\u202e Okafor", "dateOfBirth": "1980-02-03"}
    )
    assert [c["reason"] for c in found["customers"]] == ["similarNameSameBirthDate"]


def test_controls_and_direction_overrides_are_never_stored(frontdesk: DeskSession) -> None:
    customer = new_customer(
        frontdesk,
        "Ada\x00 Obi\u202e",
        email="\u200bada@example.com",
        address="12\x1b[2J Admiralty\u00a0Way,\r\n Lekki",
        notes="Gate code 1234\x07\u202e\r\nCall first\u200b",
        allergies=["Sul\u200dfa\x00"],
        medicalConditions=["Hyper\u2060tension"],
    )
    d = frontdesk.call("viewProviderCustomerDetails", {"customerId": customer})
    assert (d["name"], d["email"], d["address"]) == (
        "Ada Obi",
        "ada@example.com",
        "12[2J Admiralty Way, Lekki",
    )
    assert d["notes"] == "Gate code 1234\nCall first"
    assert (d["allergies"], d["medicalConditions"]) == (["Sulfa"], ["Hypertension"])
    frontdesk.call(
        "updateProviderCustomer",
        {"customerId": customer, "address": "\u202eyaW ytlaridA", "notes": "\x00"},
    )
    d = frontdesk.call("viewProviderCustomerDetails", {"customerId": customer})
    assert (d["address"], d["notes"]) == ("yaW ytlaridA", None)


def test_reasons_and_staff_names_are_normalised(
    admin: DeskSession, pharmacist: DeskSession, frontdesk: DeskSession, amoxicillin: str
) -> None:
    customer = new_customer(frontdesk, allergies=["Penicillin"])
    sub = frontdesk.call("addCustomerPlan", {"customerId": customer, "planId": amoxicillin})
    pharmacist.call(
        "reviewCustomerPlan",
        {
            "subscriptionId": sub["subscriptionId"],
            "approve": False,
            "reason": "Allergic\u202e to penicillin;\x00 call the doctor",
        },
    )
    admin.call(
        "addStaff",
        {
            "username": "tunde",
            "fullName": "Tunde\u200b  Bakare\x1b",
            "role": "frontdesk",
            "password": "tunde likes long walks 2026",
        },
    )
    with admin.db.transaction() as tx:
        reasons = tx.scalars(select(SubscriptionEvent.reason)).all()
        full_name = tx.scalar(select(Staff.full_name).where(Staff.username == "tunde"))
    assert "Allergic to penicillin; call the doctor" in reasons
    assert full_name == "Tunde Bakare"


# -- Hypothesis: random invisible characters and look-alikes ---------------------------------
def _insert(word: str, inserts: list[tuple[int, str]]) -> str:
    chars = list(word)
    for position, ch in inserts:
        chars.insert(position % (len(chars) + 1), ch)
    return "".join(chars)


def _look_alike(word: str, data: st.DataObject) -> str:
    positions = [i for i, ch in enumerate(word) if ch in LOOK_ALIKES]
    i = data.draw(st.sampled_from(positions))
    return word[:i] + data.draw(st.sampled_from(LOOK_ALIKES[word[i]])) + word[i + 1 :]


@HYPOTHESIS
@given(data=st.data(), inserts=st.lists(st.tuples(st.integers(0, 30), INVISIBLES), max_size=4))
def test_random_invisibles_and_look_alikes_never_hide_an_allergy(
    frontdesk: DeskSession,
    amoxicillin: str,
    data: st.DataObject,
    inserts: list[tuple[int, str]],
) -> None:
    allergy = _insert("Penicillin", inserts)
    if data.draw(st.booleans()):
        allergy = _look_alike(allergy, data)
    try:
        customer = new_customer(frontdesk, allergies=[allergy])
    except PharmDeskError as error:  # refused, naming the look-alike letter
        assert (error.code, error.field) == (VALIDATION_ERROR, "allergies")
        assert "is mixed into the Latin word" in error.message
        return
    answer = frontdesk.call("checkPlanConflicts", {"customerId": customer, "planId": amoxicillin})
    assert kinds(answer) == ["allergyConflict"]


@HYPOTHESIS
@given(data=st.data(), inserts=st.lists(st.tuples(st.integers(0, 30), INVISIBLES), max_size=4))
def test_random_invisibles_and_look_alikes_never_hide_a_medications_drug_class(
    admin: DeskSession,
    data: st.DataObject,
    inserts: list[tuple[int, str]],
) -> None:
    medication = _insert("Amoxicillin 500mg", inserts)
    if data.draw(st.booleans()):
        medication = _look_alike(medication, data)
    try:
        plan = new_plan(admin, [medication])
    except PharmDeskError as error:
        assert (error.code, error.field) == (VALIDATION_ERROR, "medications")
        return
    customer = new_customer(admin, allergies=["Penicillin"])
    answer = admin.call("checkPlanConflicts", {"customerId": customer, "planId": plan})
    assert [w["drugClass"] for w in answer["warnings"]] == ["Penicillins"]


@HYPOTHESIS
@given(data=st.data(), inserts=st.lists(st.tuples(st.integers(0, 30), INVISIBLES), max_size=4))
def test_random_invisibles_and_look_alikes_never_hide_a_duplicate(
    frontdesk: DeskSession,
    data: st.DataObject,
    inserts: list[tuple[int, str]],
) -> None:
    phone = f"0803{next(_phones):07d}"
    frontdesk.call("addProviderCustomer", {"name": "John Doe", "phone": phone})
    name = _insert("John Doe", inserts)
    if data.draw(st.booleans()):
        name = _look_alike(name, data)
    error = refused(frontdesk, "addProviderCustomer", {"name": name, "phone": phone})
    assert error.code in (DUPLICATE, VALIDATION_ERROR)
    assert error.field == "name"
    likely = frontdesk.call("findLikelyDuplicates", {"name": "John Doe", "phone": phone})
    assert len(likely["customers"]) == 1  # and nothing was created
