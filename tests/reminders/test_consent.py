"""setConsent / getConsents / setMarketingConsent: per purpose and channel, with history,
proof (method, wording version, who, when), the marketing summary, and the audit."""

from __future__ import annotations

import pytest

from pharmdesk.controllers.consent.records import wording_version
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import ARCHIVED, NOT_FOUND, VALIDATION_ERROR
from tests.reminders.helpers import customer, entries, grant, refused, withdraw


def current(desk: DeskSession, customer_id: str) -> dict[tuple[str, str], dict]:
    answer = desk.call("getConsents", {"customerId": customer_id})
    return {(c["purpose"], c["channel"]): c for c in answer["current"]}


def test_set_consent_records_proof_and_history(frontdesk: DeskSession, clock) -> None:
    cust = customer(frontdesk, "Adebayo Okafor", "08031234567")
    answer = frontdesk.call(
        "setConsent",
        {
            "customerId": cust,
            "purpose": "reminders",
            "channel": "whatsapp",
            "granted": True,
            "method": "written",
            "note": "Signed the  reminder form",
        },
    )
    assert answer == {
        "success": True,
        "consent": {
            "purpose": "reminders",
            "channel": "whatsapp",
            "granted": True,
            "recordedAt": "2026-04-18T12:00:00Z",
            "recordedBy": "femi",
            "method": "written",
            "wordingVersion": wording_version("reminders"),
        },
    }
    clock.advance(hours=2)
    withdraw(frontdesk, cust, "whatsapp")
    got = frontdesk.call("getConsents", {"customerId": cust})
    assert len(got["current"]) == 8  # every purpose x channel, asked or not
    now = {(c["purpose"], c["channel"]): c for c in got["current"]}
    assert now["reminders", "whatsapp"]["granted"] is False
    assert now["reminders", "whatsapp"]["recordedAt"] == "2026-04-18T14:00:00Z"
    assert now["reminders", "sms"] == {
        "purpose": "reminders",
        "channel": "sms",
        "granted": False,
        "recordedAt": None,
        "recordedBy": None,
        "method": None,
        "wordingVersion": None,
    }
    history = got["history"]
    assert [(h["granted"], h["method"], h["recordedAt"]) for h in history] == [
        (False, "verbal", "2026-04-18T14:00:00Z"),
        (True, "written", "2026-04-18T12:00:00Z"),
    ]
    assert history[1]["note"] == "Signed the reminder form"
    assert got["suppressed"] is None
    # Each change counts as a change to the customer record.
    assert frontdesk.call("viewProviderCustomerDetails", {"customerId": cust})["version"] == 3


def test_set_consent_is_audited_with_old_and_new(
    frontdesk: DeskSession, admin: DeskSession
) -> None:
    cust = customer(frontdesk, "Ngozi Eze", "08031234568")
    grant(frontdesk, cust, "sms")
    ((entry, detail),) = entries(admin, "consent")
    assert (entry.user, entry.entity_id, entry.outcome) == ("femi", cust, "success")
    assert detail == {
        "purpose": "reminders",
        "channel": "sms",
        "old": False,
        "new": True,
        "method": "verbal",
        "wordingVersion": wording_version("reminders"),
    }
    frontdesk.call("getConsents", {"customerId": cust})
    views = [d for _e, d in entries(admin, "view")]
    assert {"part": "consents"} in views


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"purpose": "sales"}, "purpose"),
        ({"channel": "telegram"}, "channel"),
        ({"method": "guess"}, "method"),
        ({"granted": "yes"}, "granted"),
        ({"note": 5}, "note"),
        ({"customerId": "PLAN-1"}, "customerId"),
        ({"extra": 1}, "extra"),
    ],
)
def test_set_consent_refuses_bad_params(admin: DeskSession, params: dict, field: str) -> None:
    cust = customer(admin, "Bola Ade", "08031234569")
    base = {
        "customerId": cust,
        "purpose": "reminders",
        "channel": "sms",
        "granted": True,
        "method": "verbal",
    }
    error = refused(admin, "setConsent", {**base, **params})
    assert (error.code, error.field) == (VALIDATION_ERROR, field)
    assert current(admin, cust)["reminders", "sms"]["granted"] is False


def test_set_consent_unknown_and_archived_customers(admin: DeskSession) -> None:
    base = {"purpose": "reminders", "channel": "sms", "granted": True, "method": "verbal"}
    assert refused(admin, "setConsent", {"customerId": "CUST-999", **base}).code == NOT_FOUND
    assert refused(admin, "getConsents", {"customerId": "CUST-999"}).code == NOT_FOUND
    cust = customer(admin, "Emeka Obi", "08031234570")
    admin.call("archiveCustomer", {"customerId": cust})
    assert refused(admin, "setConsent", {"customerId": cust, **base}).code == ARCHIVED


def test_set_marketing_consent_sets_every_channel(frontdesk: DeskSession) -> None:
    cust = customer(frontdesk, "Chioma Nwosu", "08031234571")
    frontdesk.call("setMarketingConsent", {"customerId": cust, "consent": True})
    now = current(frontdesk, cust)
    for channel in ("sms", "whatsapp", "email", "call"):
        assert now["marketing", channel]["granted"] is True
        assert now["marketing", channel]["recordedBy"] == "femi"
        assert now["reminders", channel]["granted"] is False  # care is asked separately
    # Withdrawn on one channel: the customer still agrees to marketing elsewhere.
    withdraw(frontdesk, cust, "sms", "marketing")
    view = frontdesk.call("viewProviderCustomerDetails", {"customerId": cust})
    assert view["marketingConsent"] is True
    for channel in ("whatsapp", "email", "call"):
        withdraw(frontdesk, cust, channel, "marketing")
    view = frontdesk.call("viewProviderCustomerDetails", {"customerId": cust})
    assert view["marketingConsent"] is False


def test_created_and_imported_consent_is_recorded_per_channel_with_its_method(
    admin: DeskSession,
) -> None:
    typed = customer(admin, "Kemi Ade", "08031234572", marketingConsent=True)
    rows = [
        {
            "row": 2,
            "customer": {"name": "Tunde Ola", "phone": "08031234573", "marketingConsent": True},
        }
    ]
    (result,) = admin.call("importCustomers", {"importId": "IMP-1", "rows": rows})["results"]
    imported = result["customerId"]
    assert {c["method"] for c in current(admin, typed).values() if c["granted"]} == {"form"}
    got = current(admin, imported)
    assert {ch for (purpose, ch), c in got.items() if c["granted"]} == {
        "sms",
        "whatsapp",
        "email",
        "call",
    }
    assert {c["method"] for c in got.values() if c["granted"]} == {"import"}
    assert {c["purpose"] for c in got.values() if c["granted"]} == {"marketing"}


def test_campaign_audience_per_channel(pharmacist: DeskSession) -> None:
    both = customer(pharmacist, "Ada Both", "08031234574", marketingConsent=True)
    sms_only = customer(pharmacist, "Ben Sms", "08031234575")
    customer(pharmacist, "Cy None", "08031234576")
    grant(pharmacist, sms_only, "sms", "marketing")
    for who in (both, sms_only):
        pharmacist.call("recordOrder", {"customerId": who, "total": 5000})
    pharmacist.call("recordOrder", {"customerId": "CUST-3", "total": 5000})
    base = {"segment": "highValue", "minSpend": 1000}
    anywhere = pharmacist.call("getCampaignAudience", base)
    assert (anywhere["total"], anywhere["excludedWithoutConsent"]) == (2, 1)
    on_whatsapp = pharmacist.call("getCampaignAudience", {**base, "channel": "whatsapp"})
    assert [c["id"] for c in on_whatsapp["customers"]] == [both]
    assert on_whatsapp["excludedWithoutConsent"] == 2
    on_sms = pharmacist.call("getCampaignAudience", {**base, "channel": "sms"})
    assert sorted(c["id"] for c in on_sms["customers"]) == sorted([both, sms_only])
    error = refused(pharmacist, "getCampaignAudience", {**base, "channel": "fax"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "channel")


def test_the_data_export_holds_every_consent_record_with_its_proof(admin: DeskSession) -> None:
    cust = customer(admin, "Ada Obi", "08031234577")
    grant(admin, cust, "whatsapp")
    withdraw(admin, cust, "whatsapp")
    exported = admin.call("exportCustomerData", {"customerId": cust})
    assert [(r["channel"], r["granted"], r["method"]) for r in exported["consentRecords"]] == [
        ("whatsapp", True, "verbal"),
        ("whatsapp", False, "verbal"),
    ]
    assert exported["consentRecords"][0]["wordingVersion"] == wording_version("reminders")
