"""Generation, pure: a chunk of customers (with their plans, orders and counters) from
a seed and a customer number, the same in any process and any chunk size."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from pharmdesk.controllers.customers.labels import label_rows
from pharmdesk.controllers.validation import (
    clean_text,
    customer_name,
    date_of_birth,
    email_address,
    label_list,
    phone_e164,
    phone_search_forms,
    search_key,
)
from pharmdesk.demo.bulk import ChunkJob, ChunkRows, PackedChunk
from pharmdesk.demo.constants import (
    ALLERGIES,
    CONDITIONS,
    DEMO_USER,
    FAMILY_SHARE,
    HEAVY_EVERY,
    HISTORY,
    NOTES,
    PHONE_FORMS,
    REGION,
)
from pharmdesk.demo.draws import ascii_word, customer_rng, demo_phone, weighted
from pharmdesk.demo.enrollments import EnrollmentDraws
from pharmdesk.resources import load_json


class _Generator(EnrollmentDraws):
    """Makes the rows of one chunk; every value passes the operations' field rules."""

    def __init__(self, job: ChunkJob) -> None:
        super().__init__(job)
        names = load_json("demo-names.json")
        self.first_names: dict[str, list[str]] = names["firstNames"]
        self.surnames: dict[str, list[str]] = names["surnames"]
        self.origins = list(names["origins"])
        self.origin_weights = [int(names["origins"][o]) for o in self.origins]
        self.streets = [
            (street, area) for area, streets in names["lagosStreets"].items() for street in streets
        ]
        self.domains: list[str] = names["emailDomains"]
        self.conditions = weighted(CONDITIONS)
        self.allergies = weighted(ALLERGIES)
        self.start = job.now - HISTORY
        self.span = int(HISTORY.total_seconds())

    # -- one customer ----------------------------------------------------------------------
    def run(self) -> ChunkRows:
        for number in range(self.job.first_id, self.job.first_id + self.job.count):
            self.rng = customer_rng(self.job.seed, number)
            self.customer(number)
        return self.rows

    def identity(self, rng: random.Random) -> tuple[bool, str, str, str]:
        """The first draws of a customer's stream: family flag, origin, surname, name."""
        family = rng.random() < FAMILY_SHARE
        origin = rng.choices(self.origins, self.origin_weights)[0]
        surname = rng.choice(self.surnames[origin])
        return family, origin, surname, self.name_for(rng, origin, surname)

    def household(self, number: int) -> tuple[str, int]:
        """Name and phone of customer ``number``: sometimes a relative of the previous
        customer, sharing their surname and phone (families share phones) but never their
        name (that would be a DUPLICATE). Decided from the two customers' own streams
        only, so chunking and workers cannot change it."""
        family, _origin, _surname, name = self.identity(self.rng)
        if not family or number == 1:
            return name, number
        head_family, head_origin, head_surname, head_name = self.identity(
            customer_rng(self.job.seed, number - 1)
        )
        if head_family:  # the previous customer is a relative of someone else: no chains
            return name, number
        relative = self.name_for(self.rng, head_origin, head_surname)
        if search_key(relative) == search_key(head_name):
            return name, number
        return relative, number - 1

    def name_for(self, rng: random.Random, origin: str, surname: str) -> str:
        pool = self.first_names[origin] if rng.random() < 0.85 else self.first_names["other"]
        first = rng.choice(pool)
        parts = [first]
        if rng.random() < 0.15:
            middle = rng.choice(self.first_names[origin])
            if middle != first:
                parts.append(middle)
        parts.append(surname)
        raw = " ".join(parts)
        if rng.random() < 0.02:
            raw = f"  {raw.upper()} "  # typed in capitals with stray spaces
        return customer_name(raw)

    def customer(self, number: int) -> None:
        """One customer, with their allergies, conditions, plans and orders."""
        rng, job = self.rng, self.job
        name, phone_no = self.household(number)
        step = self.span / max(1, job.total)
        created = self.start + dt.timedelta(
            seconds=int((number - 1) * step) + rng.randint(0, max(0, int(step) - 1))
        )
        created = min(created, job.now)
        prefix, mid, last = demo_phone(phone_no, job.seed)
        phone = phone_e164(rng.choice(PHONE_FORMS).format(p=prefix, a=mid, b=last), REGION)
        email = None
        if rng.random() < 0.35:
            words = search_key(name).split()
            local = f"{ascii_word(words[0])}.{ascii_word(words[-1])}"
            if rng.random() < 0.6:
                local += str(rng.randint(1, 99))
            email = email_address(f"{local}@{rng.choice(self.domains)}")
        address = None
        if rng.random() < 0.85:
            street, area = rng.choice(self.streets)
            flat = f"Flat {rng.randint(1, 12)}, " if rng.random() < 0.2 else ""
            address = clean_text(f"{flat}{rng.randint(1, 180)} {street}, {area}, Lagos")
        birth = None
        if rng.random() < 0.9:
            birth = date_of_birth(
                dt.date(1938, 1, 1) + dt.timedelta(days=rng.randint(0, 72 * 365)), job.today
            )
        n_conditions = rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0]
        conditions = label_list(
            rng.choices(self.conditions[0], self.conditions[1], k=n_conditions), "medicalConditions"
        )
        roll = rng.random()
        allergies: list[str] = []
        if roll < 0.30:
            allergy_status = "unknown"  # not yet asked
        elif roll < 0.75:
            allergy_status = "noneKnown"
        else:
            allergy_status = "recorded"
            allergies = label_list(
                rng.choices(self.allergies[0], self.allergies[1], k=rng.choice((1, 1, 2))),
                "allergies",
            )
        asked = allergy_status != "unknown"
        consent = rng.random() < 0.3
        archived = rng.random() < 0.005 and number % HEAVY_EVERY != 3
        customer: dict[str, Any] = {
            "id": number,
            "name": name,
            "name_key": search_key(name),
            "phone": phone,
            "phone_search": phone_search_forms(phone),
            "email": email,
            "address": address,
            "date_of_birth": birth,
            "allergy_status": allergy_status,
            "allergies_confirmed_at": created if asked else None,
            "allergies_confirmed_by": DEMO_USER if asked else None,
            "notes": rng.choice(NOTES) if rng.random() < 0.1 else None,
            "marketing_consent": consent,
            "consent_recorded_at": created if consent else None,
            "consent_recorded_by": DEMO_USER if consent else None,
            "archived": archived,
            "version": 2 if archived else 1,
            "created_at": created,
            "updated_at": created,
        }
        self.rows.allergies.extend(label_rows(number, allergies))
        self.rows.conditions.extend(label_rows(number, conditions))
        if consent:
            self.rows.consents.append(
                {
                    "customer_id": number,
                    "consent": True,
                    "recorded_at": created,
                    "recorded_by": DEMO_USER,
                }
            )
        orders_start = len(self.rows.orders)
        active = self.subscriptions(number, created, conditions, allergies)
        self.walk_in_orders(number, created)
        completed = [o for o in self.rows.orders[orders_start:] if o["status"] == "completed"]
        customer["total_orders"] = len(completed)
        customer["total_spent"] = sum(o["total"] for o in completed)
        customer["last_order"] = max((o["ordered_at"] for o in completed), default=None)
        customer["active_plans"] = active
        if archived:
            customer["updated_at"] = self.moment_between(created, job.now)
        self.rows.customers.append(customer)


def generate_chunk(job: ChunkJob) -> ChunkRows:
    """The rows of customers ``first_id .. first_id + count - 1``."""
    return _Generator(job).run()


def packed_chunk(job: ChunkJob) -> PackedChunk:
    """A generated chunk as driver tuples (what the worker processes run)."""
    return generate_chunk(job).pack()
