"""The segment lists at the desk: ``getCustomersByCondition``,
``getCustomersWithUpcomingRefills`` and ``getHighValueCustomers``."""

from __future__ import annotations

from typing import Any

from pharmdesk.controllers import audit
from pharmdesk.controllers.plans import resume_due_plans
from pharmdesk.controllers.registry import EVERYONE, Op, operation
from pharmdesk.controllers.segments.condition import condition_segment
from pharmdesk.controllers.segments.high_value import high_value_segment
from pharmdesk.controllers.segments.refills import refills_segment
from pharmdesk.controllers.segments.segment import Segment, show_page
from pharmdesk.controllers.validation import MAX_MONEY, PAGING, Param, free_text, integer

MAX_REFILL_DAYS = 365


def _run_segment(op: Op, segment: Segment, p: dict[str, Any]) -> dict[str, Any]:
    answer = show_page(op.tx, segment, p["page"], p["limit"])
    op.audit(
        "segment",
        "customer",
        None,
        {
            "segment": segment.name,
            "params": segment.params,
            "page": p["page"],
            "shown": len(answer["customers"]),
            "total": answer["total"],
            "customerIds": audit.shown_ids(answer["customers"]),
        },
    )
    return answer


# -- the operations -------------------------------------------------------------------------
CONDITION = Param(free_text(1, 120))
DAYS = Param(integer(0, MAX_REFILL_DAYS))
MIN_SPEND = Param(integer(0, MAX_MONEY))


def _required(param: Param) -> Param:
    return Param(param.convert, required=True)


@operation(
    "getCustomersByCondition",
    params={**PAGING, "condition": _required(CONDITION)},
    roles=EVERYONE,
    reads=True,
)
def customers_by_condition(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    return _run_segment(op, condition_segment(p["condition"]), p)


@operation(
    "getCustomersWithUpcomingRefills",
    params={**PAGING, "days": _required(DAYS)},
    roles=EVERYONE,
    reads=True,
)
def customers_with_upcoming_refills(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    resume_due_plans(op)  # a pause whose resume date has come is due again
    return _run_segment(op, refills_segment(p["days"], op.today), p)


@operation(
    "getHighValueCustomers",
    params={**PAGING, "minSpend": _required(MIN_SPEND)},
    roles=EVERYONE,
    reads=True,
)
def high_value_customers(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    return _run_segment(op, high_value_segment(p["minSpend"]), p)
