"""Screenshots of the reminder screens at 1366x768 (part of ``tools.screenshots``): the
profile's consent grid, the Outbox tab, the WhatsApp QR dialog, the template editor and
the sending settings, on a small branch made for the purpose."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

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
    _sending_screen(out, window, save)
    _import_screens(out, window, folder, save)
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


class _HeldSender:
    """Sends at once, except the second message, which waits until released: the tab is
    shot while a send is in the worker's hands (progress, Stop)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.count = 0

    def send(self, _to: str, _text: str) -> str | None:
        self.count += 1
        if self.count == 2:
            self.release.wait(30)
        return f"shot-{self.count}"

    def close(self) -> None:
        return None


def _sending_screen(out: Path, window: MainWindow, save: Save) -> None:
    """The Outbox tab while SMS go out: the first sent, the second in the worker."""
    panel = window.outbox_panel
    held = _HeldSender()
    panel.start_sending(held)
    run = panel.sending
    assert run is not None
    deadline = time.monotonic() + 30
    while held.count < 2 and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    panel.status.setCurrentIndex(panel.status.findData("sent"))
    save(window, out, "reminders-outbox-sending")
    held.release.set()
    while run.running and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    panel.status.setCurrentIndex(0)


def _import_screens(out: Path, window: MainWindow, folder: Path, save: Save) -> None:
    """The Import wizard on a file with consent columns: the columns page (guessed as
    reminders by SMS / WhatsApp and marketing), and the report where the phone that
    answered STOP is refused marketing."""
    import csv

    from PySide6.QtWidgets import QWizard

    path = folder / "customers-with-consent.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Full Name", "Phone No", "SMS OK", "WhatsApp OK", "Marketing"])
        writer.writerow(["Ngozi Eze", "08031230001", "Yes", "No", "Y"])
        writer.writerow(["Kunle Ajayi", "08031230002", "1", "1", "0"])
        writer.writerow(["Musa Abdullahi (brother)", PEOPLE[1][1], "Y", "", "Yes"])
    window.import_action.trigger()
    wizard = window.import_wizard
    wizard.resize(1000, 640)
    wizard.file_page.path_edit.setText(str(path))
    wizard.next()
    save(wizard, out, "reminders-import-columns")
    wizard.next()
    deadline = time.monotonic() + 30
    while (
        wizard.report_page.dry_run is not None
        and not wizard.report_page.dry_run.finished
        and time.monotonic() < deadline
    ):
        QApplication.processEvents()
    save(wizard, out, "reminders-import-report")
    wizard.button(QWizard.WizardButton.CancelButton).click()
