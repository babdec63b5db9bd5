"""Allergy warnings for a plan's medications, from the drug-class table in resources/.

Enrollment must not silently send a penicillin-allergic customer amoxicillin every
month. The check is a table lookup, not clinical judgement: it flags, a pharmacist
decides (``reviewCustomerPlan``). How the table is read is documented in
``resources/drug-classes.json`` itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from pharmdesk.controllers.validation import search_key
from pharmdesk.resources import load_json

ALLERGY_CONFLICT: Final = "allergyConflict"
ALLERGIES_NOT_RECORDED: Final = "allergiesNotRecorded"
NOT_RECORDED_MESSAGE: Final = "Allergies have not been asked yet."
REVIEW_NOTE: Final = "A pharmacist must review this before it starts."
MIN_DIRECT_MATCH: Final = 3


def match_key(text: str) -> str:
    """Case, accents and punctuation ignored: 'Co-Amoxiclav 625mg' -> 'co amoxiclav 625mg'."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", search_key(text)).split())


def _word_pattern(term: str) -> re.Pattern[str]:
    # Whole words; a strength may follow directly ("amoxicillin500mg").
    return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z])")


@dataclass(frozen=True)
class CrossReaction:
    drug_class: str
    note: str


@dataclass(frozen=True)
class DrugClass:
    id: str
    name: str
    member_noun: str
    triggers: tuple[re.Pattern[str], ...]  # allergy labels naming this class
    members: tuple[re.Pattern[str], ...]  # medications belonging to it
    cross_reactive: tuple[CrossReaction, ...]

    def triggered_by(self, allergy_key: str) -> bool:
        return any(p.search(allergy_key) for p in self.triggers)

    def includes(self, medication_key: str) -> bool:
        return any(p.search(medication_key) for p in self.members)


def parse_drug_classes(data: Mapping[str, Any]) -> dict[str, DrugClass]:
    """Build the table from its JSON form; refuses a table that refers to unknown classes."""
    classes: dict[str, DrugClass] = {}
    for entry in data["classes"]:
        members = [match_key(m) for m in entry["members"]]
        names = [match_key(n) for n in entry["allergyNames"]]
        classes[entry["id"]] = DrugClass(
            id=entry["id"],
            name=entry["name"],
            member_noun=entry["memberNoun"],
            # An allergy to one member means avoiding the whole class.
            triggers=tuple(_word_pattern(t) for t in dict.fromkeys(names + members)),
            members=tuple(_word_pattern(m) for m in dict.fromkeys(members)),
            cross_reactive=tuple(
                CrossReaction(c["class"], c["note"]) for c in entry["crossReactive"]
            ),
        )
    for drug_class in classes.values():
        for cross in drug_class.cross_reactive:
            if cross.drug_class not in classes:
                raise ValueError(f"{drug_class.id} cross-reacts with unknown {cross.drug_class}")
    return classes


@cache
def default_drug_classes() -> dict[str, DrugClass]:
    return parse_drug_classes(load_json("drug-classes.json"))


def not_recorded_warning() -> dict[str, Any]:
    return {"kind": ALLERGIES_NOT_RECORDED, "message": NOT_RECORDED_MESSAGE}


def _conflict(
    allergy: str, medication: str, drug_class: DrugClass | None, cross: bool, message: str
) -> dict[str, Any]:
    return {
        "kind": ALLERGY_CONFLICT,
        "message": f"{message} {REVIEW_NOTE}",
        "allergy": allergy,
        "medication": medication,
        "drugClass": drug_class.name if drug_class else None,
        "crossReactive": cross,
    }


def _pair_conflict(
    allergy: str, medication: str, classes: Mapping[str, DrugClass]
) -> dict[str, Any] | None:
    """The strongest reason ``medication`` is a risk for ``allergy``, or None."""
    allergy_key, medication_key = match_key(allergy), match_key(medication)
    triggered = [c for c in classes.values() if c.triggered_by(allergy_key)]
    for drug_class in triggered:
        if drug_class.includes(medication_key):
            return _conflict(
                allergy,
                medication,
                drug_class,
                False,
                f"{medication} is {drug_class.member_noun} and the customer is allergic to "
                f"{allergy}.",
            )
    for drug_class in triggered:
        for cross in drug_class.cross_reactive:
            other = classes[cross.drug_class]
            if other.includes(medication_key):
                return _conflict(
                    allergy,
                    medication,
                    other,
                    True,
                    f"Caution: {medication} is {other.member_noun}; the customer is allergic "
                    f"to {allergy}. {cross.note}",
                )
    if len(allergy_key) >= MIN_DIRECT_MATCH and _word_pattern(allergy_key).search(medication_key):
        return _conflict(
            allergy,
            medication,
            None,
            False,
            f"The customer is allergic to {allergy} and the plan includes {medication}.",
        )
    return None


def allergy_conflicts(
    allergies: Iterable[str],
    medications: Iterable[str],
    classes: Mapping[str, DrugClass] | None = None,
) -> list[dict[str, Any]]:
    """One ``allergyConflict`` warning per (allergy, medication) pair at risk, in list order."""
    table = default_drug_classes() if classes is None else classes
    medication_list = list(medications)
    warnings = []
    for allergy in allergies:
        for medication in medication_list:
            warning = _pair_conflict(allergy, medication, table)
            if warning is not None:
                warnings.append(warning)
    return warnings
