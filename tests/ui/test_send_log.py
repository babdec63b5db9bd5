"""The send log in the customer's profile: that customer's messages only, newest first,
with channel, when, status and attempts, stored text shown as plain text."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import plain_tooltip
from pharmdesk.ui.profile_dialog import ProfileDialog
from pharmdesk.ui.send_log import SendLog
from tests.ui.test_reminders_ui import TODAY, due_customer

NOTE = "Provider said <b>rejected</b> & gone"


def texts(log: SendLog, column: int) -> list[str]:
    model = log.model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def test_the_profile_shows_the_customers_messages_newest_first(
    qtbot, qtmodeltester, signed_in_desk: DeskContext
) -> None:
    desk = signed_in_desk
    ada = due_customer(desk, "Ada Obi", "08031234567", "sms")
    due_customer(desk, "Ben Eze", "08031234568", "sms")  # someone else's message
    desk.call(
        "setConsent",
        {
            "customerId": ada,
            "purpose": "reminders",
            "channel": "whatsapp",
            "granted": True,
            "method": "verbal",
        },
    )
    desk.call("queueReminders", {"days": 7, "channel": "sms"})  # MSG-1 Ada, MSG-2 Ben
    # A second plan of Ada's, due later, reminded on WhatsApp.
    plan = desk.call(
        "addPlan",
        {"name": "Sugar Care", "medications": ["Metformin"], "frequency": "monthly", "price": 9},
    )["planId"]
    start = (TODAY + dt.timedelta(days=5)).isoformat()
    desk.call("addCustomerPlan", {"customerId": ada, "planId": plan, "startDate": start})
    desk.call("queueReminders", {"days": 7, "channel": "whatsapp"})  # MSG-3 Ada
    claimed = desk.call("claimOutboxMessage", {"channel": "sms", "messageId": "MSG-1"})
    assert claimed["message"]["id"] == "MSG-1"
    desk.call("updateMessageStatus", {"messageId": "MSG-1", "status": "failed", "detail": NOTE})

    dialog = ProfileDialog(desk, ada)
    qtbot.addWidget(dialog)
    dialog.resize(900, 700)
    dialog.show()
    log = dialog.send_log
    qtmodeltester.check(log.model)
    assert [m["id"] for m in log.model._rows] == ["MSG-3", "MSG-1"]
    assert texts(log, 1) == ["WhatsApp", "SMS"]
    assert texts(log, 2) == ["Queued", "Failed"]
    assert texts(log, 3) == ["0", "1"]
    assert log.summary.text() == "2 messages, newest first."
    # The provider's note: literal in the tooltip, never rendered as markup.
    note = log.model.index(1, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert note == plain_tooltip(NOTE) and "&lt;b&gt;rejected&lt;/b&gt; &amp;" in note
    message = log.model.index(0, 5).data(Qt.ItemDataRole.DisplayRole)
    assert message.startswith("Ada") or "Ada" in message
    assert log.table.isVisibleTo(dialog)


def test_a_customer_without_messages(qtbot, signed_in_desk: DeskContext) -> None:
    desk = signed_in_desk
    cust = desk.call("addProviderCustomer", {"name": "Chi Ude", "phone": "08031234569"})
    dialog = ProfileDialog(desk, cust["customerId"])
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.send_log.summary.text() == "No reminders or messages yet."
    assert not dialog.send_log.table.isVisibleTo(dialog)
