"""A generated customer's plans (with the deliveries made so far) and walk-in orders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pharmdesk.controllers.schedule import on_weekday
from pharmdesk.controllers.validation import WEEKDAYS
from pharmdesk.demo.bulk import ChunkJob
from pharmdesk.demo.constants import (
    CONDITIONS,
    DEMO_USER,
    FREQUENCY_WEIGHT,
    HEAVY_EVERY,
    CatalogPlan,
)
from pharmdesk.demo.draws import ChunkDraws, delivery_schedule, plan_conflicts, plan_matches


class EnrollmentDraws(ChunkDraws):
    """Plans matching a customer's conditions (never one they are allergic to), the
    orders those plans delivered, and orders over the counter."""

    def __init__(self, job: ChunkJob) -> None:
        super().__init__(job)
        self.for_condition = {
            name: [p for p in job.plans if plan_matches(p, name)] for name, _ in CONDITIONS
        }

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
