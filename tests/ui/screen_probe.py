"""Opens every top-level window and dialog on one screen size and checks that it fits.

Run as a child process (the screen size and ``QT_SCALE_FACTOR`` are fixed when Qt starts):

    QT_QPA_PLATFORM=offscreen:configfile=SCREEN.json python -m tests.ui.screen_probe

Prints one JSON object: the available geometry, the dialog classes measured and every
problem found (a button or a window outside the screen's available geometry).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSettings
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QApplication, QWidget

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.session import create_database
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.app import make_application
from pharmdesk.ui.desk import DeskContext

# The parent chose the screen (QT_QPA_PLATFORM=offscreen:configfile=...); tests.conftest
# would set plain offscreen, so its names are read without running it.
_PLATFORM = os.environ.get("QT_QPA_PLATFORM", "offscreen")
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF  # noqa: E402

os.environ["QT_QPA_PLATFORM"] = _PLATFORM

measured: set[str] = set()
problems: list[str] = []


def _global(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def _scroller(widget: QWidget, window: QWidget) -> QAbstractScrollArea | None:
    """The scroll area whose viewport holds ``widget`` (the person scrolls to reach it)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        grand = parent.parentWidget()
        if isinstance(grand, QAbstractScrollArea) and grand.viewport() is parent:
            return grand
        parent = grand
    return None


def check(window: QWidget, name: str) -> None:
    """Every visible button of ``window`` lies inside the available geometry."""
    app = QApplication.instance()
    assert app is not None
    for _ in range(3):
        app.processEvents()
    measured.add(type(window).__name__)
    area = window.screen().availableGeometry()
    frame = window.frameGeometry()
    if not area.contains(frame):
        problems.append(f"{name}: window {frame.getRect()} outside {area.getRect()}")
    for button in window.findChildren(QAbstractButton):
        if not button.isVisible() or button.window() is not window:
            continue
        scroll = _scroller(button, window)
        target = _global(scroll.viewport()) if scroll is not None else _global(button)
        label = button.text() or button.accessibleName() or button.objectName()
        too_small = scroll is not None and target.height() < 24
        if too_small or not area.contains(target):
            where = "its scroll area" if scroll is not None else "button"
            problems.append(
                f"{name}: {where} {label!r} at {target.getRect()} outside {area.getRect()}"
            )


def shown(window: QWidget, name: str, then: Callable[[], Any] | None = None) -> None:
    window.show()
    check(window, name)
    if then is not None:
        then()
        check(window, f"{name} (after)")
    window.close()


def main_quiet() -> None:
    """Opens every window on a fresh database, calling ``check`` on each."""
    make_application([sys.argv[0]])
    folder = Path(tempfile.mkdtemp(prefix="pharmdesk-probe-"))
    files = DatabaseFiles(folder / "db" / "pharmdesk.db")
    files.db.parent.mkdir()
    clock = FixedClock()
    create_database(
        files,
        admin=ADMIN,
        full_name="Ada Admin",
        password=ADMIN_PASSWORD,
        branch_name="Lekki Branch",
        clock=clock,
        kdf=TEST_KDF,
    )
    desk = DeskContext(files, clock, kdf=TEST_KDF)
    run_all(desk, clock, folder)
    desk.close()


def main() -> int:
    main_quiet()
    print(json.dumps({"measured": sorted(measured), "problems": problems}))
    return 0


def run_all(desk: DeskContext, clock: FixedClock, folder: Path) -> None:
    from pharmdesk.ui.app import _DemoProgressDialog
    from pharmdesk.ui.login import LoginDialog
    from pharmdesk.ui.main_window import MainWindow
    from pharmdesk.ui.recovery_dialog import RecoveryDialog
    from pharmdesk.ui.setup_wizard import FirstRunWizard
    from tools.screenshots.example import build_profile_example

    wizard = FirstRunWizard(DatabaseFiles(folder / "setup" / "pharmdesk.db"), kdf=TEST_KDF)
    shown(wizard, "setup wizard", wizard.next)
    joining = FirstRunWizard(DatabaseFiles(folder / "setup" / "pharmdesk.db"), kdf=TEST_KDF)
    joining.mode_page.branch_server.setChecked(True)
    shown(joining, "setup wizard, branch server", joining.next)
    shown(LoginDialog(desk, username=ADMIN), "sign-in")
    shown(RecoveryDialog(desk), "recovery")
    shown(_DemoProgressDialog(), "demo progress")
    desk.sign_in(ADMIN, ADMIN_PASSWORD)
    customer = build_profile_example(desk, clock)
    for i in range(30):
        desk.call("addProviderCustomer", {"name": f"Bisi Customer {i}", "phone": f"0803{i:07d}"})
    settings = QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(desk, settings)
    window.start()
    window.show()
    check(window, "main window")
    window.segments_action.trigger()
    check(window, "main window, segments")
    window.tabs.setCurrentIndex(0)
    _customer_screens(desk, window, customer)
    _duplicate_screens(desk, window)
    _admin_screens(desk, window, folder)
    _message_screens(desk, window)
    from pharmdesk.ui.main_window_admin import ServerBackupsNote

    shown(ServerBackupsNote("192.168.1.10:5432/pharmdesk_lekki", window), "server backups")
    window.close()


def _customer_screens(desk: DeskContext, window: Any, customer: str) -> None:
    from pharmdesk.ui.consent import BulkConsentDialog
    from pharmdesk.ui.customer_form.form import CustomerForm
    from pharmdesk.ui.duplicate_choice import DuplicateChoice
    from pharmdesk.ui.enrollment.wizard import EnrollmentWizard
    from pharmdesk.ui.plan_controls import PauseDialog, ReviewDialog
    from pharmdesk.ui.profile_dialog import ProfileDialog

    profile = ProfileDialog(desk, customer, window)
    profile.show()
    check(profile, "profile with plans and orders")
    plans = profile.details["plans"]
    active = next(p for p in plans if p["status"] == "active")
    shown(PauseDialog(desk, active, profile), "pause")
    held = next(p for p in plans if p["status"] == "pendingReview")
    review = ReviewDialog(
        desk, held, True, customer_name="John Doe", conflicts=["Penicillin"], parent=profile
    )
    shown(review, "review")
    shown(profile.order_dialog(), "record order")
    profile.close()
    _record_screens(desk, window, customer)
    details = desk.call("viewProviderCustomerDetails", {"customerId": customer})
    shown(CustomerForm(desk, None, window, ask=lambda *_a: True), "new customer")
    shown(CustomerForm(desk, details, window, ask=lambda *_a: True), "edit customer")
    candidates = desk.call("findLikelyDuplicates", {"name": "John Doe", "phone": details["phone"]})
    shown(DuplicateChoice(candidates["customers"], "NG", window), "duplicate choice")
    rows = [(customer, "John Doe")] + [(f"id{i}", f"Name {i}") for i in range(12)]
    shown(BulkConsentDialog(desk, rows, window), "bulk consent")
    wizard = EnrollmentWizard(desk, None, window)
    wizard.show()
    wizard.customer_page.search.setText("john doe")
    wizard.customer_page.search_now()
    check(wizard, "enroll: customer")
    for step in ("plan", "schedule", "review"):
        wizard.next()
        check(wizard, f"enroll: {step}")
    wizard.close()
    window.segments_action.trigger()
    window.segments_panel.show_condition("Hypertension")
    check(window, "main window, a segment")
    export = window.segments_panel.export_dialog()
    assert export is not None
    shown(export, "campaign export")
    window.tabs.setCurrentIndex(0)


def _record_screens(desk: DeskContext, window: Any, customer: str) -> None:
    """The completed record: payer, relationships, merge, access report, erase."""
    from pharmdesk.ui.record.merge_dialog import MergeDialog
    from pharmdesk.ui.record.payer_dialog import PayerDialog
    from pharmdesk.ui.record.record_panel import ChooseDuplicateDialog
    from pharmdesk.ui.record.relationship_dialog import ReasonDialog, RelationshipDialog
    from pharmdesk.ui.record.rights import AccessReportDialog, EraseDialog

    details = desk.call("viewProviderCustomerDetails", {"customerId": customer})
    shown(PayerDialog(desk, details, window), "payer")
    shown(RelationshipDialog(desk, details, window), "add relationship")
    shown(ReasonDialog("Undo merge", "Put both back?", "&Undo", lambda _r: {}, window), "reason")
    shown(ChooseDuplicateDialog(desk, details, window), "choose duplicate")
    twin = desk.call(
        "addProviderCustomer",
        {
            "name": "Jon Doe",
            "phone": "08099887766",
            "address": "1 Long Road, Victoria Island",
            "email": "jon.doe@example.com",
            "dateOfBirth": "1979-01-02",
            "notes": "Twin?",
        },
    )["customerId"]
    shown(MergeDialog(desk, customer, twin, window), "merge")
    shown(AccessReportDialog(desk, details, window), "access report")
    shown(EraseDialog(desk, details, window), "erase")


def _duplicate_screens(desk: DeskContext, window: Any) -> None:
    """Customers ▸ Find duplicates… after its scan, a pair chosen."""
    import time

    from tools.screenshots.duplicates import plant_duplicates

    plant_duplicates(desk)
    window.duplicates.action.trigger()
    dialog = window.duplicates.dialog
    deadline = time.monotonic() + 60
    while dialog.job is not None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert dialog.model.total > 0
    check(dialog, "duplicates")
    dialog.close()


def _admin_screens(desk: DeskContext, window: Any, folder: Path) -> None:
    from pharmdesk.resources import resource_path
    from pharmdesk.ui.backup.backup_dialog import BackupDialog
    from pharmdesk.ui.backup.restore_dialog import RestoreDialog
    from pharmdesk.ui.change_password import ChangePasswordDialog
    from pharmdesk.ui.key_change import KeyChangeProgress
    from pharmdesk.ui.pin_dialog import PinDialog
    from pharmdesk.ui.plan_catalog import PlanCatalogDialog, PlanForm
    from pharmdesk.ui.recovery_key import NewRecoveryKeyDialog
    from pharmdesk.ui.settings_dialog import SettingsDialog
    from pharmdesk.ui.staff.password_dialog import ADD, StaffPasswordDialog
    from pharmdesk.ui.staff.role_dialog import RoleDialog
    from pharmdesk.ui.staff.staff_dialog import StaffDialog

    catalog = PlanCatalogDialog(desk, parent=window)
    shown(catalog, "plan catalog")
    shown(PlanForm(desk, None, window), "plan form")
    staff = StaffDialog(desk, window)
    shown(staff, "staff")
    shown(StaffPasswordDialog(desk, ADD, None, window), "add staff")
    row = desk.call("listStaff")["staff"][0]
    shown(RoleDialog(desk, row, window), "role")
    shown(ChangePasswordDialog(desk, window), "change password")
    shown(PinDialog(desk, window), "quick-unlock PIN")
    new_key = NewRecoveryKeyDialog(desk, "Lekki Branch", window)

    def made() -> None:  # the key on screen, a refusal above it; ticked so it may close
        new_key.reason.setText("The paper was read at a break-glass sign-in")
        new_key.make_key()
        new_key.error.setText("Write the new key down (or print or save it) and tick the box.")
        new_key.error.show()
        new_key.panel.confirm.setChecked(True)

    shown(new_key, "new recovery key", made)
    progress = KeyChangeProgress(staff)  # what disabling a person shows while it rekeys
    progress.show_progress("", 420, 1000)
    shown(progress, "key change progress")
    settings = SettingsDialog(desk, window)

    def refused() -> None:  # every message under the form at once
        settings.currency.setText("ZZZ")
        settings.folder.setText(str(folder / "unplugged"))
        settings.save()

    shown(settings, "settings", refused)
    desk.call("updateSettings", {"backupFolder": str(folder)})
    shown(BackupDialog(desk, window), "backup")
    shown(RestoreDialog(desk, window), "restore")
    window.audit_action.trigger()
    audit = window.audit_window
    check(audit, "audit log")
    audit.close()
    window.import_action.trigger()
    wizard = window.import_wizard
    wizard.file_page.path_edit.setText(str(resource_path("sample-customers.csv")))
    check(wizard, "import: file")
    wizard.next()
    check(wizard, "import: columns")
    wizard.close()


def _message_screens(desk: DeskContext, window: Any) -> None:
    """Reminder sending: the sender settings, the templates and a WhatsApp message claimed
    from the outbox (a customer with WhatsApp reminder consent and a plan due soon)."""
    import datetime as dt

    from pharmdesk.ui.sender_settings_dialog import SenderSettingsDialog
    from pharmdesk.ui.template_editor import TemplateEditor
    from pharmdesk.ui.whatsapp_dialog import WhatsAppDialog

    shown(SenderSettingsDialog(desk, window), "message sending")
    shown(TemplateEditor(desk, window), "message templates")
    name = "Oluwaseun Adebayo-Okonkwo"  # a long name in the heading
    customer = desk.call("addProviderCustomer", {"name": name, "phone": "08039876543"})
    customer_id = customer["customerId"]
    consent = {"purpose": "reminders", "channel": "whatsapp", "granted": True}
    desk.call("setConsent", {"customerId": customer_id, **consent, "method": "verbal"})
    plan = desk.call(
        "addPlan",
        {"name": "Probe Care", "medications": ["Amlodipine 5mg"], "frequency": "monthly"}
        | {"price": 15000},
    )["planId"]
    start = (desk.clock.today() + dt.timedelta(days=2)).isoformat()
    desk.call("addCustomerPlan", {"customerId": customer_id, "planId": plan, "startDate": start})
    desk.call("queueReminders", {"days": 7, "channel": "whatsapp"})
    listed = desk.call("listOutbox", {"channel": "whatsapp"})["messages"]
    message = next(m for m in listed if m["customerName"] == name)
    dialog = WhatsAppDialog.claim(desk, message["id"], window)
    assert isinstance(dialog, WhatsAppDialog), dialog
    shown(dialog, "WhatsApp message")


if __name__ == "__main__":
    sys.exit(main())
