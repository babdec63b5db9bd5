"""Generation, pure: a chunk of customers (with their plans, orders and counters) from
a seed and a customer number, the same in any process and any chunk size."""

from __future__ import annotations

import datetime as dt
import random
from functools import cache
from typing import Any

from pharmdesk.controllers.allergy_check import allergy_conflicts
from pharmdesk.controllers.schedule import first_delivery, next_delivery_after, on_weekday
from pharmdesk.controllers.validation import (
    WEEKDAYS,
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
    FREQUENCY_WEIGHT,
    HEAVY_EVERY,
    HISTORY,
    MOBILE_PREFIXES,
    NOTES,
    PHONE_FORMS,
    PHONE_MULTIPLIER,
    REGION,
    CatalogPlan,
)
from pharmdesk.resources import load_json


def weighted(options: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    return [name for name, _ in options], [weight for _, weight in options]


def demo_phone(number: int, seed: int) -> tuple[str, str, str]:
    """A distinct mobile number for each ``number`` below 10,000,000 (prefix, 3 digits,
    4 digits): the 7-digit suffix alone is already a permutation of the numbers."""
    prefix = MOBILE_PREFIXES[(number * 13 + seed) % len(MOBILE_PREFIXES)]
    suffix = (PHONE_MULTIPLIER * number + seed * 7919) % 10_000_000
    digits = f"{suffix:07d}"
    return prefix, digits[:3], digits[3:]


@cache
def delivery_schedule(
    start: dt.date, frequency: str, weekday: str | None, today: dt.date
) -> tuple[tuple[dt.date, ...], dt.date]:
    """Deliveries due from ``start`` up to ``today``, and the first one after today,
    on the same cycle as the operations (``schedule``)."""
    made: list[dt.date] = []
    due = first_delivery(start, weekday)
    while due <= today:
        made.append(due)
        due = next_delivery_after(due, frequency, start, weekday)
    return tuple(made), due


@cache
def plan_conflicts(allergies: tuple[str, ...], medications: tuple[str, ...]) -> bool:
    """True when enrollment would need a pharmacist's review (the demo avoids those)."""
    return bool(allergies) and bool(allergy_conflicts(allergies, medications))


def plan_matches(plan: CatalogPlan, condition: str) -> bool:
    """A plan made for the condition ('Thyroid Care' for 'Hypothyroidism')."""
    condition_key = search_key(condition)
    if any(len(w) > 3 and w in plan.name_key for w in condition_key.split()):
        return True
    return any(len(w) > 4 and w in condition_key for w in plan.name_key.split())


def customer_rng(seed: int, number: int) -> random.Random:
    """Each customer's own random stream: the data does not depend on chunks or workers."""
    return random.Random(f"pharmdesk-demo:{seed}:{number}")


def ascii_word(text: str) -> str:
    return "".join(ch for ch in search_key(text) if ch.isalnum())


class _Generator:
    """Makes the rows of one chunk; every value passes the operations' field rules."""

    def __init__(self, job: ChunkJob) -> None:
        self.job = job
        self.rng = customer_rng(job.seed, job.first_id)
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
        self.rows = ChunkRows()
        self.for_condition = {
            name: [p for p in job.plans if plan_matches(p, name)] for name, _ in CONDITIONS
        }

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

    def moment_between(self, first: dt.datetime, last: dt.datetime) -> dt.datetime:
        seconds = max(0, int((last - first).total_seconds()))
        return first + dt.timedelta(seconds=self.rng.randint(0, seconds))

    def day_time(self, day: dt.date) -> dt.datetime:
        """A moment in branch opening hours (08:00-19:00 Lagos is 07:00-18:00 UTC)."""
        return dt.datetime.combine(day, dt.time(7)) + dt.timedelta(
            seconds=self.rng.randint(0, 11 * 3600 - 1)
        )

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
        for position, label in enumerate(allergies):
            self.rows.allergies.append(
                {
                    "customer_id": number,
                    "position": position,
                    "label": label,
                    "label_key": search_key(label),
                }
            )
        for position, label in enumerate(conditions):
            self.rows.conditions.append(
                {
                    "customer_id": number,
                    "position": position,
                    "label": label,
                    "label_key": search_key(label),
                }
            )
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

    # -- plans and orders ---------------------------------------------------------------------
    def pick_plans(self, conditions: list[str], allergies: list[str], count: int) -> list[Any]:
        usable = [p for p in self.job.plans if not self.conflicts(allergies, p)]
        chosen: list[CatalogPlan] = []
        for condition in conditions:
            matching = [p for p in self.for_condition[condition] if p in usable]
            if matching:
                chosen.append(self.pick(matching))
        while len(chosen) < count and usable:
            chosen.append(self.pick(usable))
        unique: list[CatalogPlan] = []
        for plan in chosen:
            if plan not in unique:
                unique.append(plan)
        return unique[:count]

    def pick(self, plans: list[CatalogPlan]) -> CatalogPlan:
        """Weekly packs are rarer than monthly refills."""
        return self.rng.choices(plans, [FREQUENCY_WEIGHT[p.frequency] for p in plans])[0]

    def conflicts(self, allergies: list[str], plan: CatalogPlan) -> bool:
        return plan_conflicts(tuple(allergies), plan.medications)

    def subscriptions(
        self, number: int, created: dt.datetime, conditions: list[str], allergies: list[str]
    ) -> int:
        rng, job = self.rng, self.job
        wanted = 0
        if conditions and rng.random() < 0.55:
            wanted = rng.choice((1, 1, 1, 1, 2, 2, 3))
        elif rng.random() < 0.06:
            wanted = 1
        if not wanted:
            return 0
        active = 0
        # Most enrollments are recent: a plan started within the last ~14 months.
        first_day = max((created + dt.timedelta(days=1)).date(), job.today - dt.timedelta(days=420))
        latest_start = job.today - dt.timedelta(days=3)
        for plan in self.pick_plans(conditions, allergies, wanted):
            if first_day > latest_start:
                start = job.today
            else:
                start = latest_start - dt.timedelta(
                    days=int((latest_start - first_day).days * rng.random() ** 1.5)
                )
            status = rng.choices(("active", "paused", "cancelled"), (80, 8, 12))[0]
            day = rng.choice(WEEKDAYS) if rng.random() < 0.5 else None
            local_id = len(self.rows.subscriptions)
            schedule, due = delivery_schedule(start, plan.frequency, day, job.today)
            deliveries = list(schedule)
            next_delivery: dt.date | None = None
            resume: dt.date | None = None
            if status == "active":
                active += 1
                next_delivery = due
                if deliveries and rng.random() < 0.15:
                    next_delivery = deliveries.pop()  # missed: overdue in the refill queue
            else:
                kept = rng.randint(len(deliveries) // 2, len(deliveries))
                if status == "paused":
                    # As pauseCustomerPlan leaves it: the cycle's next date, or the resume date.
                    next_delivery = deliveries[kept] if kept < len(deliveries) else due
                    if rng.random() < 0.5:
                        resume = job.today + dt.timedelta(days=rng.randint(7, 60))
                        next_delivery = max(next_delivery, on_weekday(resume, day))
                deliveries = deliveries[:kept]
            for index, delivery in enumerate(deliveries):
                when = min(self.day_time(delivery), job.now)
                state = "cancelled" if rng.random() < 0.03 else "completed"
                recent = when > job.now - dt.timedelta(days=2)
                if status == "active" and index == len(deliveries) - 1 and recent:
                    state = "pending"
                self.order(number, local_id, when, plan.price, state)
            enrolled = min(self.day_time(start), job.now)
            changed = enrolled
            if status != "active":
                changed = self.moment_between(enrolled, job.now)
            self.rows.subscriptions.append(
                {
                    "id": local_id,
                    "customer_id": number,
                    "plan_id": plan.id,
                    "plan_name": plan.name,
                    "medications": list(plan.medications),
                    "frequency": plan.frequency,
                    "price": plan.price,
                    "start_date": start,
                    "status": status,
                    "delivery_day": day,
                    "delivery_time": rng.choice(("morning", "afternoon", "evening", None)),
                    "next_delivery": next_delivery,
                    "resume_date": resume,
                    "created_at": enrolled,
                    "updated_at": changed,
                }
            )
            self.rows.sub_events.append(
                {
                    "subscription_id": local_id,
                    "at": enrolled,
                    "status": "active",
                    "by": DEMO_USER,
                    "reason": None,
                }
            )
            if status != "active":
                self.rows.sub_events.append(
                    {
                        "subscription_id": local_id,
                        "at": changed,
                        "status": status,
                        "by": DEMO_USER,
                        "reason": None,
                    }
                )
        return active

    def order(
        self, number: int, local_sub: int | None, when: dt.datetime, total: int, status: str
    ) -> None:
        self.rows.orders.append(
            {
                "customer_id": number,
                "subscription_id": local_sub,
                "ordered_at": when,
                "total": total,
                "status": status,
                "created_by": DEMO_USER,
                "created_at": when,
            }
        )

    def walk_in_orders(self, number: int, created: dt.datetime) -> None:
        rng, job = self.rng, self.job
        if number % HEAVY_EVERY == 3:
            count = rng.randint(185, 215)
        else:
            band = rng.choices((0, 1, 2, 3), (35, 42, 19, 4))[0]
            count = (0, rng.randint(1, 3), rng.randint(4, 8), rng.randint(9, 25))[band]
        first_day, days = created.date(), (job.today - created.date()).days
        pending_seen = False
        for _ in range(count):
            when = min(self.day_time(first_day + dt.timedelta(days=rng.randint(0, days))), job.now)
            when = max(when, created)
            status = rng.choices(("completed", "cancelled", "pending"), (92, 5, 3))[0]
            if status == "pending" and pending_seen:
                status = "completed"  # a real customer has at most one order still open
            if status == "pending":
                pending_seen = True
                when = self.moment_between(max(created, job.now - dt.timedelta(days=5)), job.now)
            self.order(number, None, when, rng.randint(8, 900) * 50, status)


def generate_chunk(job: ChunkJob) -> ChunkRows:
    """The rows of customers ``first_id .. first_id + count - 1``."""
    return _Generator(job).run()


def packed_chunk(job: ChunkJob) -> PackedChunk:
    """A generated chunk as driver tuples (what the worker processes run)."""
    return generate_chunk(job).pack()
