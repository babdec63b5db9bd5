"""The drug-class table and the allergy warnings it drives."""

from __future__ import annotations

from typing import Any

import pytest

from pharmdesk.controllers.allergy_check import (
    ALLERGIES_NOT_RECORDED,
    ALLERGY_CONFLICT,
    allergy_conflicts,
    default_drug_classes,
    match_key,
    not_recorded_warning,
    parse_drug_classes,
)
from pharmdesk.resources import load_json

REQUIRED_CLASSES = {
    "penicillins",
    "cephalosporins",
    "sulfonamides",
    "nsaids",
    "macrolides",
    "fluoroquinolones",
    "tetracyclines",
    "ace-inhibitors",
    "statins",
    "opioids",
}


def one(allergy: str, medication: str) -> dict[str, Any]:
    warnings = allergy_conflicts([allergy], [medication])
    assert len(warnings) == 1, warnings
    return warnings[0]


# -- the table ----------------------------------------------------------------------------
def test_the_table_documents_itself_and_has_the_common_classes() -> None:
    data = load_json("drug-classes.json")
    assert data["about"], "the JSON explains how it is read"
    ids = [entry["id"] for entry in data["classes"]]
    assert set(ids) >= REQUIRED_CLASSES
    assert len(ids) == len(set(ids))
    for entry in data["classes"]:
        assert set(entry) == {
            "id",
            "name",
            "memberNoun",
            "allergyNames",
            "members",
            "crossReactive",
        }
        assert entry["members"] and entry["allergyNames"]


def test_no_medication_name_belongs_to_two_classes() -> None:
    owner: dict[str, str] = {}
    for entry in load_json("drug-classes.json")["classes"]:
        for member in entry["members"]:
            key = match_key(member)
            assert owner.setdefault(key, entry["id"]) == entry["id"], key


def test_a_table_naming_an_unknown_cross_reactive_class_is_refused() -> None:
    bad = {
        "classes": [
            {
                "id": "a",
                "name": "A",
                "memberNoun": "an a",
                "allergyNames": ["a"],
                "members": ["adrug"],
                "crossReactive": [{"class": "nowhere", "note": "x"}],
            }
        ]
    }
    with pytest.raises(ValueError, match="nowhere"):
        parse_drug_classes(bad)


def test_every_cross_reactive_note_is_present() -> None:
    for drug_class in default_drug_classes().values():
        for cross in drug_class.cross_reactive:
            assert cross.note.strip()


# -- matching -----------------------------------------------------------------------------
def test_match_key_ignores_case_accents_and_punctuation() -> None:
    assert match_key("  Co-Amoxiclav 625MG ") == "co amoxiclav 625mg"
    assert match_key("PÉNICILLIN") == "penicillin"


def test_penicillin_allergy_and_amoxicillin_is_a_conflict_with_named_fields() -> None:
    warning = one("Penicillin", "Amoxicillin 500mg")
    assert warning["kind"] == ALLERGY_CONFLICT
    assert warning["allergy"] == "Penicillin"
    assert warning["medication"] == "Amoxicillin 500mg"
    assert warning["drugClass"] == "Penicillins"
    assert warning["crossReactive"] is False
    assert "Amoxicillin 500mg" in warning["message"]
    assert "Penicillin" in warning["message"]
    assert "pharmacist" in warning["message"]


@pytest.mark.parametrize(
    ("allergy", "medication", "drug_class"),
    [
        ("PÉNICILLINS", "amoxicillin 250 mg", "Penicillins"),  # accents and case
        ("penicillin (rash, 2019)", "Augmentin 625mg", "Penicillins"),  # brand name
        ("Penicillin", "Amoxicillin500mg", "Penicillins"),  # strength without a space
        ("Penicillin", "Phenoxymethylpenicillin 250mg", "Penicillins"),
        ("Amoxicillin", "Ampicillin 500mg", "Penicillins"),  # one member: the whole class
        ("Sulfa drugs", "Co-trimoxazole 960mg", "Sulfonamide antibiotics"),
        ("Sulpha", "Sulfadoxine-Pyrimethamine 500/25mg (IPTp)", "Sulfonamide antibiotics"),
        ("Aspirin", "Ibuprofen 400mg", "NSAIDs"),
        ("NSAIDs", "Aspirin 75mg", "NSAIDs"),
        ("Erythromycin", "Azithromycin 500mg", "Macrolides"),
        ("Quinolones", "Ciprofloxacin 500mg", "Fluoroquinolones"),
        ("Tetracyclines", "Doxycycline 100mg", "Tetracyclines"),
        ("ACE inhibitors (cough)", "Lisinopril 10mg", "ACE inhibitors"),
        ("Statins", "Atorvastatin 20mg", "Statins"),
        ("Codeine", "Tramadol 50mg", "Opioids"),
        ("Carbamazepine", "Phenytoin 100mg", "Aromatic anticonvulsants"),
    ],
)
def test_class_conflicts(allergy: str, medication: str, drug_class: str) -> None:
    warning = one(allergy, medication)
    assert (warning["drugClass"], warning["crossReactive"]) == (drug_class, False)


def test_penicillin_allergy_and_a_cephalosporin_is_a_cross_reactive_caution() -> None:
    warning = one("Penicillin", "Cefalexin 500mg")
    assert warning["kind"] == ALLERGY_CONFLICT
    assert warning["drugClass"] == "Cephalosporins"
    assert warning["crossReactive"] is True
    assert warning["message"].startswith("Caution:")
    assert "cross" in warning["message"].lower() or "react" in warning["message"].lower()


def test_an_allergy_to_a_drug_outside_the_table_still_matches_by_name() -> None:
    warning = one("Metformin", "Metformin 500mg")
    assert warning["drugClass"] is None
    assert warning["crossReactive"] is False


@pytest.mark.parametrize(
    ("allergy", "medication"),
    [
        ("Peanuts", "Amlodipine 5mg"),
        ("Sulpha", "Ferrous sulphate 200mg"),  # 'sulpha' is not the word 'sulphate'
        ("Penicillin", "Azithromycin 500mg"),
        ("Aspirin", "Paracetamol 500mg"),
        ("Statins", "Nystatin cream"),  # 'statin' inside another word
        ("Zn", "Zinc 20mg"),  # too short to match by name alone
        ("Codeine", "Folic acid 5mg"),
    ],
)
def test_unrelated_pairs_give_no_warning(allergy: str, medication: str) -> None:
    assert allergy_conflicts([allergy], [medication]) == []


def test_one_warning_per_allergy_and_medication_pair_in_list_order() -> None:
    warnings = allergy_conflicts(
        ["Penicillin", "Aspirin"],
        ["Amoxicillin 500mg", "Aspirin 75mg", "Cefuroxime 250mg", "Amlodipine 5mg"],
    )
    pairs = [(w["allergy"], w["medication"], w["crossReactive"]) for w in warnings]
    assert pairs == [
        ("Penicillin", "Amoxicillin 500mg", False),
        ("Penicillin", "Cefuroxime 250mg", True),
        ("Aspirin", "Aspirin 75mg", False),
    ]


def test_catalog_plans_flag_the_expected_allergies() -> None:
    catalog = {plan["name"]: plan["medications"] for plan in load_json("plan-catalog.json")}
    flagged = allergy_conflicts(["Penicillin"], catalog["Sickle Cell Care"])
    assert [w["medication"] for w in flagged] == ["Phenoxymethylpenicillin 250mg"]
    flagged = allergy_conflicts(["Sulfa"], catalog["HIV ART Quarterly Refill"])
    assert [w["medication"] for w in flagged] == ["Co-trimoxazole 960mg"]
    assert allergy_conflicts(["Penicillin"], catalog["Hypertension Care"]) == []


def test_not_recorded_warning_shape() -> None:
    assert not_recorded_warning() == {
        "kind": ALLERGIES_NOT_RECORDED,
        "message": "Allergies have not been asked yet.",
    }
