"""A segment's customers who agreed to marketing: ``getCampaignAudience``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from pharmdesk.controllers import audit
from pharmdesk.controllers.consent.records import CHANNELS
from pharmdesk.controllers.plans import resume_due_plans
from pharmdesk.controllers.registry import PHARMACISTS, Op, operation
from pharmdesk.controllers.segments.condition import condition_segment
from pharmdesk.controllers.segments.high_value import high_value_segment
from pharmdesk.controllers.segments.lists import CONDITION, DAYS, MIN_SPEND
from pharmdesk.controllers.segments.refills import refills_segment
from pharmdesk.controllers.segments.segment import Segment, show_page
from pharmdesk.controllers.validation import PAGING, Param, choice
from pharmdesk.errors import validation
from pharmdesk.store.schema import Customer

SEGMENT_PARAMS = {"condition": "condition", "upcomingRefills": "days", "highValue": "minSpend"}


def without_consent(
    tx: Session, segment: Segment, consented: int, channel: str | None = None
) -> int:
    """The segment's customers left out for lack of consent: all of them less those who
    consented (consent is never unknown), all counted by the reader when there is one."""
    if channel is not None:
        listed = segment.query.order_by(None).subquery()
        return int(tx.scalar(select(func.count()).select_from(listed)) or 0) - consented
    if segment.reader is not None:
        everyone, _rows = segment.reader(tx.connection(), 0, 0, False)
        return everyone - consented
    without = segment.query.where(Customer.marketing_consent == false())
    return int(tx.scalar(select(func.count()).select_from(without.order_by(None).subquery())) or 0)


def _chosen_segment(op: Op, p: dict[str, Any]) -> Segment:
    """The segment asked for, with its own param required and the others refused."""
    chosen = p["segment"]
    wanted = SEGMENT_PARAMS[chosen]
    for other in SEGMENT_PARAMS.values():
        if other != wanted and other in p:
            raise validation(
                f"{other} does not apply to the {chosen} segment; it takes {wanted}.", other
            )
    if wanted not in p:
        raise validation(f"{wanted} is required for the {chosen} segment.", wanted)
    if chosen == "condition":
        return condition_segment(p["condition"])
    if chosen == "upcomingRefills":
        resume_due_plans(op)
        return refills_segment(p["days"], op.today)
    return high_value_segment(p["minSpend"])


@operation(
    "getCampaignAudience",
    params={
        **PAGING,
        "segment": Param(choice(*SEGMENT_PARAMS), required=True),
        "condition": CONDITION,
        "days": DAYS,
        "minSpend": MIN_SPEND,
        "channel": Param(choice(*CHANNELS)),
    },
    roles=PHARMACISTS,
    reads=True,
)
def campaign_audience(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """A segment's customers who agreed to marketing (on ``channel`` when named: per
    channel consent); the others are only counted."""
    segment = _chosen_segment(op, p)
    channel = p.get("channel")
    answer = show_page(op.tx, segment, p["page"], p["limit"], consented_only=True, channel=channel)
    excluded = without_consent(op.tx, segment, answer["total"], channel)
    answer["excludedWithoutConsent"] = excluded
    op.audit(
        "export",
        "customer",
        None,
        {
            "kind": "campaignAudience",
            "segment": segment.name,
            "params": segment.params,
            "page": p["page"],
            "shown": len(answer["customers"]),
            "total": answer["total"],
            "excludedWithoutConsent": excluded,
            **({"channel": channel} if channel else {}),
            "customerIds": audit.shown_ids(answer["customers"]),
        },
    )
    return answer
