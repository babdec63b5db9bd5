"""fetchAuditLog (filters, keyset paging, branch-local days) and verifyAuditLog (chain and
checkpoint); both are admin-only and audit themselves without disturbing what they show."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import audit
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PERMISSION_DENIED, VALIDATION_ERROR, PharmDeskError
from pharmdesk.store.schema import AuditCustomer, AuditEntry
from tests.conftest import inspection

ENTRY_KEYS = {"id", "at", "user", "action", "entityType", "entityId", "outcome", "detail"}


def refused(desk: DeskSession, name: str, params: Any = None) -> PharmDeskError:
    with pytest.raises(PharmDeskError) as info:
        desk.call(name, params)
    return info.value


def entries(desk: DeskSession) -> list[AuditEntry]:
    with inspection(desk) as tx:
        return list(tx.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def ids(answer: dict[str, Any]) -> list[int]:
    return [int(e["id"].split("-")[1]) for e in answer["entries"]]


def verdict(answer: dict[str, Any]) -> dict[str, Any]:
    """What every verify answer says first (the rest: reason, seals, checkpoints)."""
    return {k: answer[k] for k in ("ok", "checked", "firstBadEntry")}


def add_customer(desk: DeskSession, name: str, phone: str) -> str:
    return str(desk.call("addProviderCustomer", {"name": name, "phone": phone})["customerId"])


# -- fetchAuditLog --------------------------------------------------------------------------
def test_fetch_newest_first_with_the_entry_shape(admin: DeskSession) -> None:
    customer = add_customer(admin, "Ada Obi", "08031234501")
    answer = admin.call("fetchAuditLog")
    assert answer["hasMore"] is False and answer["nextBeforeId"] is None
    got = answer["entries"]
    assert [e["action"] for e in got] == ["create", "signIn", "staff"]
    assert ids(answer) == [3, 2, 1]
    assert all(set(e) == ENTRY_KEYS for e in got)
    assert got[0] == {
        "id": "AUD-3",
        "at": "2026-04-18T12:00:00Z",
        "user": "admin",
        "action": "create",
        "entityType": "customer",
        "entityId": customer,
        "outcome": "success",
        "detail": {"fields": ["name", "phone"]},
    }
    assert got[2]["detail"] == {"event": "init", "role": "admin"}  # parsed, not a string
    assert got[1]["entityType"] is None and got[1]["detail"] == {}


def test_fetch_audits_itself_after_reading(admin: DeskSession) -> None:
    first = admin.call("fetchAuditLog", {"action": "signIn", "user": "ADMIN"})
    assert ids(first) == [2]  # its own entry is not on the page it describes
    last = entries(admin)[-1]
    assert (last.id, last.action, last.user, last.outcome) == (3, "auditView", "admin", "success")
    assert json.loads(last.detail) == {
        "operation": "fetchAuditLog",
        "filters": {"action": "signIn", "user": "admin"},
        "shown": 1,
    }
    again = admin.call("fetchAuditLog")
    assert ids(again)[0] == 3  # the next look shows the previous one
    assert admin.call("verifyAuditLog")["ok"] is True  # and the chain stays sound


def test_keyset_paging_neither_skips_nor_repeats(admin: DeskSession) -> None:
    for n in range(20):
        admin.call("fetchCustomers", {"search": f"name {n}"})
    total = len(entries(admin))  # 22: init, signIn, 20 lists
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 6}
    pages = 0
    while True:
        answer = admin.call("fetchAuditLog", params)
        pages += 1
        assert len(answer["entries"]) <= 6
        seen.extend(ids(answer))
        if not answer["hasMore"]:
            assert answer["nextBeforeId"] is None
            break
        assert answer["nextBeforeId"] == answer["entries"][-1]["id"]
        params = {"limit": 6, "beforeId": answer["nextBeforeId"]}
    # Each page call appended an auditView entry meanwhile; none of them shifted a page.
    assert seen == list(range(total, 0, -1))
    assert pages == 4
    assert len(entries(admin)) == total + pages


def test_exact_last_page_has_no_more(admin: DeskSession) -> None:
    admin.call("fetchCustomers")  # 3 entries: init, signIn, list
    answer = admin.call("fetchAuditLog", {"limit": 3})
    assert ids(answer) == [3, 2, 1]
    assert answer["hasMore"] is False and answer["nextBeforeId"] is None
    answer = admin.call("fetchAuditLog", {"limit": 2, "beforeId": "aud-3"})
    assert ids(answer) == [2, 1] and answer["hasMore"] is False
    answer = admin.call("fetchAuditLog", {"beforeId": "AUD-1"})
    assert answer == {"entries": [], "hasMore": False, "nextBeforeId": None}


def test_default_limit_is_50(admin: DeskSession) -> None:
    for _ in range(55):
        admin.call("fetchCustomers")
    answer = admin.call("fetchAuditLog")
    assert len(answer["entries"]) == 50 and answer["hasMore"] is True
    assert len(admin.call("fetchAuditLog", {"limit": 500})["entries"]) == 58


def test_filter_by_customer(admin: DeskSession) -> None:
    first = add_customer(admin, "Ada Obi", "08031234501")
    second = add_customer(admin, "Bola Ade", "08031234502")
    admin.call("viewProviderCustomerDetails", {"customerId": first})
    admin.call("viewProviderCustomerDetails", {"customerId": second})
    admin.call("viewProviderCustomerDetails", {"customerId": first})
    answer = admin.call("fetchAuditLog", {"customerId": first.lower()})
    assert [(e["action"], e["entityId"]) for e in answer["entries"]] == [
        ("view", first),
        ("view", first),
        ("create", first),
    ]
    assert all(e["entityType"] == "customer" for e in answer["entries"])
    assert admin.call("fetchAuditLog", {"customerId": "CUST-99"})["entries"] == []


def test_filter_by_user_and_action(admin: DeskSession, frontdesk: DeskSession) -> None:
    frontdesk.call("fetchCustomers")
    admin.call("fetchCustomers")
    answer = admin.call("fetchAuditLog", {"user": "femi"})
    assert [e["action"] for e in answer["entries"]] == ["list", "signIn"]
    assert {e["user"] for e in answer["entries"]} == {"femi"}
    answer = admin.call("fetchAuditLog", {"action": "list"})
    assert [e["user"] for e in answer["entries"]] == ["admin", "femi"]
    answer = admin.call("fetchAuditLog", {"action": "list", "user": "femi"})
    assert len(answer["entries"]) == 1
    answer = admin.call("fetchAuditLog", {"action": "auditView"})
    assert len(answer["entries"]) == 3  # the three fetches before this one
    assert admin.call("fetchAuditLog", {"user": "nobody"})["entries"] == []


def test_filter_by_branch_local_days(admin: DeskSession, clock: FixedClock) -> None:
    # Lagos is UTC+1: its 18 April runs from 17 April 23:00Z to 18 April 23:00Z.
    moments = {
        "late17": dt.datetime(2026, 4, 17, 22, 59, 59, tzinfo=dt.UTC),  # local 17th 23:59:59
        "start18": dt.datetime(2026, 4, 17, 23, 0, 0, tzinfo=dt.UTC),  # local 18th 00:00
        "end18": dt.datetime(2026, 4, 18, 22, 59, 59, tzinfo=dt.UTC),  # local 18th 23:59:59
        "start19": dt.datetime(2026, 4, 18, 23, 0, 0, tzinfo=dt.UTC),  # local 19th 00:00
    }
    for label, moment in moments.items():
        clock.moment = moment
        admin.call("fetchCustomers", {"search": label})

    def labels(**params: Any) -> list[str]:
        answer = admin.call("fetchAuditLog", {"action": "list", **params})
        return [e["detail"]["search"] for e in answer["entries"]]

    assert labels(**{"from": "2026-04-18", "to": "2026-04-18"}) == ["end18", "start18"]
    assert labels(**{"from": "2026-04-18"}) == ["start19", "end18", "start18"]
    assert labels(to="2026-04-17") == ["late17"]
    assert labels(**{"from": "2026-04-19", "to": "2026-04-30"}) == ["start19"]
    assert labels(**{"from": "2026-04-20"}) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "50"}, "limit"),
        ({"beforeId": "CUST-4"}, "beforeId"),
        ({"beforeId": "AUD-0"}, "beforeId"),
        ({"beforeId": 4}, "beforeId"),
        ({"customerId": "AUD-3"}, "customerId"),
        ({"customerId": "CUST-x"}, "customerId"),
        ({"user": ""}, "user"),
        ({"user": 3}, "user"),
        ({"action": "signin"}, "action"),
        ({"action": "delete"}, "action"),
        ({"from": "2026-4-18"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-04-19", "to": "2026-04-18"}, "to"),
        ({"page": 2}, "page"),
    ],
)
def test_fetch_validation(admin: DeskSession, params: dict[str, Any], field: str) -> None:
    before = len(entries(admin))
    error = refused(admin, "fetchAuditLog", params)
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert len(entries(admin)) == before  # a refused call writes nothing


# -- verifyAuditLog -------------------------------------------------------------------------
def test_verify_a_sound_chain(admin: DeskSession, store: str) -> None:
    add_customer(admin, "Ada Obi", "08031234501")
    assert admin.call("verifyAuditLog") == {
        "ok": True,
        "checked": 3,
        "firstBadEntry": None,
        "reason": None,
        # A branch server keeps its log append-only itself: no seals there.
        "sealed": 3 if store == "sqlcipher" else 0,
        "checkpoints": [f"file {audit.read_checkpoint(admin.files.checkpoint).code()}"],
    }
    last = entries(admin)[-1]
    assert (last.id, last.action) == (4, "auditView")
    detail = json.loads(last.detail)
    assert detail["operation"] == "verifyAuditLog"
    assert (detail["ok"], detail["checked"]) == (True, 3)
    assert detail["checkpoints"][0].startswith("file AUD-1:")  # written at init
    # Its own entry extends a sound chain.
    assert verdict(admin.call("verifyAuditLog")) == {
        "ok": True,
        "checked": 4,
        "firstBadEntry": None,
    }
    assert admin.call("verifyAuditLog", None)["checked"] == 5
    assert refused(admin, "verifyAuditLog", {"full": True}).field == "full"


def test_verify_finds_an_edited_entry(admin: DeskSession) -> None:
    add_customer(admin, "Ada Obi", "08031234501")
    with inspection(admin) as tx:
        tx.execute(update(AuditEntry).where(AuditEntry.id == 2).values(user="mallory"))
    answer = admin.call("verifyAuditLog")
    assert verdict(answer) == {"ok": False, "checked": 1, "firstBadEntry": "AUD-2"}
    assert answer["reason"] == "an entry was changed"
    detail = json.loads(entries(admin)[-1].detail)
    assert detail["ok"] is False and detail["reason"] == "an entry was changed"


def test_verify_uses_the_checkpoint_beside_the_database(admin: DeskSession, store: str) -> None:
    for _ in range(3):
        admin.call("fetchCustomers")
    admin.write_checkpoint()  # at AUD-5
    # Rewrite the whole chain with consistent hashes after editing entry 2: the checkpoint
    # kept outside the database and the seals can tell.
    with inspection(admin) as tx:
        prev = audit.GENESIS
        for entry in tx.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            if entry.id == 2:
                entry.detail = json.dumps({"forged": True})
                entry.detail_hash = audit.detail_digest(entry.detail)
            entry.prev_hash = prev
            entry.hash = audit.hash_of(entry)
            prev = entry.hash
    with inspection(admin) as tx:
        stored = audit.read_checkpoint(admin.files.checkpoint)
        report = audit.verify_chain(tx, stored)  # hashes only, as a backup check runs
    assert (report.ok, report.checked, report.first_bad_entry) == (False, 4, 5)
    answer = admin.call("verifyAuditLog")
    if store != "sqlcipher":  # no seals on a branch server: the checkpoint tells
        assert verdict(answer) == {"ok": False, "checked": 4, "firstBadEntry": "AUD-5"}
        return
    # The admin's verify also checks the seals: the forged entry itself is named.
    assert verdict(answer) == {"ok": False, "checked": 1, "firstBadEntry": "AUD-2"}
    assert "seal" in answer["reason"]


def test_verify_finds_a_truncated_chain(admin: DeskSession) -> None:
    for _ in range(3):
        admin.call("fetchCustomers")
    admin.write_checkpoint()  # at AUD-5
    with inspection(admin) as tx:
        tx.execute(delete(AuditEntry).where(AuditEntry.id >= 4))
    answer = admin.call("verifyAuditLog")
    assert verdict(answer) == {"ok": False, "checked": 3, "firstBadEntry": "AUD-4"}
    assert answer["reason"] == "the chain was truncated"


@pytest.mark.parametrize("name", ["fetchAuditLog", "verifyAuditLog"])
def test_audit_log_is_for_admins_only(
    frontdesk: DeskSession, pharmacist: DeskSession, name: str
) -> None:
    for desk in (frontdesk, pharmacist):
        assert refused(desk, name).code == PERMISSION_DENIED
        last = entries(desk)[-1]
        assert (last.action, last.outcome, last.user) == ("denied", "denied", desk.staff.username)
        assert json.loads(last.detail) == {"operation": name}


# -- who has seen this customer ---------------------------------------------------------------
def test_lists_record_the_customers_they_showed(admin: DeskSession) -> None:
    ada = add_customer(admin, "Ada Obi", "08031234501")
    bola = add_customer(admin, "Bola Ade", "08031234502")
    admin.call("fetchCustomers", {"search": "ada"})  # shows Ada only
    admin.call("fetchCustomers", {"limit": 1, "page": 2})  # by name: Bola Ade is second
    admin.call("findLikelyDuplicates", {"name": "Ada Obi", "phone": "08031234501"})
    lists = [e for e in entries(admin) if e.action == "list"]
    assert [json.loads(e.detail)["customerIds"] for e in lists] == [[ada], [bola], [ada]]
    with inspection(admin) as tx:
        shown = tx.execute(select(AuditCustomer.entry_id, AuditCustomer.customer_id)).all()
    # The side table holds exactly what the entries name: their entity and customerIds.
    expected = set()
    for entry in entries(admin):
        named = json.loads(entry.detail).get("customerIds", [])
        if entry.entity_type == "customer" and entry.entity_id:
            named = [*named, entry.entity_id]
        expected |= {(entry.id, int(c.split("-")[1])) for c in named}
    assert set(shown) == expected


def test_who_has_seen_this_customer_is_one_query(
    admin: DeskSession, frontdesk: DeskSession
) -> None:
    ada = add_customer(admin, "Ada Obi", "08031234501")
    add_customer(admin, "Bola Ade", "08031234502")
    frontdesk.call("fetchCustomers", {"search": "obi"})
    frontdesk.call("fetchCustomers", {"search": "bola"})  # did not show Ada
    frontdesk.call("getCustomersByCondition", {"condition": "none at all"})
    frontdesk.call("viewProviderCustomerDetails", {"customerId": ada})
    answer = admin.call("fetchAuditLog", {"customerId": ada})
    assert [(e["user"], e["action"]) for e in answer["entries"]] == [
        ("femi", "view"),
        ("femi", "list"),
        ("admin", "create"),
    ]
    assert answer["entries"][1]["detail"]["customerIds"] == [ada]
    # Paging and the other filters work on it as on the whole log.
    first = admin.call("fetchAuditLog", {"customerId": ada, "limit": 1})
    assert first["hasMore"] is True and first["nextBeforeId"] == answer["entries"][0]["id"]
    rest = admin.call(
        "fetchAuditLog", {"customerId": ada, "beforeId": first["nextBeforeId"], "limit": 5}
    )
    assert [e["id"] for e in rest["entries"]] == [e["id"] for e in answer["entries"][1:]]
    only_lists = admin.call("fetchAuditLog", {"customerId": ada, "action": "list"})
    assert [e["user"] for e in only_lists["entries"]] == ["femi"]
