"""acknowledgePlanConflicts: staff confirm they saw an allergy conflict before enrolling.

An enrollment that conflicts with a recorded allergy still goes ahead (as
``pendingReview``, for a pharmacist to decide), but the person at the desk must have
seen the warning. The enrollment wizard makes them tick a box; this operation puts that
acknowledgement in the audit log, with the warnings as the controller computed them at
that moment (not as the screen showed them), so the record says exactly what was flagged.
"""

from __future__ import annotations

from typing import Any

from pharmdesk.controllers.allergy_check import ALLERGY_CONFLICT
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, get_customer
from pharmdesk.controllers.plans import PLAN_REF, get_plan, plan_id, plan_warnings
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.errors import validation as invalid


@operation("acknowledgePlanConflicts", params={**CUSTOMER_ID, **PLAN_REF})
def acknowledge_plan_conflicts(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Audit that staff acknowledged the plan's allergy conflicts for this customer."""
    customer = get_customer(op.tx, p["customerId"])
    plan = get_plan(op.tx, p["planId"])
    conflicts = [
        w
        for w in plan_warnings(op.tx, customer, list(plan.medications))
        if w["kind"] == ALLERGY_CONFLICT
    ]
    if not conflicts:
        raise invalid(
            f"{plan.name} has no allergy conflict for {cust_id(customer.id)} now, so there is "
            "nothing to acknowledge. Check the warnings again.",
            "planId",
        )
    op.audit(
        "enroll",
        "customer",
        cust_id(customer.id),
        {
            "event": "acknowledgeConflicts",
            "planId": plan_id(plan.id),
            "conflicts": [
                {"allergy": w["allergy"], "medication": w["medication"]} for w in conflicts
            ],
        },
    )
    return {"success": True, "acknowledged": len(conflicts)}
