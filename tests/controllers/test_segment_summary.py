"""getSegmentSummary: top conditions, refills per day, spend bands; validation and audit."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from pharmdesk.controllers.segment_summary import nice_boundaries
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import VALIDATION_ERROR
from tests.controllers.test_segments import (
    TODAY,
    archive,
    last_entry,
    new_customer,
    new_plan,
    refused,
    subscribe,
)


def test_top_conditions_count_customers_without_archived(
    admin: DeskSession, frontdesk: DeskSession
) -> None:
    new_customer(frontdesk, "Ada Obi", ["Hypertension", "Diabetes Type 2"])
    new_customer(frontdesk, "Bola Ade", ["hypertension"])
    new_customer(frontdesk, "Chidi Eze", ["HYPERTENSION", "Asthma"])
    gone = new_customer(frontdesk, "Dayo Ojo", ["Asthma", "Migraine"])
    new_customer(frontdesk, "Efe Uche", ["Diabetes Type 2"])
    archive(admin, gone)
    answer = frontdesk.call("getSegmentSummary", {"segment": "condition"})
    assert answer["segment"] == "condition"
    # Most customers first, ties by key; an archived customer's only condition drops out.
    assert [(c["condition"].casefold(), c["customers"]) for c in answer["conditions"]] == [
        ("hypertension", 3),
        ("diabetes type 2", 2),
        ("asthma", 1),
    ]


def test_top_conditions_keep_ten(admin: DeskSession) -> None:
    for i in range(12):
        new_customer(admin, f"Patient {chr(65 + i)}", [f"Condition {i:02d}"])
    new_customer(admin, "Zed Many", ["Condition 05", "Condition 11"])
    conditions = admin.call("getSegmentSummary", {"segment": "condition"})["conditions"]
    assert len(conditions) == 10
    assert conditions[0] == {"condition": "Condition 05", "customers": 2}
    assert conditions[1] == {"condition": "Condition 11", "customers": 2}
    rest = [f"Condition {i:02d}" for i in (0, 1, 2, 3, 4, 6, 7, 8)]
    assert [c["condition"] for c in conditions[2:]] == rest


def test_no_conditions_is_an_empty_list(admin: DeskSession) -> None:
    assert admin.call("getSegmentSummary", {"segment": "condition"})["conditions"] == []


def test_refills_by_day_window_overdue_and_statuses(admin: DeskSession) -> None:
    plan = new_plan(admin, "Diabetes Monthly")
    other = new_plan(admin, "Hypertension Care")
    ada = new_customer(admin, "Ada Obi")
    bola = new_customer(admin, "Bola Ade")
    gone = new_customer(admin, "Chidi Eze")
    subscribe(admin, ada, plan, TODAY - dt.timedelta(days=3), "active")  # overdue
    subscribe(admin, ada, other, TODAY, "active")
    subscribe(admin, bola, plan, TODAY, "active")
    subscribe(admin, bola, other, TODAY + dt.timedelta(days=7), "active")  # exactly the edge
    subscribe(admin, bola, plan, TODAY + dt.timedelta(days=8), "active")  # beyond
    subscribe(admin, ada, plan, TODAY + dt.timedelta(days=2), "paused")
    subscribe(admin, ada, plan, TODAY + dt.timedelta(days=2), "cancelled")
    subscribe(admin, ada, plan, TODAY + dt.timedelta(days=2), "pendingReview")
    subscribe(admin, gone, plan, TODAY + dt.timedelta(days=1), "active")
    subscribe(admin, gone, plan, TODAY - dt.timedelta(days=1), "active")
    archive(admin, gone)
    answer = admin.call("getSegmentSummary", {"segment": "upcomingRefills", "days": 7})
    assert answer["segment"] == "upcomingRefills"
    assert answer["from"] == "2026-04-18"
    assert answer["to"] == "2026-04-25"
    assert answer["overdue"] == 1
    assert answer["refills"] == 4
    by_day = answer["dueByDay"]
    assert [d["date"] for d in by_day] == [
        (TODAY + dt.timedelta(days=i)).isoformat() for i in range(8)
    ]
    assert [d["refills"] for d in by_day] == [2, 0, 0, 0, 0, 0, 0, 1]


def test_refills_for_today_only(admin: DeskSession) -> None:
    answer = admin.call("getSegmentSummary", {"segment": "upcomingRefills", "days": 0})
    assert answer["dueByDay"] == [{"date": "2026-04-18", "refills": 0}]
    assert answer["overdue"] == 0 and answer["refills"] == 0


def test_spend_bands_boundaries_and_total(admin: DeskSession) -> None:
    new_customer(admin, "Ada Obi", spent=100_000)  # exactly minSpend: in
    new_customer(admin, "Bola Ade", spent=99_999)  # just under: out
    new_customer(admin, "Chidi Eze", spent=200_000)  # exactly a band start
    new_customer(admin, "Dayo Ojo", spent=450_000)
    new_customer(admin, "Efe Uche", spent=1_250_000)
    gone = new_customer(admin, "Funmi Bello", spent=9_000_000)
    archive(admin, gone)
    answer = admin.call("getSegmentSummary", {"segment": "highValue", "minSpend": 100_000})
    assert answer["segment"] == "highValue"
    assert answer["customers"] == 4
    assert answer["totalSpent"] == 100_000 + 200_000 + 450_000 + 1_250_000
    assert answer["bands"] == [
        {"from": 100_000, "to": 200_000, "customers": 1, "totalSpent": 100_000},
        {"from": 200_000, "to": 500_000, "customers": 2, "totalSpent": 650_000},
        {"from": 500_000, "to": 1_000_000, "customers": 0, "totalSpent": 0},
        {"from": 1_000_000, "to": None, "customers": 1, "totalSpent": 1_250_000},
    ]


def test_spend_bands_when_nobody_qualifies(admin: DeskSession) -> None:
    new_customer(admin, "Ada Obi", spent=5_000)
    answer = admin.call("getSegmentSummary", {"segment": "highValue", "minSpend": 10_000})
    assert answer == {
        "segment": "highValue",
        "minSpend": 10_000,
        "customers": 0,
        "totalSpent": 0,
        "bands": [],
    }


def test_spend_bands_with_one_amount(admin: DeskSession) -> None:
    new_customer(admin, "Ada Obi", spent=0)
    answer = admin.call("getSegmentSummary", {"segment": "highValue", "minSpend": 0})
    assert answer["bands"] == [{"from": 0, "to": None, "customers": 1, "totalSpent": 0}]


def test_nice_boundaries() -> None:
    assert nice_boundaries(100_000, 5_087_950) == [
        200_000,
        500_000,
        1_000_000,
        2_000_000,
        5_000_000,
    ]
    # At most seven cuts (eight bands), the largest ones.
    assert nice_boundaries(0, 5_087_950) == [
        50_000,
        100_000,
        200_000,
        500_000,
        1_000_000,
        2_000_000,
        5_000_000,
    ]
    assert nice_boundaries(5_000, 5_000) == []
    assert nice_boundaries(0, 7) == [1, 2, 5]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "segment"),
        ({"segment": "everyone"}, "segment"),
        ({"segment": "upcomingRefills"}, "days"),
        ({"segment": "upcomingRefills", "days": 366}, "days"),
        ({"segment": "upcomingRefills", "days": -1}, "days"),
        ({"segment": "upcomingRefills", "days": "7"}, "days"),
        ({"segment": "upcomingRefills", "days": 7, "minSpend": 5}, "minSpend"),
        ({"segment": "highValue"}, "minSpend"),
        ({"segment": "highValue", "minSpend": -1}, "minSpend"),
        ({"segment": "highValue", "minSpend": 5, "days": 7}, "days"),
        ({"segment": "condition", "days": 7}, "days"),
        ({"segment": "condition", "condition": "diabetes"}, "condition"),
    ],
)
def test_validation(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    error = refused(admin, "getSegmentSummary", params)
    assert error.code == VALIDATION_ERROR
    assert error.field == field


def test_each_summary_is_audited_as_segment(frontdesk: DeskSession) -> None:
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"segment": "condition"}, {}),
        ({"segment": "upcomingRefills", "days": 14}, {"days": 14}),
        ({"segment": "highValue", "minSpend": 50_000}, {"minSpend": 50_000}),
    ]
    for params, recorded in cases:
        frontdesk.call("getSegmentSummary", params)
        entry = last_entry(frontdesk)
        assert entry.action == "segment"
        assert entry.user == frontdesk.staff.username
        assert entry.outcome == "success"
        raw: Any = entry.detail
        detail = raw if isinstance(raw, dict) else json.loads(raw)
        assert detail == {"segment": params["segment"], "params": recorded, "summary": True}


def test_refused_params_change_nothing_but_are_not_segments(admin: DeskSession) -> None:
    before = last_entry(admin).id
    refused(admin, "getSegmentSummary", {"segment": "highValue"})
    assert last_entry(admin).id == before
