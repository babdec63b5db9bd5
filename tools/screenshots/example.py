"""The profile example: the seed document's John Doe with a history, on a still clock.

The screenshots show it, and the profile dialog's tests build the same customer, so the
picture and the test agree on what a busy profile holds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pharmdesk.clock import FixedClock, to_iso
from pharmdesk.controllers.session import create_database
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.desk import DeskContext

# -- profile example, plan controls, reviews, customer form ---------------------------------
EXAMPLE_START = dt.datetime(2026, 4, 18, 12, 0, tzinfo=dt.UTC)


EXAMPLE_DAYS = 10  # the example's "today" is this many days after it was set up


EXAMPLE_PASSWORD = "mango tree by the lagoon"


def build_profile_example(desk: DeskContext, clock: FixedClock) -> str:
    """The seed document's John Doe, with a history: orders of each status, an overdue
    active plan, a paused one (until a date), a cancelled one and one held for review
    (Penicillin allergy and Amoxicillin), conditions, notes and consent.

    Needs an admin signed in on a database without these plans; moves ``clock`` on by
    ``EXAMPLE_DAYS`` days (so a delivery can be overdue). Returns the customer id.
    """
    plans = {}
    for name, medications, frequency, price in (
        ("Diabetes Monthly", ["Metformin 500mg", "Insulin Glargine"], "monthly", 12000),
        ("Hypertension Care", ["Amlodipine 5mg", "Lisinopril 10mg"], "monthly", 15000),
        ("Asthma Care", ["Salbutamol inhaler"], "monthly", 8000),
        ("Chest Infection Course", ["Amoxicillin 500mg"], "weekly", 4000),
    ):
        answer = desk.call(
            "addPlan",
            {"name": name, "medications": medications, "frequency": frequency, "price": price},
        )
        plans[name] = answer["planId"]
    customer = desk.call(
        "addProviderCustomer",
        {
            "name": "John Doe",
            "phone": "0801 234 5678",
            "email": "john@example.com",
            "address": "12 Admiralty Way, Lekki, Lagos",
            "dateOfBirth": "1980-03-25",
            "allergies": ["Penicillin"],
            "medicalConditions": ["Diabetes Type 2", "Hypertension"],
            "notes": "Prefers morning deliveries. Contact before arrival.",
        },
    )["customerId"]

    def enroll(plan: str, **extra: Any) -> str:
        params = {"customerId": customer, "planId": plans[plan], **extra}
        return str(desk.call("addCustomerPlan", params)["subscriptionId"])

    enroll("Diabetes Monthly")
    hypertension = enroll("Hypertension Care", preferences={"deliveryDay": "Monday"})
    asthma = enroll("Asthma Care")
    desk.call("cancelCustomerPlan", {"subscriptionId": asthma})
    # The plan's price rises after enrollment: the delivery below is still charged at
    # the subscription's 15,000, then the subscription takes up the new terms.
    desk.call("updatePlan", {"planId": plans["Hypertension Care"], "price": 16500})
    clock.advance(days=EXAMPLE_DAYS)
    now = clock.now()
    for days_ago, total, status, sub in (
        (40, 12000, "completed", None),
        (9, 15000, "completed", hypertension),
        (3, 8500, "completed", None),
        (1, 2500, "pending", None),
        (0.5, 4000, "cancelled", None),
    ):
        params: dict[str, Any] = {
            "customerId": customer,
            "total": total,
            "status": status,
            "date": to_iso(now - dt.timedelta(days=days_ago)),
        }
        if sub:
            params["subscriptionId"] = sub
        desk.call("recordOrder", params)
    resume = (clock.today() + dt.timedelta(days=21)).isoformat()
    desk.call("pauseCustomerPlan", {"subscriptionId": hypertension, "resumeDate": resume})
    enroll("Chest Infection Course")  # held: pendingReview
    desk.call("setMarketingConsent", {"customerId": customer, "consent": True})
    return str(customer)


def example_desk(folder: Path) -> tuple[DeskContext, FixedClock]:
    """A fresh database on a still clock for the profile example (dates fixed on screen)."""
    clock = FixedClock(EXAMPLE_START)
    files = DatabaseFiles(folder / "example" / "pharmdesk.db")
    files.db.parent.mkdir(parents=True)
    create_database(
        files,
        admin="ada",
        full_name="Ada Okonkwo",
        password=EXAMPLE_PASSWORD,
        branch_name="Lekki Phase 1",
        clock=clock,
    )
    desk = DeskContext(files, clock)
    desk.sign_in("ada", EXAMPLE_PASSWORD)
    return desk, clock
