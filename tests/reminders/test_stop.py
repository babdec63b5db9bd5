"""recordReply: STOP withdraws marketing everywhere (and reminders on the channel it came
by), the phone is suppressed for good: through record changes, archiving and re-import,
until written consent. HELP and other replies are logged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pharmdesk.controllers.reminders.replies import reply_action
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import VALIDATION_ERROR
from pharmdesk.store.schema import MessageReply
from tests.reminders.helpers import customer, entries, grant, refused
from tests.reminders.test_consent import current

PHONE = "08031112222"
E164 = "+2348031112222"


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("STOP", "optOut"),
        ("stop", "optOut"),
        (" Stop all ", "optOut"),
        ("STOP ALL!", "optOut"),
        ("unsubscribe", "optOut"),
        ("End", "optOut"),
        ("QUIT.", "optOut"),
        ("Stop sending me this", "optOut"),
        ("HELP", "help"),
        ("help me please", "help"),
        ("Thank you, I will come", "none"),
        ("The end of the month is fine", "none"),
        ("", "none"),
    ],
)
def test_reply_words(text: str, action: str) -> None:
    assert reply_action(text) == action


def test_stop_withdraws_marketing_everywhere_for_everyone_on_the_phone(
    frontdesk: DeskSession, admin: DeskSession
) -> None:
    mum = customer(frontdesk, "Funmi Ade", PHONE, marketingConsent=True)
    son = customer(frontdesk, "Tobi Ade", PHONE)
    other = customer(frontdesk, "Yemi Ola", "08039998888", marketingConsent=True)
    grant(frontdesk, son, "whatsapp", "marketing")
    grant(frontdesk, mum, "sms")  # reminders by SMS
    grant(frontdesk, mum, "whatsapp")  # reminders by WhatsApp
    answer = frontdesk.call(
        "recordReply", {"phone": "0803 111 2222", "text": "Stop", "channel": "sms"}
    )
    assert answer == {"success": True, "action": "optOut", "customerIds": sorted([mum, son])}
    for who in (mum, son):
        now = current(frontdesk, who)
        assert not any(
            now["marketing", ch]["granted"] for ch in ("sms", "whatsapp", "email", "call")
        )
        view = frontdesk.call("viewProviderCustomerDetails", {"customerId": who})
        assert view["marketingConsent"] is False
    mum_now = current(frontdesk, mum)
    assert mum_now["reminders", "sms"]["granted"] is False  # STOP came by SMS
    assert mum_now["reminders", "sms"]["method"] == "reply"
    assert mum_now["reminders", "whatsapp"]["granted"] is True  # untouched
    assert current(frontdesk, other)["marketing", "sms"]["granted"] is True
    got = frontdesk.call("getConsents", {"customerId": mum})
    assert got["suppressed"] == {"since": "2026-04-18T12:00:00Z", "source": "reply"}
    replies = [d for _e, d in entries(admin, "message") if d.get("kind") == "reply"]
    assert replies == [{"kind": "reply", "action": "optOut", "customerIds": sorted([mum, son])}]
    stops = [e.entity_id for e, d in entries(admin, "consent") if d.get("kind") == "stop"]
    assert sorted(stops) == sorted([mum, son])


def test_a_suppressed_phone_cannot_be_given_marketing_again_except_in_writing(
    admin: DeskSession,
) -> None:
    mum = customer(admin, "Funmi Ade", PHONE, marketingConsent=True)
    admin.call("recordReply", {"phone": E164, "text": "STOP", "channel": "whatsapp"})
    error = refused(admin, "setMarketingConsent", {"customerId": mum, "consent": True})
    assert (error.code, error.field) == (VALIDATION_ERROR, "consent")
    assert "STOP received 2026-04-18" in error.message
    error = refused(admin, "updateProviderCustomer", {"customerId": mum, "marketingConsent": True})
    assert (error.code, error.field) == (VALIDATION_ERROR, "marketingConsent")
    base = {"customerId": mum, "purpose": "marketing", "channel": "sms", "granted": True}
    for method in ("verbal", "form", "import", "reply"):
        error = refused(admin, "setConsent", {**base, "method": method})
        assert (error.code, error.field) == (VALIDATION_ERROR, "granted")
    # Reminders are care, not marketing: STOP does not block asking for them again.
    grant(admin, mum, "sms")
    # Written consent lifts the suppression, and says so in the audit log.
    admin.call("setConsent", {**base, "method": "written", "note": "Signed at the counter"})
    assert admin.call("getConsents", {"customerId": mum})["suppressed"] is None
    lifted = [d for _e, d in entries(admin, "consent") if d.get("suppressionLifted")]
    assert len(lifted) == 1
    admin.call("setMarketingConsent", {"customerId": mum, "consent": True})


def test_stop_outlives_record_changes_archiving_and_reimport(admin: DeskSession) -> None:
    mum = customer(admin, "Funmi Ade", PHONE)
    admin.call("recordReply", {"phone": PHONE, "text": "UNSUBSCRIBE", "channel": "sms"})
    # The record is emptied of this phone and archived (what erasure leaves behind).
    admin.call(
        "updateProviderCustomer",
        {"customerId": mum, "name": "Erased customer", "phone": "08030000001"},
    )
    admin.call("archiveCustomer", {"customerId": mum})
    # Typed in again...
    error = refused(
        admin,
        "addProviderCustomer",
        {"name": "Funmi Ade", "phone": PHONE, "marketingConsent": True},
    )
    assert (error.code, error.field) == (VALIDATION_ERROR, "marketingConsent")
    # ...or imported again: that row is refused, the others go in.
    rows = [
        {"row": 2, "customer": {"name": "Funmi Ade", "phone": PHONE, "marketingConsent": True}},
        {
            "row": 3,
            "customer": {"name": "Kola Ade", "phone": "08035556666", "marketingConsent": True},
        },
    ]
    results = admin.call("importCustomers", {"importId": "IMP-2", "rows": rows})["results"]
    assert results[0]["outcome"] == "error"
    assert results[1]["outcome"] == "created"
    # Without marketing the person can be registered as usual.
    again = customer(admin, "Funmi Ade", PHONE)
    error = refused(admin, "setMarketingConsent", {"customerId": again, "consent": True})
    assert error.field == "consent"


def test_help_and_other_replies_are_logged(frontdesk: DeskSession) -> None:
    mum = customer(frontdesk, "Funmi Ade", PHONE, marketingConsent=True)
    assert frontdesk.call("recordReply", {"phone": PHONE, "text": "HELP", "channel": "sms"}) == {
        "success": True,
        "action": "help",
        "customerIds": [mum],
    }
    assert (
        frontdesk.call(
            "recordReply", {"phone": PHONE, "text": "Thanks, coming Monday", "channel": "whatsapp"}
        )["action"]
        == "none"
    )
    assert current(frontdesk, mum)["marketing", "sms"]["granted"] is True
    with frontdesk.db.transaction() as tx:
        logged = [
            (r.action, r.channel, r.body, r.recorded_by)
            for r in tx.scalars(select(MessageReply).order_by(MessageReply.id))
        ]
    assert logged == [
        ("help", "sms", "HELP", "femi"),
        ("none", "whatsapp", "Thanks, coming Monday", "femi"),
    ]


def test_stop_from_an_unknown_phone_is_still_remembered(admin: DeskSession) -> None:
    answer = admin.call("recordReply", {"phone": PHONE, "text": "stop", "channel": "sms"})
    assert answer == {"success": True, "action": "optOut", "customerIds": []}
    error = refused(
        admin,
        "addProviderCustomer",
        {"name": "New Person", "phone": PHONE, "marketingConsent": True},
    )
    assert error.field == "marketingConsent"


def test_reply_validation(admin: DeskSession) -> None:
    error = refused(admin, "recordReply", {"phone": "123", "text": "STOP", "channel": "sms"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "phone")
    error = refused(admin, "recordReply", {"phone": PHONE, "text": "STOP", "channel": "email"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "channel")
    error = refused(admin, "recordReply", {"phone": PHONE, "text": "x" * 481, "channel": "sms"})
    assert (error.code, error.field) == (VALIDATION_ERROR, "text")
