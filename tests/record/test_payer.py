"""setPayer and the order shares: cash or an HMO, member id, cover end, shares that add
up; the profile shows an expired cover."""

from __future__ import annotations

from pharmdesk.controllers.record.payer import known_payers
from pharmdesk.controllers.session import DeskSession
from tests.record.helpers import customer, last_entry, refused


def _payer(desk: DeskSession, cid: str) -> dict | None:
    return desk.call("viewProviderCustomerDetails", {"customerId": cid})["payer"]


def test_the_list_is_nigerian_hmos() -> None:
    names = known_payers()
    assert "Hygeia HMO" in names and "Leadway Health" in names and len(names) >= 20
    assert len(set(names)) == len(names)


def test_an_hmo_from_the_list_and_one_typed(frontdesk: DeskSession, admin: DeskSession) -> None:
    cid = customer(frontdesk, "Ifeoma Nwosu", "08032223333")
    assert _payer(frontdesk, cid) is None
    version = frontdesk.call("viewProviderCustomerDetails", {"customerId": cid})["version"]
    answer = frontdesk.call(
        "setPayer",
        {
            "customerId": cid,
            "payer": "hygeia hmo",
            "memberId": "HYG/2231/01",
            "planName": "Hyprime",
            "validUntil": "2099-12-31",
        },
    )
    assert answer == {"success": True}
    view = frontdesk.call("viewProviderCustomerDetails", {"customerId": cid})
    assert view["payer"] == {
        "payer": "Hygeia HMO",
        "known": True,
        "memberId": "HYG/2231/01",
        "planName": "Hyprime",
        "validUntil": "2099-12-31",
        "expired": False,
    }
    assert view["version"] == version + 1
    entry = last_entry(admin, "payer")
    assert entry["entityId"] == cid
    assert entry["detail"]["changes"]["payer"] == {"old": None, "new": "Hygeia HMO"}
    frontdesk.call(
        "setPayer",
        {
            "customerId": cid,
            "payer": "Ogun Community Health Plan",
            "memberId": "OG-1",
            "validUntil": "2020-01-31",
        },
    )
    assert _payer(frontdesk, cid) == {
        "payer": "Ogun Community Health Plan",
        "known": False,
        "memberId": "OG-1",
        "planName": None,
        "validUntil": "2020-01-31",
        "expired": True,
    }
    frontdesk.call("setPayer", {"customerId": cid, "payer": "Cash"})
    assert _payer(frontdesk, cid) == {
        "payer": "cash",
        "known": True,
        "memberId": None,
        "planName": None,
        "validUntil": None,
        "expired": False,
    }


def test_errors(frontdesk: DeskSession, admin: DeskSession) -> None:
    cid = customer(frontdesk, "Sani Abubakar", "08034445555")
    for params, code, field in [
        ({"customerId": cid}, "VALIDATION_ERROR", "payer"),
        ({"customerId": cid, "payer": "Hygeia HMO"}, "VALIDATION_ERROR", "memberId"),
        ({"customerId": cid, "payer": "cash", "memberId": "X1"}, "VALIDATION_ERROR", "memberId"),
        (
            {"customerId": cid, "payer": "Hygeia HMO", "memberId": "X", "validUntil": "31/12/2026"},
            "VALIDATION_ERROR",
            "validUntil",
        ),
        ({"customerId": cid, "payer": "cash", "memberNo": "1"}, "VALIDATION_ERROR", "memberNo"),
        ({"customerId": "CUST-999", "payer": "cash"}, "NOT_FOUND", "customerId"),
    ]:
        error = refused(frontdesk, "setPayer", params)
        assert (error.code, error.field) == (code, field), params
    admin.call("archiveCustomer", {"customerId": cid})
    assert refused(frontdesk, "setPayer", {"customerId": cid, "payer": "cash"}).code == "ARCHIVED"


def test_orders_record_the_two_shares(frontdesk: DeskSession, admin: DeskSession) -> None:
    cid = customer(frontdesk, "Aisha Bello", "08036667777")
    base = {"customerId": cid, "total": 12000}
    error = refused(frontdesk, "recordOrder", {**base, "payerShare": 9000, "customerShare": 3000})
    assert (error.code, error.field) == ("VALIDATION_ERROR", "payerShare")  # no HMO yet
    frontdesk.call(
        "setPayer",
        {
            "customerId": cid,
            "payer": "Reliance Health",
            "memberId": "RH-77",
            "validUntil": "2099-01-01",
        },
    )
    for params, field in [
        ({"payerShare": 9000}, "customerShare"),
        ({"customerShare": 3000}, "payerShare"),
        ({"payerShare": 9000, "customerShare": 2000}, "payerShare"),
        ({"payerShare": "9000", "customerShare": 3000}, "payerShare"),
        ({"payerShare": -1, "customerShare": 12001}, "payerShare"),
    ]:
        error = refused(frontdesk, "recordOrder", {**base, **params})
        assert (error.code, error.field) == ("VALIDATION_ERROR", field), params
    order = frontdesk.call("recordOrder", {**base, "payerShare": 9000, "customerShare": 3000})
    entry = last_entry(admin, "order")
    assert entry["detail"]["orderId"] == order["orderId"]
    assert (entry["detail"]["payerShare"], entry["detail"]["customerShare"]) == (9000, 3000)
    export = admin.call("exportCustomerData", {"customerId": cid})
    assert export["customer"]["stats"]["totalSpent"] == 12000
    # An expired cover cannot take a share; the customer paying all of it is fine.
    frontdesk.call(
        "setPayer",
        {
            "customerId": cid,
            "payer": "Reliance Health",
            "memberId": "RH-77",
            "validUntil": "2001-01-01",
        },
    )
    error = refused(frontdesk, "recordOrder", {**base, "payerShare": 1, "customerShare": 11999})
    assert "ended on 2001-01-01" in error.message
    frontdesk.call("recordOrder", {**base, "payerShare": 0, "customerShare": 12000})
