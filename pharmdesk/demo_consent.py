"""Demo data for reminders: each customer's marketing consent as per-channel records, refill
reminder consent for most customers on a plan (by SMS, some by WhatsApp), and a spread of
reminder languages. Set-based SQL after the bulk load, deterministic by customer id, so a
seeded demo stays the same database every time."""

from __future__ import annotations

from sqlalchemy import Connection, text

from pharmdesk.controllers.consent.records import CHANNELS, wording_version

_CHANNELS = " UNION ALL ".join(f"SELECT '{c}' AS channel" for c in CHANNELS)


def add_demo_consents(conn: Connection, user: str) -> None:
    params = {
        "user": user,
        "marketing": wording_version("marketing"),
        "reminders": wording_version("reminders"),
    }
    conn.execute(
        text(
            "INSERT INTO consent_record (customer_id, purpose, channel, granted, method, "
            "wording_version, note, recorded_at, recorded_by) "
            "SELECT e.customer_id, 'marketing', ch.channel, e.consent, 'form', :marketing, "
            f"NULL, e.recorded_at, :user FROM consent_event e CROSS JOIN ({_CHANNELS}) ch "
            "ORDER BY e.id, ch.channel"
        ),
        params,
    )
    # Six in ten customers with a plan agreed to reminders by SMS, four in ten by WhatsApp.
    for channel, rule in (
        ("sms", "c.id % 10 < 6"),
        ("whatsapp", "c.id % 10 >= 3 AND c.id % 10 < 7"),
    ):
        conn.execute(
            text(
                "INSERT INTO consent_record (customer_id, purpose, channel, granted, method, "
                "wording_version, note, recorded_at, recorded_by) "
                f"SELECT c.id, 'reminders', '{channel}', 1, 'written', :reminders, NULL, "
                "c.created_at, :user FROM customer c "
                f"WHERE c.active_plans > 0 AND {rule} ORDER BY c.id"
            ),
            params,
        )
    conn.execute(
        text(
            "INSERT INTO customer_consent (customer_id, purpose, channel, granted, record_id) "
            "SELECT r.customer_id, r.purpose, r.channel, r.granted, r.id FROM consent_record r "
            "WHERE r.id = (SELECT MAX(x.id) FROM consent_record x WHERE x.customer_id = "
            "r.customer_id AND x.purpose = r.purpose AND x.channel = r.channel)"
        )
    )
    conn.execute(
        text(
            "UPDATE customer SET language = CASE id % 20 WHEN 0 THEN 'yo' WHEN 1 THEN 'ha' "
            "WHEN 2 THEN 'ig' WHEN 3 THEN 'pcm' WHEN 4 THEN 'pcm' ELSE 'en' END"
        )
    )
