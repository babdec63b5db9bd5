"""Screenshots of the reminder screens at 1366x768 (part of ``tools.screenshots``): the
profile's consent grid, the Outbox tab, the WhatsApp QR dialog, the template editor and
the sending settings, on a small branch made for the purpose."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.profile_dialog import ProfileDialog
from pharmdesk.ui.sender_settings_dialog import SenderSettingsDialog
from pharmdesk.ui.template_editor import TemplateEditor
from pharmdesk.ui.whatsapp_dialog import WhatsAppDialog

Save = Callable[[QWidget, Path, str], Path]
PEOPLE = (
    ("Adéwálé Ògúnbíyì", "08031234501", "yo", "whatsapp"),
    ("Musa Abdullahi", "08031234502", "ha", "sms"),
    ("Chiamaka Nwosu", "08031234503", "ig", "sms"),
    ("Tunde Bakare", "08031234504", "pcm", "sms"),
    ("Grace Okafor", "08031234505", "en", "whatsapp"),
    ("Bola Ahmed", "08031234506", "en", None),
)


def build_branch(desk: DeskContext, today: dt.date) -> list[str]:
    desk.call("updateSettings", {"branchPhone": "0701 234 5678"})
    plan = desk.call(
        "addPlan",
        {
            "name": "Hypertension Care",
            "medications": ["Amlodipine 5mg"],
            "frequency": "monthly",
            "price": 15000,
        },
    )["planId"]
    ids = []
    for i, (name, phone, language, channel) in enumerate(PEOPLE):
        cust = desk.call(
            "addProviderCustomer",
            {"name": name, "phone": phone, "language": language, "marketingConsent": i % 2 == 0},
        )["customerId"]
        if channel:
            desk.call(
                "setConsent",
                {
                    "customerId": cust,
                    "purpose": "reminders",
                    "channel": channel,
                    "granted": True,
                    "method": "written",
                },
            )
        start = (today + dt.timedelta(days=1 + i % 5)).isoformat()
        desk.call("addCustomerPlan", {"customerId": cust, "planId": plan, "startDate": start})
        ids.append(cust)
    return ids


def reminder_screens(out: Path, desk: DeskContext, folder: Path, save: Save) -> None:
    ids = build_branch(desk, desk.clock.today())
    desk.call("queueReminders", {"days": 7, "channel": "sms"})
    desk.call("queueReminders", {"days": 7, "channel": "whatsapp"})
    desk.call("recordReply", {"phone": PEOPLE[1][1], "text": "STOP", "channel": "sms"})
    profile = ProfileDialog(desk, ids[1])
    profile.resize(1366, 768)
    profile.show()
    bar = profile.body_scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    save(profile, out, "reminders-consent-grid")
    profile.close()
    settings = QSettings(str(folder / "reminders-window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(desk, settings)
    window.resize(1366, 768)
    window.start()
    window.show()
    window.tabs.setCurrentWidget(window.outbox_panel)
    window.outbox_panel.activate()
    save(window, out, "reminders-outbox")
    whatsapp = next(
        m
        for m in desk.call("listOutbox", {"channel": "whatsapp"})["messages"]
        if m["status"] == "queued"
    )
    dialog = WhatsAppDialog.claim(desk, whatsapp["id"], window)
    assert isinstance(dialog, WhatsAppDialog)
    dialog.show()
    save(dialog, out, "reminders-whatsapp-qr")
    dialog.reject()
    editor = TemplateEditor(desk, window)
    editor.resize(760, 560)
    editor.show()
    editor.language.setCurrentIndex(editor.language.findData("yo"))
    save(editor, out, "reminders-template-editor")
    editor.close()
    sending = SenderSettingsDialog(desk, window)
    sending.show()
    save(sending, out, "reminders-sending-settings")
    sending.close()
    window.close()
