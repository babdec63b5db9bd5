"""The draws every part of a generated chunk shares: each customer's own random stream,
the phone numbers, the delivery cycle, and moments and orders on the branch's clock."""

from __future__ import annotations

import datetime as dt
import random
from functools import cache

from pharmdesk.controllers.allergy_check import allergy_conflicts
from pharmdesk.controllers.schedule import first_delivery, next_delivery_after
from pharmdesk.controllers.validation import search_key
from pharmdesk.demo.bulk import ChunkJob, ChunkRows
from pharmdesk.demo.constants import DEMO_USER, MOBILE_PREFIXES, PHONE_MULTIPLIER, CatalogPlan


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


class ChunkDraws:
    """The rows of one chunk so far, and the random stream of the customer being made."""

    def __init__(self, job: ChunkJob) -> None:
        self.job = job
        self.rng = customer_rng(job.seed, job.first_id)
        self.rows = ChunkRows()

    def moment_between(self, first: dt.datetime, last: dt.datetime) -> dt.datetime:
        seconds = max(0, int((last - first).total_seconds()))
        return first + dt.timedelta(seconds=self.rng.randint(0, seconds))

    def day_time(self, day: dt.date) -> dt.datetime:
        """A moment in branch opening hours (08:00-19:00 Lagos is 07:00-18:00 UTC)."""
        return dt.datetime.combine(day, dt.time(7)) + dt.timedelta(
            seconds=self.rng.randint(0, 11 * 3600 - 1)
        )

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
