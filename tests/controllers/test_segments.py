"""The three customer segments and the campaign audience: matching, order, paging, row
shape, validation, roles and audit entries.

Subscriptions and spend counters are written straight into the tables here, so that these
tests check the segment queries alone (enrollment and orders have tests of their own).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PERMISSION_DENIED, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditEntry, Customer, Plan, Subscription
from tests.conftest import inspection

TODAY = dt.date(2026, 4, 18)  # the fixed clock's branch-local date
_phones = itertools.count(1)


def refused(desk: DeskSession, name: str, params: Any = None) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def new_customer(
    desk: DeskSession,
    name: str,
    conditions: list[str] | None = None,
    *,
    consent: bool = False,
    spent: int | None = None,
) -> str:
    params: dict[str, Any] = {"name": name, "phone": f"080312{next(_phones):05d}"}
    if conditions:
        params["medicalConditions"] = conditions
    if consent:
        params["marketingConsent"] = True
    customer_id = str(desk.call("addProviderCustomer", params)["customerId"])
    if spent is not None:
        with inspection(desk) as tx:
            row = tx.get(Customer, number(customer_id))
            assert row is not None
            row.total_spent = spent
    return customer_id


def number(display_id: str) -> int:
    return int(display_id.split("-")[1])


def new_plan(desk: DeskSession, name: str) -> int:
    with inspection(desk) as tx:
        now = dt.datetime(2026, 1, 1)
        plan = Plan(
            name=name,
            medications=["Metformin 500mg"],
            frequency="monthly",
            price=5000,
            active=True,
            created_at=now,
            updated_at=now,
        )
        tx.add(plan)
        tx.flush()
        return plan.id


def subscribe(
    desk: DeskSession, customer_id: str, plan_id: int, next_delivery: dt.date, status: str
) -> str:
    with inspection(desk) as tx:
        plan = tx.get(Plan, plan_id)
        assert plan is not None
        now = dt.datetime(2026, 1, 1)
        sub = Subscription(
            customer_id=number(customer_id),
            plan_id=plan_id,
            plan_name=plan.name,
            medications=list(plan.medications),
            frequency=plan.frequency,
            price=plan.price,
            start_date=dt.date(2026, 1, 1),
            status=status,
            next_delivery=next_delivery,
            created_at=now,
            updated_at=now,
        )
        tx.add(sub)
        tx.flush()
        return f"SUB-{sub.id}"


def archive(desk: DeskSession, customer_id: str) -> None:
    desk.call("archiveCustomer", {"customerId": customer_id})


def ids(answer: dict[str, Any]) -> list[str]:
    return [row["id"] for row in answer["customers"]]


def all_pages(desk: DeskSession, name: str, params: dict[str, Any], limit: int) -> list[str]:
    """Walk every page; check the paging fields on the way."""
    seen: list[str] = []
    page = 1
    while True:
        answer = desk.call(name, {**params, "page": page, "limit": limit})
        assert answer["page"] == page
        assert answer["hasMore"] == (page * limit < answer["total"])
        seen.extend(ids(answer))
        if not answer["hasMore"]:
            assert len(seen) == answer["total"]
            return seen
        page += 1


def last_entry(desk: DeskSession) -> AuditEntry:
    with inspection(desk) as tx:
        entry = tx.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert entry is not None
    return entry


def fetch_rows(desk: DeskSession) -> dict[str, dict[str, Any]]:
    answer = desk.call("fetchCustomers", {"limit": 100})
    return {row["id"]: row for row in answer["customers"]}


# -- getCustomersByCondition ----------------------------------------------------------------
def test_condition_matches_substrings_without_case_or_accents(frontdesk: DeskSession) -> None:
    ada = new_customer(frontdesk, "Ada Obi", ["Diabetes Type 2", "Hypertension"])
    bola = new_customer(frontdesk, "Bola Ade", ["type 1 DIABETES"])
    chidi = new_customer(frontdesk, "Chidi Eze", ["Diabète gestationnel"])
    new_customer(frontdesk, "Dayo Ojo", ["Asthma"])
    new_customer(frontdesk, "Efe Uche")
    answer = frontdesk.call("getCustomersByCondition", {"condition": "diabetes"})
    assert ids(answer) == [ada, bola]
    assert (answer["total"], answer["page"], answer["hasMore"]) == (2, 1, False)
    assert ids(frontdesk.call("getCustomersByCondition", {"condition": "DIABÈTE"})) == [
        ada,
        bola,
        chidi,
    ]
    assert ids(frontdesk.call("getCustomersByCondition", {"condition": " tension "})) == [ada]
    assert frontdesk.call("getCustomersByCondition", {"condition": "cancer"}) == {
        "customers": [],
        "total": 0,
        "page": 1,
        "hasMore": False,
    }


def test_condition_lists_each_customer_once_and_skips_archived(admin: DeskSession) -> None:
    both = new_customer(admin, "Ada Obi", ["Diabetes Type 1", "Diabetic neuropathy"])
    gone = new_customer(admin, "Bola Ade", ["Diabetes"])
    archive(admin, gone)
    answer = admin.call("getCustomersByCondition", {"condition": "diabet"})
    assert ids(answer) == [both]
    assert answer["total"] == 1


def test_condition_wildcards_are_plain_text(admin: DeskSession) -> None:
    new_customer(admin, "Ada Obi", ["Asthma"])
    percent = new_customer(admin, "Bola Ade", ["Burns 50% body"])
    assert admin.call("getCustomersByCondition", {"condition": "%"})["total"] == 1
    assert ids(admin.call("getCustomersByCondition", {"condition": "50%"})) == [percent]
    assert admin.call("getCustomersByCondition", {"condition": "_"})["total"] == 0


def test_condition_order_and_paging(admin: DeskSession) -> None:
    names = [
        "Zainab Bello",
        "adé Obi",
        "Ade Obi",
        "Émeka Nwosu",
        "emeka Nwosu",
        "Bola Ade",
        "Ifeoma",
    ]
    made: dict[str, str] = {}
    for name in names:
        made.setdefault(name, new_customer(admin, name, ["Hypertension"]))
    expected = [
        made["adé Obi"],
        made["Ade Obi"],  # same name key: by id
        made["Bola Ade"],
        made["Émeka Nwosu"],
        made["emeka Nwosu"],
        made["Ifeoma"],
        made["Zainab Bello"],
    ]
    answer = admin.call("getCustomersByCondition", {"condition": "hyper", "limit": 100})
    assert ids(answer) == expected
    for limit in (1, 2, 3, 7):
        assert all_pages(admin, "getCustomersByCondition", {"condition": "hyper"}, limit) == (
            expected
        )
    beyond = admin.call("getCustomersByCondition", {"condition": "hyper", "page": 9})
    assert beyond["customers"] == [] and beyond["total"] == 7 and beyond["hasMore"] is False


def test_condition_rows_have_the_fetch_customers_shape(admin: DeskSession) -> None:
    ada = new_customer(admin, "Ada Obi", ["Asthma"])
    (row,) = admin.call("getCustomersByCondition", {"condition": "asthma"})["customers"]
    assert row == fetch_rows(admin)[ada]


def test_condition_is_audited(frontdesk: DeskSession) -> None:
    ada = new_customer(frontdesk, "Ada Obi", ["Asthma"])
    frontdesk.call("getCustomersByCondition", {"condition": "asth", "page": 1, "limit": 5})
    entry = last_entry(frontdesk)
    assert (entry.action, entry.user, entry.entity_type, entry.outcome) == (
        "segment",
        "femi",
        "customer",
        "success",
    )
    assert json.loads(entry.detail) == {
        "segment": "condition",
        "params": {"condition": "asth"},
        "page": 1,
        "shown": 1,
        "total": 1,
        "customerIds": [ada],
    }


# -- shared paging and param validation of the segments -------------------------------------
SEGMENTS = [
    ("getCustomersByCondition", {"condition": "asthma"}),
    ("getCustomersWithUpcomingRefills", {"days": 7}),
    ("getHighValueCustomers", {"minSpend": 0}),
]


@pytest.mark.parametrize(("name", "params"), SEGMENTS)
@pytest.mark.parametrize(
    ("paging", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": "1"}, "page"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": 2.5}, "limit"),
        ({"sort": "name"}, "sort"),
    ],
)
def test_segment_paging_validation(
    frontdesk: DeskSession,
    name: str,
    params: dict[str, Any],
    paging: dict[str, Any],
    field: str,
) -> None:
    error = refused(frontdesk, name, {**params, **paging})
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert last_entry(frontdesk).action == "signIn"  # a refusal wrote nothing


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("getCustomersByCondition", {}, "condition"),
        ("getCustomersByCondition", {"condition": None}, "condition"),
        ("getCustomersByCondition", {"condition": "  "}, "condition"),
        ("getCustomersByCondition", {"condition": 5}, "condition"),
        ("getCustomersByCondition", {"condition": "x" * 121}, "condition"),
        ("getCustomersWithUpcomingRefills", {}, "days"),
        ("getCustomersWithUpcomingRefills", {"days": -1}, "days"),
        ("getCustomersWithUpcomingRefills", {"days": 366}, "days"),
        ("getCustomersWithUpcomingRefills", {"days": "7"}, "days"),
        ("getCustomersWithUpcomingRefills", {"days": True}, "days"),
        ("getHighValueCustomers", {}, "minSpend"),
        ("getHighValueCustomers", {"minSpend": -1}, "minSpend"),
        ("getHighValueCustomers", {"minSpend": "1000"}, "minSpend"),
        ("getHighValueCustomers", {"minSpend": 10.5}, "minSpend"),
        ("getHighValueCustomers", {"minSpend": 5, "days": 3}, "days"),
    ],
)
def test_segment_param_validation(
    frontdesk: DeskSession, name: str, params: dict[str, Any], field: str
) -> None:
    error = refused(frontdesk, name, params)
    assert (error.code, error.field) == (VALIDATION_ERROR, field)


# -- getCustomersWithUpcomingRefills --------------------------------------------------------
def test_refills_window_statuses_and_shape(admin: DeskSession) -> None:
    plan = new_plan(admin, "Diabetes Monthly")
    other = new_plan(admin, "Hypertension Care")
    due_today = new_customer(admin, "Ada Obi")
    overdue = new_customer(admin, "Bola Ade")
    in_week = new_customer(admin, "Chidi Eze")
    later = new_customer(admin, "Dayo Ojo")
    paused = new_customer(admin, "Efe Uche")
    subscribe(admin, due_today, plan, TODAY, "active")
    overdue_sub = subscribe(admin, overdue, plan, TODAY - dt.timedelta(days=10), "active")
    week_sub = subscribe(admin, in_week, other, TODAY + dt.timedelta(days=7), "active")
    subscribe(admin, later, plan, TODAY + dt.timedelta(days=8), "active")
    subscribe(admin, paused, plan, TODAY, "paused")
    subscribe(admin, paused, other, TODAY, "pendingReview")
    subscribe(admin, paused, other, TODAY - dt.timedelta(days=1), "cancelled")

    answer = admin.call("getCustomersWithUpcomingRefills", {"days": 7})
    assert ids(answer) == [overdue, due_today, in_week]
    assert answer["total"] == 3 and answer["hasMore"] is False
    rows = {row["id"]: row for row in answer["customers"]}
    assert rows[overdue]["upcomingRefills"] == [
        {
            "subscriptionId": overdue_sub,
            "planId": f"PLAN-{plan}",
            "planName": "Diabetes Monthly",
            "nextDelivery": "2026-04-08",
        }
    ]
    assert rows[in_week]["upcomingRefills"][0]["subscriptionId"] == week_sub
    # Apart from upcomingRefills, the row is the fetchCustomers row.
    listed = fetch_rows(admin)
    for customer_id, row in rows.items():
        assert {k: v for k, v in row.items() if k != "upcomingRefills"} == listed[customer_id]

    assert ids(admin.call("getCustomersWithUpcomingRefills", {"days": 0})) == [overdue, due_today]
    assert ids(admin.call("getCustomersWithUpcomingRefills", {"days": 8}))[-1] == later
    assert admin.call("getCustomersWithUpcomingRefills", {"days": 365})["total"] == 4


def test_refills_list_each_customer_once_earliest_first(admin: DeskSession) -> None:
    plans = [new_plan(admin, f"Plan {n}") for n in range(3)]
    ada = new_customer(admin, "Ada Obi")
    subs = [
        subscribe(admin, ada, plans[0], TODAY + dt.timedelta(days=5), "active"),
        subscribe(admin, ada, plans[1], TODAY + dt.timedelta(days=2), "active"),
        subscribe(admin, ada, plans[2], TODAY + dt.timedelta(days=2), "active"),
        subscribe(admin, ada, plans[0], TODAY + dt.timedelta(days=30), "active"),
    ]
    answer = admin.call("getCustomersWithUpcomingRefills", {"days": 14})
    assert answer["total"] == 1
    (row,) = answer["customers"]
    assert [r["subscriptionId"] for r in row["upcomingRefills"]] == [subs[1], subs[2], subs[0]]
    assert [r["nextDelivery"] for r in row["upcomingRefills"]] == [
        "2026-04-20",
        "2026-04-20",
        "2026-04-23",
    ]


def test_refills_order_and_paging(admin: DeskSession) -> None:
    plan = new_plan(admin, "Diabetes Monthly")
    people: dict[str, str] = {}
    for name, days in [
        ("Zainab Bello", 1),
        ("Ade Obi", 3),
        ("ade Obi", 3),
        ("Bola Ade", 3),
        ("Chidi Eze", -2),
        ("Dayo Ojo", 0),
        ("Efe Uche", 1),
    ]:
        people[name] = new_customer(admin, name)
        subscribe(admin, people[name], plan, TODAY + dt.timedelta(days=days), "active")
    # A later delivery does not move a customer whose earliest one is sooner.
    subscribe(admin, people["Zainab Bello"], plan, TODAY + dt.timedelta(days=6), "active")
    gone = new_customer(admin, "Gone Away")
    subscribe(admin, gone, plan, TODAY, "active")
    archive(admin, gone)
    expected = [
        people["Chidi Eze"],
        people["Dayo Ojo"],
        people["Efe Uche"],
        people["Zainab Bello"],
        people["Ade Obi"],
        people["ade Obi"],
        people["Bola Ade"],
    ]
    answer = admin.call("getCustomersWithUpcomingRefills", {"days": 7, "limit": 100})
    assert ids(answer) == expected
    for limit in (1, 2, 3, 4):
        assert all_pages(admin, "getCustomersWithUpcomingRefills", {"days": 7}, limit) == (expected)
    second = admin.call("getCustomersWithUpcomingRefills", {"days": 7, "page": 2, "limit": 3})
    assert [len(r["upcomingRefills"]) for r in second["customers"]] == [2, 1, 1]


def test_refills_follow_the_branch_local_date(admin: DeskSession, clock: Any) -> None:
    plan = new_plan(admin, "Diabetes Monthly")
    ada = new_customer(admin, "Ada Obi")
    subscribe(admin, ada, plan, dt.date(2026, 4, 19), "active")
    assert admin.call("getCustomersWithUpcomingRefills", {"days": 0})["total"] == 0
    clock.moment = dt.datetime(2026, 4, 18, 23, 0, tzinfo=dt.UTC)  # midnight in Lagos
    assert ids(admin.call("getCustomersWithUpcomingRefills", {"days": 0})) == [ada]


def test_refills_are_audited(frontdesk: DeskSession) -> None:
    frontdesk.call("getCustomersWithUpcomingRefills", {"days": 30, "page": 2})
    entry = last_entry(frontdesk)
    assert entry.action == "segment"
    assert json.loads(entry.detail) == {
        "segment": "upcomingRefills",
        "params": {"days": 30},
        "page": 2,
        "shown": 0,
        "total": 0,
        "customerIds": [],
    }


# -- getHighValueCustomers ------------------------------------------------------------------
def test_high_value_threshold_order_and_shape(admin: DeskSession) -> None:
    low = new_customer(admin, "Ada Obi", spent=49_999)
    edge = new_customer(admin, "Bola Ade", spent=50_000)
    top = new_customer(admin, "Chidi Eze", spent=250_000)
    tie_b = new_customer(admin, "Zainab Bello", spent=80_000)
    tie_a = new_customer(admin, "Émeka Nwosu", spent=80_000)
    tie_a2 = new_customer(admin, "emeka nwosu", spent=80_000)
    none = new_customer(admin, "Dayo Ojo")
    gone = new_customer(admin, "Gone Away", spent=900_000)
    archive(admin, gone)

    answer = admin.call("getHighValueCustomers", {"minSpend": 50_000})
    assert ids(answer) == [top, tie_a, tie_a2, tie_b, edge]
    assert [row["totalSpent"] for row in answer["customers"]] == [
        250_000,
        80_000,
        80_000,
        80_000,
        50_000,
    ]
    listed = fetch_rows(admin)
    for row in answer["customers"]:
        assert {k: v for k, v in row.items() if k != "totalSpent"} == listed[row["id"]]
    everyone = admin.call("getHighValueCustomers", {"minSpend": 0, "limit": 100})
    assert ids(everyone)[-2:] == [low, none]
    assert everyone["total"] == 7
    assert admin.call("getHighValueCustomers", {"minSpend": 250_001})["total"] == 0
    expected = ids(everyone)
    for limit in (1, 3, 4):
        assert all_pages(admin, "getHighValueCustomers", {"minSpend": 0}, limit) == expected


def test_high_value_is_audited(pharmacist: DeskSession) -> None:
    pharmacist.call("getHighValueCustomers", {"minSpend": 1000, "limit": 10})
    entry = last_entry(pharmacist)
    assert (entry.action, entry.user) == ("segment", "ngozi")
    assert json.loads(entry.detail) == {
        "segment": "highValue",
        "params": {"minSpend": 1000},
        "page": 1,
        "shown": 0,
        "total": 0,
        "customerIds": [],
    }


# -- getCampaignAudience --------------------------------------------------------------------
def test_campaign_audience_only_lists_consented_customers(pharmacist: DeskSession) -> None:
    yes_a = new_customer(pharmacist, "Ada Obi", ["Asthma"], consent=True)
    new_customer(pharmacist, "Bola Ade", ["Asthma"])
    yes_c = new_customer(pharmacist, "Chidi Eze", ["Asthma"], consent=True)
    withdrew = new_customer(pharmacist, "Dayo Ojo", ["Asthma"], consent=True)
    pharmacist.call("setMarketingConsent", {"customerId": withdrew, "consent": False})
    new_customer(pharmacist, "Efe Uche", ["Diabetes"], consent=True)

    answer = pharmacist.call("getCampaignAudience", {"segment": "condition", "condition": "asth"})
    assert ids(answer) == [yes_a, yes_c]
    assert answer["total"] == 2 and answer["excludedWithoutConsent"] == 2
    assert answer["hasMore"] is False and answer["page"] == 1
    assert answer["customers"][0] == fetch_rows(pharmacist)[yes_a]

    page2 = pharmacist.call(
        "getCampaignAudience", {"segment": "condition", "condition": "asth", "limit": 1, "page": 2}
    )
    assert ids(page2) == [yes_c] and page2["hasMore"] is False
    assert page2["excludedWithoutConsent"] == 2


def test_campaign_audience_for_each_segment(admin: DeskSession) -> None:
    plan = new_plan(admin, "Diabetes Monthly")
    rich_yes = new_customer(admin, "Ada Obi", consent=True, spent=90_000)
    rich_no = new_customer(admin, "Bola Ade", spent=95_000)
    due_yes = new_customer(admin, "Chidi Eze", consent=True)
    due_no = new_customer(admin, "Dayo Ojo")
    sub = subscribe(admin, due_yes, plan, TODAY + dt.timedelta(days=1), "active")
    subscribe(admin, due_no, plan, TODAY, "active")
    subscribe(admin, rich_no, plan, TODAY, "paused")

    refills = admin.call("getCampaignAudience", {"segment": "upcomingRefills", "days": 3})
    assert ids(refills) == [due_yes] and refills["excludedWithoutConsent"] == 1
    assert refills["customers"][0]["upcomingRefills"][0]["subscriptionId"] == sub

    high = admin.call("getCampaignAudience", {"segment": "highValue", "minSpend": 50_000})
    assert ids(high) == [rich_yes] and high["excludedWithoutConsent"] == 1
    assert high["customers"][0]["totalSpent"] == 90_000
    assert rich_no not in ids(high)


def test_campaign_audience_is_audited_as_export(pharmacist: DeskSession) -> None:
    ada = new_customer(pharmacist, "Ada Obi", consent=True, spent=10)
    new_customer(pharmacist, "Bola Ade", spent=10)
    pharmacist.call("getCampaignAudience", {"segment": "highValue", "minSpend": 5, "limit": 10})
    entry = last_entry(pharmacist)
    assert (entry.action, entry.user, entry.entity_type) == ("export", "ngozi", "customer")
    assert json.loads(entry.detail) == {
        "kind": "campaignAudience",
        "segment": "highValue",
        "params": {"minSpend": 5},
        "page": 1,
        "shown": 1,
        "total": 1,
        "excludedWithoutConsent": 1,
        "customerIds": [ada],  # only those shown: not the one without consent
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "segment"),
        ({"segment": "vip", "minSpend": 5}, "segment"),
        ({"segment": "condition"}, "condition"),
        ({"segment": "upcomingRefills"}, "days"),
        ({"segment": "highValue"}, "minSpend"),
        ({"segment": "highValue", "minSpend": 5, "days": 7}, "days"),
        ({"segment": "condition", "condition": "asthma", "minSpend": 5}, "minSpend"),
        ({"segment": "upcomingRefills", "days": 7, "condition": "asthma"}, "condition"),
        ({"segment": "upcomingRefills", "days": 400}, "days"),
        ({"segment": "highValue", "minSpend": -5}, "minSpend"),
        ({"segment": "condition", "condition": ""}, "condition"),
        ({"segment": "highValue", "minSpend": 5, "limit": 101}, "limit"),
        ({"segment": "highValue", "minSpend": 5, "format": "csv"}, "format"),
    ],
)
def test_campaign_audience_validation(
    pharmacist: DeskSession, params: dict[str, Any], field: str
) -> None:
    error = refused(pharmacist, "getCampaignAudience", params)
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert last_entry(pharmacist).action == "signIn"


def test_campaign_audience_is_for_pharmacists_and_admins(
    frontdesk: DeskSession, pharmacist: DeskSession, admin: DeskSession
) -> None:
    params = {"segment": "highValue", "minSpend": 0}
    error = refused(frontdesk, "getCampaignAudience", params)
    assert error.code == PERMISSION_DENIED
    entry = last_entry(frontdesk)
    assert (entry.action, entry.outcome, entry.user) == ("denied", "denied", "femi")
    assert json.loads(entry.detail) == {"operation": "getCampaignAudience"}
    assert pharmacist.call("getCampaignAudience", params)["total"] == 0
    assert admin.call("getCampaignAudience", params)["total"] == 0


# -- with the real enrollment and order operations --------------------------------------
def test_segments_follow_enrollments_and_orders(admin: DeskSession) -> None:
    """The counters and next deliveries that the segments read are kept by other operations."""
    plan = admin.call(
        "addPlan",
        {
            "name": "Diabetes Monthly",
            "medications": ["Metformin 500mg"],
            "frequency": "monthly",
            "price": 15000,
        },
    )["planId"]
    ada = new_customer(admin, "Ada Obi", ["Diabetes Type 2"])
    enrolled = admin.call("addCustomerPlan", {"customerId": ada, "planId": plan})
    assert enrolled["nextDelivery"] == "2026-04-18"
    refills = admin.call("getCustomersWithUpcomingRefills", {"days": 0})
    assert ids(refills) == [ada]
    assert (
        refills["customers"][0]["upcomingRefills"][0]["subscriptionId"]
        == (enrolled["subscriptionId"])
    )
    assert refills["customers"][0]["planCount"] == 1

    admin.call("recordOrder", {"customerId": ada, "total": 15000})
    admin.call(
        "recordOrder",
        {"customerId": ada, "total": 30000, "subscriptionId": enrolled["subscriptionId"]},
    )
    admin.call("recordOrder", {"customerId": ada, "total": 99000, "status": "pending"})
    high = admin.call("getHighValueCustomers", {"minSpend": 45000})
    assert ids(high) == [ada] and high["customers"][0]["totalSpent"] == 45000
    assert admin.call("getHighValueCustomers", {"minSpend": 45001})["total"] == 0
    # The completed delivery moved the next one a month on: no longer due this week.
    assert admin.call("getCustomersWithUpcomingRefills", {"days": 7})["total"] == 0
    assert ids(admin.call("getCustomersWithUpcomingRefills", {"days": 30})) == [ada]
