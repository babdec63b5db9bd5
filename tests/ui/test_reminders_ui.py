"""The consent grid, the Outbox tab, the WhatsApp QR dialog, the SMS export and the
template editor, driven as staff would and checked against the database."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from pharmdesk.store.schema import ConsentRecord, OutboxMessage, Setting
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.outbox.panel import OutboxPanel
from pharmdesk.ui.outbox_export import EXPORTED
from pharmdesk.ui.profile_dialog import ProfileDialog
from pharmdesk.ui.template_editor import TemplateEditor
from pharmdesk.ui.whatsapp_dialog import WhatsAppDialog

TODAY = dt.date(2026, 4, 18)


def rows(desk: DeskContext, table: Any) -> list[Any]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        found = list(tx.scalars(select(table)))
        tx.expunge_all()
        return found


def due_customer(desk: DeskContext, name: str, phone: str, channel: str) -> str:
    cust = desk.call("addProviderCustomer", {"name": name, "phone": phone})["customerId"]
    desk.call(
        "setConsent",
        {
            "customerId": cust,
            "purpose": "reminders",
            "channel": channel,
            "granted": True,
            "method": "verbal",
        },
    )
    plans = desk.call("listPlans", {"includeRetired": False})["plans"]
    plan = (
        plans[0]["id"]
        if plans
        else desk.call(
            "addPlan",
            {
                "name": "BP Care",
                "medications": ["Amlodipine 5mg"],
                "frequency": "monthly",
                "price": 15000,
            },
        )["planId"]
    )
    start = (TODAY + dt.timedelta(days=2)).isoformat()
    desk.call("addCustomerPlan", {"customerId": cust, "planId": plan, "startDate": start})
    return cust


def test_consent_grid_records_how_and_refuses_after_stop(
    qtbot, signed_in_desk: DeskContext
) -> None:
    desk = signed_in_desk
    cust = desk.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031234567"})[
        "customerId"
    ]
    dialog = ProfileDialog(desk, cust)
    qtbot.addWidget(dialog)
    dialog.resize(900, 700)
    dialog.show()
    grid = dialog.consent_grid
    grid.method.setCurrentIndex(grid.method.findData("written"))
    qtbot.mouseClick(grid.boxes["reminders", "sms"], Qt.MouseButton.LeftButton)
    (record,) = rows(desk, ConsentRecord)
    assert (record.purpose, record.channel, record.granted, record.method) == (
        "reminders",
        "sms",
        True,
        "written",
    )
    assert dialog.consent_grid.boxes["reminders", "sms"].isChecked()
    desk.call("recordReply", {"phone": "08031234567", "text": "STOP", "channel": "sms"})
    dialog.refresh()
    grid = dialog.consent_grid
    assert grid.stop_note.isVisibleTo(dialog) and "replied STOP" in grid.stop_note.text()
    grid.method.setCurrentIndex(grid.method.findData("verbal"))
    qtbot.mouseClick(grid.boxes["marketing", "sms"], Qt.MouseButton.LeftButton)
    assert not grid.boxes["marketing", "sms"].isChecked()
    assert grid.error.isVisibleTo(dialog) and "STOP" in grid.error.text()
    assert not any(r.purpose == "marketing" and r.granted for r in rows(desk, ConsentRecord))


@pytest.fixture
def panel(qtbot, signed_in_desk: DeskContext, tmp_path: Path) -> OutboxPanel:
    widget = OutboxPanel(signed_in_desk, choose_path=lambda _p: tmp_path / "upload.csv")
    qtbot.addWidget(widget)
    widget.resize(1300, 600)
    widget.show()
    return widget


def test_outbox_model_is_a_valid_qt_model(qtmodeltester, panel: OutboxPanel) -> None:
    due_customer(panel.desk, "Ada Obi", "08031234567", "sms")
    panel.desk.call("queueReminders", {"days": 7, "channel": "sms"})
    panel.activate()
    qtmodeltester.check(panel.model)


def test_queue_then_whatsapp_from_the_desk_phone(qtbot, panel: OutboxPanel) -> None:
    desk = panel.desk
    due_customer(desk, "Ada Obi", "08031234567", "whatsapp")
    due_customer(desk, "Ben Eze", "08031234568", "whatsapp")
    panel.channel.setCurrentIndex(panel.channel.findData("whatsapp"))
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    assert [m.status for m in rows(desk, OutboxMessage)] == ["queued", "queued"]
    assert "Queued 2" in panel.result.text()
    assert panel.model.rowCount() == 2
    assert not panel.send_button.isEnabled()  # WhatsApp is the default sender: by hand
    panel.table.selectRow(0)
    assert panel.whatsapp_button.isEnabled()
    chosen = panel.selected()
    assert chosen is not None
    dialog = WhatsAppDialog.claim(desk, chosen["id"], panel)
    assert isinstance(dialog, WhatsAppDialog)
    qtbot.addWidget(dialog)
    assert dialog.link.startswith("https://wa.me/23480312345")
    assert not dialog.qr.pixmap().isNull()
    qtbot.mouseClick(dialog.sent_button, Qt.MouseButton.LeftButton)
    by_id = {f"MSG-{m.id}": m for m in rows(desk, OutboxMessage)}
    assert by_id[chosen["id"]].status == "sent" and by_id[chosen["id"]].attempts == 1
    other = next(m for key, m in by_id.items() if key != chosen["id"])
    dialog = WhatsAppDialog.claim(desk, f"MSG-{other.id}", panel)
    assert isinstance(dialog, WhatsAppDialog)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.not_sent_button, Qt.MouseButton.LeftButton)
    again = {f"MSG-{m.id}": m for m in rows(desk, OutboxMessage)}[f"MSG-{other.id}"]
    assert (again.status, again.claimed_at, again.last_detail) == (
        "queued",
        None,
        "Not sent from the desk phone",
    )


def test_export_sms_for_upload_is_formula_safe_and_hands_them_over(
    qtbot, panel: OutboxPanel, tmp_path: Path
) -> None:
    desk = panel.desk
    desk.call(
        "updateSettings", {"reminderTemplates": {"reminders": {"en": "=HYPERLINK {firstName}"}}}
    )
    due_customer(desk, "Ada Obi", "08031234567", "sms")
    desk.call("queueReminders", {"days": 7, "channel": "sms"})
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    data = (tmp_path / "upload.csv").read_bytes().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(data)))
    assert lines == [
        ["Message ID", "Phone", "Message"],
        ["MSG-1", "2348031234567", "'=HYPERLINK Ada"],
    ]
    (message,) = rows(desk, OutboxMessage)
    assert (message.status, message.last_detail) == ("sent", EXPORTED)
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)  # nothing twice
    lines = list(
        csv.reader(io.StringIO((tmp_path / "upload.csv").read_bytes().decode("utf-8-sig")))
    )
    assert lines == [["Message ID", "Phone", "Message"]]


def test_a_staff_entered_stop(panel: OutboxPanel) -> None:
    desk = panel.desk
    cust = desk.call(
        "addProviderCustomer", {"name": "Ada Obi", "phone": "08031234567", "marketingConsent": True}
    )["customerId"]
    panel.enter_reply("0803 123 4567", "stop", "sms")
    assert "STOP recorded" in panel.result.text()
    assert (
        desk.call("viewProviderCustomerDetails", {"customerId": cust})["marketingConsent"] is False
    )


def test_template_editor_counts_and_saves(qtbot, signed_in_desk: DeskContext) -> None:
    desk = signed_in_desk
    editor = TemplateEditor(desk)
    qtbot.addWidget(editor)
    editor.show()
    assert "GSM-7 · 1 SMS" in editor.counter.text()  # the bundled English reminder
    editor.language.setCurrentIndex(editor.language.findData("yo"))
    assert "UCS-2" in editor.counter.text() and "Ẹ" in editor.counter.text()
    qtbot.mouseClick(editor.plain_button, Qt.MouseButton.LeftButton)
    assert "GSM-7" in editor.counter.text()
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    (saved,) = [s.value for s in rows(desk, Setting) if s.key == "reminderTemplates"]
    assert saved["reminders"]["yo"].startswith("E n le o {firstName}.")
    editor.text.setPlainText("Hello {name}")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.error.isVisibleTo(editor) and "{name}" in editor.error.text()
    qtbot.mouseClick(editor.bundled_button, Qt.MouseButton.LeftButton)
    (saved,) = [s.value for s in rows(desk, Setting) if s.key == "reminderTemplates"]
    assert saved == {}
    assert editor.text.toPlainText().startswith("Ẹ n lẹ́ o")


def test_sending_settings_choose_the_gateway_and_keep_the_token(qtbot, panel: OutboxPanel) -> None:
    from pharmdesk.ui.sender_settings_dialog import SenderSettingsDialog

    desk = panel.desk
    dialog = SenderSettingsDialog(desk, panel)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.sender_choice.setCurrentIndex(dialog.sender_choice.findData("gateway"))
    assert dialog.url.isEnabled() and not dialog.port.isEnabled()
    qtbot.keyClicks(dialog.url, "https://sms.example.com/api/send")
    qtbot.keyClicks(dialog.token, "tok-123")
    qtbot.keyClicks(dialog.branch_phone, "0701 234 5678")
    dialog.save()
    assert desk.session is not None
    stored = {s.key: s.value for s in rows(desk, Setting)}
    assert stored["messageSender"] == "gateway"
    assert stored["gatewayToken"] == "tok-123"
    assert stored["branchPhone"] == "+2347012345678"
    panel._update_buttons()
    assert panel.send_button.isEnabled()
    # Opened again, the token shows as stars and saving keeps it.
    again = SenderSettingsDialog(desk, panel)
    qtbot.addWidget(again)
    assert again.token.text() == "********"
    again.save()
    assert {s.key: s.value for s in rows(desk, Setting)}["gatewayToken"] == "tok-123"
    bad = SenderSettingsDialog(desk, panel)
    qtbot.addWidget(bad)
    bad.show()
    bad.url.setText("sms.example.com")
    bad.save()
    assert bad.error.isVisibleTo(bad) and "web address" in bad.error.text()


def test_the_customer_form_records_the_reminder_language(
    qtbot, signed_in_desk: DeskContext
) -> None:
    from PySide6.QtWidgets import QApplication

    from pharmdesk.ui.customer_form.form import CustomerForm

    desk = signed_in_desk
    form = CustomerForm(desk, None, ask=lambda *_a: True, ask_new_label=lambda *_a: True)
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    form.name.setText("Adéwálé Ògúnbíyì")  # QtTest types ASCII only; pasted, as from a phone
    qtbot.keyClicks(form.phone, "0803 123 4567")
    form.language.setCurrentIndex(form.language.findData("yo"))
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    details = desk.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    assert details["language"] == "yo"
    edit = CustomerForm(desk, details, ask=lambda *_a: True, ask_new_label=lambda *_a: True)
    qtbot.addWidget(edit)
    assert edit.language.currentData() == "yo"
    edit.language.setCurrentIndex(edit.language.findData("ha"))
    assert edit.changed_params(edit._values()) == {"language": "ha"}


def test_send_queued_sms_through_the_modem_and_read_a_stop(qtbot, panel: OutboxPanel) -> None:
    import time

    from tests.reminders.modem_sim import ModemSimulator

    desk = panel.desk
    cust = due_customer(desk, "Ada Obi", "08031234567", "sms")
    desk.call("setMarketingConsent", {"customerId": cust, "consent": True})
    desk.call("queueReminders", {"days": 7, "channel": "sms"})
    sim = ModemSimulator()
    try:
        desk.call("updateSettings", {"messageSender": "modem", "modemPort": sim.port})
        panel._update_buttons()
        assert panel.send_button.isEnabled()
        sim.receive_sms(2, "+2348031234567", "STOP")
        time.sleep(0.2)
        qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
        assert panel.sending is not None
        with qtbot.waitSignal(panel.sending.finished, timeout=30000):
            pass
    finally:
        sim.close()
    assert [to for to, _body, _cs in sim.sent] == ["+2348031234567"]
    (message,) = rows(desk, OutboxMessage)
    assert (message.status, message.provider_ref) == ("sent", "1")
    assert "Sent 1" in panel.result.text() and "1 replies recorded" in panel.result.text()
    assert (
        desk.call("viewProviderCustomerDetails", {"customerId": cust})["marketingConsent"] is False
    )
