"""The enrollment wizard's rules, without Qt: who, which plan, when, what to warn about.

The Qt pages only collect fields and show what this object says, so every rule (start
date, already enrolled, retired plans, conflict acknowledgement, the first delivery
date) is tested headless. Every read and write goes through operations (``call``), so
the wizard gets the same checks and audit as the command line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pharmdesk.controllers.schedule import first_delivery, next_delivery_after
from pharmdesk.controllers.validation import WEEKDAYS, search_key
from pharmdesk.errors import VALIDATION_ERROR, PharmDeskError

Call = Callable[[str, dict[str, Any]], dict[str, Any]]

ALLERGY_CONFLICT: Final = "allergyConflict"
DELIVERY_TIMES: Final = ("morning", "afternoon", "evening")
ENROLLED_STATUSES: Final = ("active", "pendingReview", "paused")
SEARCH_LIMIT: Final = 20
MIN_CONDITION_WORD: Final = 4
MAX_START_AHEAD: Final = dt.timedelta(days=366)


def _invalid(message: str, field: str) -> PharmDeskError:
    return PharmDeskError(VALIDATION_ERROR, message, field)


def condition_words(conditions: list[str]) -> set[str]:
    """Words of the recorded conditions that can name a plan ('diabetes', not 'type' or '2')."""
    words = set()
    for condition in conditions:
        for word in re.split(r"[^a-z0-9]+", search_key(condition)):
            if len(word) >= MIN_CONDITION_WORD and word != "type":
                words.add(word)
    return words


@dataclass(frozen=True)
class PlanChoice:
    """A catalog plan as the plan page lists it, for one customer."""

    id: str
    name: str
    medications: tuple[str, ...]
    frequency: str
    price: int
    matches_condition: bool
    enrolled_as: str | None  # the subscription id when already enrolled

    @property
    def selectable(self) -> bool:
        return self.enrolled_as is None


class EnrollmentFlow:
    """One enrollment: customer, plan, schedule, warnings, then ``enroll()``."""

    def __init__(self, call: Call, today: dt.date, customer_id: str | None = None) -> None:
        self._call = call
        self.today = today
        self.customer: dict[str, Any] | None = None
        self.catalog: list[dict[str, Any]] = []
        self.plan: PlanChoice | None = None
        self.start_date = today
        self.delivery_day: str | None = None
        self.delivery_time: str | None = None
        self.warnings: list[dict[str, Any]] = []
        self.acknowledged = False
        self.result: dict[str, Any] | None = None
        self.started_with_customer = customer_id is not None
        if customer_id is not None:
            self.choose_customer(customer_id)

    # -- 1. customer ---------------------------------------------------------------------
    def search_customers(self, text: str) -> list[dict[str, Any]]:
        """The main table's search (fetchCustomers), first page only."""
        text = text.strip()
        if not text:
            return []
        answer = self._call("fetchCustomers", {"search": text, "limit": SEARCH_LIMIT})
        return list(answer["customers"])

    def choose_customer(self, customer_id: str) -> None:
        details = self._call("viewProviderCustomerDetails", {"customerId": customer_id})
        if details.get("archived"):
            raise _invalid(
                f"{details['name']} ({details['id']}) is archived and cannot be enrolled.",
                "customerId",
            )
        self.customer = details
        self.plan = None
        self._forget_warnings()

    @property
    def customer_id(self) -> str | None:
        return self.customer["id"] if self.customer else None

    # -- 2. plan ---------------------------------------------------------------------------
    def load_catalog(self) -> None:
        self.catalog = list(self._call("listPlans", {})["plans"])

    def _enrolled(self) -> dict[str, str]:
        """plan id -> subscription id, for the plans the customer is still enrolled in."""
        if self.customer is None:
            return {}
        return {
            plan["id"]: plan["subscriptionId"]
            for plan in self.customer.get("plans", [])
            if plan.get("status") in ENROLLED_STATUSES
        }

    def plans(self, filter_text: str = "") -> list[PlanChoice]:
        """Active plans, those matching the customer's conditions first, then by name.

        ``filter_text``: every word must appear in the plan's name or a medication.
        """
        words = condition_words(self.customer.get("medicalConditions", []) if self.customer else [])
        enrolled = self._enrolled()
        wanted = search_key(filter_text).split()
        choices = []
        for plan in self.catalog:
            if not plan.get("active", True):
                continue
            haystack = search_key(" ".join([plan["name"], *plan["medications"]]))
            if not all(word in haystack for word in wanted):
                continue
            name_words = set(re.split(r"[^a-z0-9]+", search_key(plan["name"])))
            choices.append(
                PlanChoice(
                    id=plan["id"],
                    name=plan["name"],
                    medications=tuple(plan["medications"]),
                    frequency=plan["frequency"],
                    price=int(plan["price"]),
                    matches_condition=bool(words & name_words),
                    enrolled_as=enrolled.get(plan["id"]),
                )
            )
        choices.sort(key=lambda c: (not c.matches_condition, search_key(c.name), c.id))
        return choices

    def choose_plan(self, plan_id: str) -> PlanChoice:
        if self.customer is None:
            raise _invalid("Choose the customer first.", "customerId")
        plan = next((p for p in self.catalog if p["id"] == plan_id), None)
        if plan is None or not plan.get("active", True):
            raise _invalid(
                "That plan is retired or no longer in the catalog. Choose a current plan.",
                "planId",
            )
        choice = next(c for c in self.plans() if c.id == plan_id)
        if not choice.selectable:
            raise PharmDeskError(
                "ALREADY_ENROLLED",
                f"{self.customer['name']} is already enrolled in {choice.name} as "
                f"{choice.enrolled_as}. Choose another plan.",
                "planId",
            )
        if self.plan is None or self.plan.id != choice.id:
            self._forget_warnings()
        self.plan = choice
        return choice

    # -- 3. schedule -------------------------------------------------------------------------
    def set_schedule(self, start: dt.date, day: str | None, time: str | None) -> None:
        if start < self.today:
            raise _invalid(
                f"The start date cannot be before today ({self.today:%d %b %Y}). Choose today "
                "or a later date.",
                "startDate",
            )
        if start > self.today + MAX_START_AHEAD:
            raise _invalid("The start date must be within a year from today.", "startDate")
        if day is not None and day not in WEEKDAYS:
            raise _invalid(f"{day} is not a day of the week.", "deliveryDay")
        if time is not None and time not in DELIVERY_TIMES:
            raise _invalid("Choose morning, afternoon or evening.", "deliveryTime")
        self.start_date, self.delivery_day, self.delivery_time = start, day, time

    def first_delivery(self, start: dt.date | None = None, day: str | None = None) -> dt.date:
        """The first delivery for these choices (the controller's own rule)."""
        if start is None:
            start, day = self.start_date, self.delivery_day
        return first_delivery(start, day)

    def deliveries(self, count: int = 3) -> list[dt.date]:
        """The first ``count`` delivery dates, so staff can read the rhythm back."""
        if self.plan is None:
            return [self.first_delivery()]
        dates = [self.first_delivery()]
        while len(dates) < count:
            dates.append(
                next_delivery_after(
                    dates[-1], self.plan.frequency, self.start_date, self.delivery_day
                )
            )
        return dates

    # -- 4. review ----------------------------------------------------------------------------
    def _forget_warnings(self) -> None:
        self.warnings = []
        self.acknowledged = False

    def check_conflicts(self) -> list[dict[str, Any]]:
        if self.customer is None or self.plan is None:
            raise _invalid("Choose the customer and the plan first.", "planId")
        answer = self._call(
            "checkPlanConflicts", {"customerId": self.customer["id"], "planId": self.plan.id}
        )
        self.warnings = list(answer["warnings"])
        self.acknowledged = False
        return self.warnings

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return [w for w in self.warnings if w["kind"] == ALLERGY_CONFLICT]

    @property
    def needs_acknowledgement(self) -> bool:
        return bool(self.conflicts)

    @property
    def can_enroll(self) -> bool:
        return (
            self.customer is not None
            and self.plan is not None
            and (self.acknowledged or not self.needs_acknowledgement)
        )

    def params(self) -> dict[str, Any]:
        """addCustomerPlan's params for the choices made."""
        assert self.customer is not None and self.plan is not None
        preferences = {}
        if self.delivery_day:
            preferences["deliveryDay"] = self.delivery_day
        if self.delivery_time:
            preferences["deliveryTime"] = self.delivery_time
        return {
            "customerId": self.customer["id"],
            "planId": self.plan.id,
            "startDate": self.start_date.isoformat(),
            "preferences": preferences,
        }

    def enroll(self) -> dict[str, Any]:
        """Write it: the acknowledgement (audited) first, then the enrollment."""
        if self.customer is None or self.plan is None:
            raise _invalid("Choose the customer and the plan first.", "planId")
        if self.needs_acknowledgement and not self.acknowledged:
            raise _invalid(
                "Tick the box to confirm you have read the allergy warning.", "acknowledged"
            )
        if self.needs_acknowledgement:
            self._call(
                "acknowledgePlanConflicts",
                {"customerId": self.customer["id"], "planId": self.plan.id},
            )
        self.result = self._call("addCustomerPlan", self.params())
        return self.result

    # -- 5. done --------------------------------------------------------------------------------
    def another_plan(self) -> None:
        """Start over for the same customer (read again: their plans changed)."""
        assert self.customer is not None
        customer_id = self.customer["id"]
        self.result = None
        self.start_date, self.delivery_day, self.delivery_time = self.today, None, None
        self.choose_customer(customer_id)
