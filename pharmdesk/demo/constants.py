"""What the demo database is: its sign-in, size, branch and vocabulary (conditions,
allergies, notes, phone forms), the plan catalog, and what the caller sees (progress
and result)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pharmdesk.controllers.schedule import FREQUENCIES
from pharmdesk.controllers.validation import clean_text, integer, label_list, single_script
from pharmdesk.errors import validation

DEMO_USER = "demo"


DEMO_PASSWORD = "pharmdesk-demo-2026"


DEMO_FULL_NAME = "Demo Admin"


DEMO_BRANCH = "PharmDesk Demo Pharmacy, Lekki"


DEFAULT_CUSTOMERS = 2000


DEFAULT_SEED = 2026


MAX_CUSTOMERS = 5_000_000  # below 10**7, so every customer can have a distinct phone


CHUNK = 5000


HISTORY = dt.timedelta(days=3 * 365)


FREQUENCY_WEIGHT = {"weekly": 1, "biweekly": 2, "monthly": 8, "quarterly": 6}


FAMILY_SHARE = 0.08  # customers who share a relative's phone


HEAVY_EVERY = 997  # one customer in ~1000 has about 200 orders (and at least a few do)


REGION = "NG"


# Nigerian mobile prefixes (MTN, Glo, Airtel, 9mobile); all valid for phonenumbers.
# fmt: off
MOBILE_PREFIXES = (
    "803", "806", "703", "706", "813", "816", "810", "814", "903", "906", "913", "916",
    "805", "807", "705", "815", "811", "905", "915", "802", "808", "708", "812", "701",
    "902", "901", "904", "907", "912", "809", "818", "817", "909", "908",
)


# fmt: on
PHONE_MULTIPLIER = 4_370_813  # odd, not a multiple of 5: a permutation of 7-digit suffixes


CONDITIONS = (
    ("Hypertension", 30),
    ("Diabetes Type 2", 16),
    ("High Cholesterol", 9),
    ("Asthma", 7),
    ("Peptic Ulcer Disease", 6),
    ("Osteoarthritis", 6),
    ("Sickle Cell Disease", 3),
    ("Hypothyroidism", 3),
    ("Chronic Kidney Disease", 2),
    ("Glaucoma", 2),
    ("Epilepsy", 2),
    ("Benign Prostatic Hyperplasia", 3),
    ("Heart Failure", 2),
    ("Migraine", 4),
    ("Diabetes Type 1", 2),
    ("Depression", 2),
)


ALLERGIES = (
    ("Penicillin", 30),
    ("Sulfonamides", 14),
    ("Aspirin", 10),
    ("Ibuprofen", 9),
    ("Codeine", 6),
    ("Chloroquine", 8),
    ("Latex", 4),
    ("Peanuts", 6),
    ("Shellfish", 5),
    ("Erythromycin", 4),
    ("Metronidazole", 4),
)


NOTES = (
    "Prefers morning deliveries. Contact before arrival.",
    "Call before delivery; the gate code is with the security post.",
    "Prefers to be called in Yoruba.",
    "Prefers to be called in Igbo.",
    "Prefers to be called in Hausa.",
    "Pays by bank transfer.",
    "Picks up in person on Saturdays.",
    "Caregiver collects the medicines.",
    "Deliver to the office address on weekdays.",
    "Asks for large-print labels.",
)


PHONE_FORMS = ("0{p} {a} {b}", "0{p}{a}{b}", "+234 {p} {a} {b}", "234{p}{a}{b}", "+234{p}{a}{b}")


@dataclass(frozen=True)
class DemoProgress:
    """How far the demo has got; ``done``/``total`` count customers in the customer stage."""

    stage: str
    done: int
    total: int


ProgressCallback = Callable[[DemoProgress], None]


@dataclass(frozen=True)
class DemoResult:
    path: str
    username: str
    password: str
    recovery_key: str
    customers: int
    plans: int
    subscriptions: int
    orders: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "success": True,
            "database": self.path,
            "username": self.username,
            "password": self.password,
            "customers": self.customers,
            "plans": self.plans,
            "subscriptions": self.subscriptions,
            "orders": self.orders,
            "seconds": round(self.seconds, 1),
        }


@dataclass(frozen=True)
class CatalogPlan:
    id: int
    name: str
    medications: tuple[str, ...]
    frequency: str
    price: int
    name_key: str


def catalog_plans(raw: Any) -> list[dict[str, Any]]:
    """The catalog entries, normalised with the operations' rules (as addPlan would)."""
    if not isinstance(raw, list) or not raw:
        raise validation("The plan catalog must be a non-empty list of plans.", "catalog")
    price = integer(0)
    plans = []
    for entry in raw:
        if not isinstance(entry, dict) or not {"name", "medications", "frequency", "price"} <= set(
            entry
        ):
            raise validation(
                "Each catalog entry must be an object with name, medications, frequency and price.",
                "catalog",
            )
        name = clean_text(str(entry["name"]))
        if not 2 <= len(name) <= 120:
            raise validation(f"Plan name '{name[:40]}' must be 2 to 120 characters.", "catalog")
        single_script(name, "catalog")
        medications = label_list(list(entry["medications"]), "medications")
        if not medications:
            raise validation(f"Plan '{name}' has no medications.", "catalog")
        if entry["frequency"] not in FREQUENCIES:
            raise validation(f"Plan '{name}' has an unknown frequency.", "catalog")
        plans.append(
            {
                "name": name,
                "medications": medications,
                "frequency": entry["frequency"],
                "price": price("price", entry["price"]),
            }
        )
    return plans
