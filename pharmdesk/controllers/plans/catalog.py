"""The plan catalog: ``listPlans``, ``addPlan`` and ``updatePlan``."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from pharmdesk.controllers.plans import MAX_PRICE, PLAN, get_plan, plan_id, plan_json
from pharmdesk.controllers.registry import ADMINS, Op, operation
from pharmdesk.controllers.schedule import FREQUENCIES
from pharmdesk.controllers.validation import (
    Param,
    boolean,
    choice,
    clean_text,
    entity_id,
    free_text,
    integer,
    search_key,
    single_script,
    string_list,
)
from pharmdesk.errors import DUPLICATE, PharmDeskError
from pharmdesk.errors import validation as invalid
from pharmdesk.store.schema import Plan


# -- listPlans ----------------------------------------------------------------------------
@operation("listPlans", params={"includeRetired": Param(boolean(), default=False)})
def list_plans(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    query = select(Plan)
    if not p["includeRetired"]:
        query = query.where(Plan.active.is_(True))
    plans = sorted(op.tx.scalars(query), key=lambda plan: (search_key(plan.name), plan.id))
    return {"plans": [{**plan_json(plan), "active": plan.active} for plan in plans]}


# -- addPlan / updatePlan -------------------------------------------------------------------
def _plan_name(value: str) -> str:
    name = clean_text(value)
    if len(name) < 2:
        raise invalid("Enter the plan's name (at least 2 characters).", "name")
    return single_script(name, "name")


def _medications(values: list[str]) -> list[str]:
    if not values:
        raise invalid("A plan needs at least one medication.", "medications")
    return values


def _duplicate_plan(tx: Session, name: str, exclude: int | None) -> None:
    """Two active plans with one name would be impossible to tell apart at the desk."""
    key = search_key(name)
    for other in tx.scalars(select(Plan).where(Plan.active.is_(True))):
        if other.id != exclude and search_key(other.name) == key:
            raise PharmDeskError(
                DUPLICATE,
                f"An active plan is already called {other.name} ({plan_id(other.id)}). "
                "Choose another name or change that plan.",
                "name",
            )


PLAN_TERMS: Final = {
    "name": Param(free_text(1, 120)),
    "medications": Param(string_list()),
    "price": Param(integer(0, MAX_PRICE)),
}


@operation(
    "addPlan",
    params={
        **{key: Param(spec.convert, required=True) for key, spec in PLAN_TERMS.items()},
        "frequency": Param(choice(*FREQUENCIES), required=True),
    },
    roles=ADMINS,
)
def add_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    name = _plan_name(p["name"])
    medications = _medications(p["medications"])
    _duplicate_plan(op.tx, name, None)
    plan = Plan(
        name=name,
        medications=medications,
        frequency=p["frequency"],
        price=p["price"],
        active=True,
        created_at=op.naive_now,
        updated_at=op.naive_now,
    )
    op.tx.add(plan)
    op.tx.flush()
    op.audit("plan", "plan", plan_id(plan.id), {"event": "add", **plan_json(plan)})
    return {"success": True, "planId": plan_id(plan.id)}


@operation(
    "updatePlan",
    params={
        "planId": Param(entity_id(PLAN), required=True),
        **PLAN_TERMS,
        "active": Param(boolean()),
    },
    roles=ADMINS,
)
def update_plan(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Change the catalog entry; subscriptions take it up at their next delivery.

    Plans are never deleted (subscriptions and history point at them): ``active: false``
    retires one, so it can no longer be chosen for a new enrollment.
    """
    new: dict[str, Any] = {}
    if "name" in p:
        new["name"] = _plan_name(p["name"])
    if "medications" in p:
        new["medications"] = _medications(p["medications"])
    for key in ("price", "active"):
        if key in p:
            new[key] = p[key]
    plan = get_plan(op.tx, p["planId"])
    changes = {
        key: (getattr(plan, key), value)
        for key, value in new.items()
        if getattr(plan, key) != value
    }
    if not changes:
        return {"success": True, "updatedFields": []}
    if new.get("active", plan.active) and ("name" in changes or "active" in changes):
        _duplicate_plan(op.tx, new.get("name", plan.name), plan.id)
    for key, (_, value) in changes.items():
        setattr(plan, key, value)
    plan.updated_at = op.naive_now
    op.audit(
        "plan",
        "plan",
        plan_id(plan.id),
        {
            "event": "update",
            "changes": {key: {"old": old, "new": value} for key, (old, value) in changes.items()},
        },
    )
    return {"success": True, "updatedFields": sorted(changes)}
