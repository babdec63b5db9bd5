"""Render every screen to PNG files so anyone can look at them without a display.

    python -m pharmdesk.ui.screenshots OUTDIR [--customers N] [--screen 1366x768] [--scale 1.25]
    python -m pharmdesk.ui.screenshots OUTDIR --desks

``--screen`` gives the offscreen screen that size (and ``--scale`` sets QT_SCALE_FACTOR),
so each window is shown as it opens on that desk: sized by the screen-fit rule.
``--desks`` renders every screen once per desk the branches have (DESKS), each into its
own folder (1366x768, 1280x720-125).

Builds a small demo database in a temporary folder (nothing is left behind), then saves
the first-run setup pages, the sign-in, the main window with data, a search in progress,
a profile, and the lock screen. Runs offscreen unless a display platform is set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from pharmdesk.clock import FixedClock, to_iso
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER, create_demo
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.app import make_application
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import LoginDialog
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.profile_dialog import ProfileDialog
from pharmdesk.ui.setup_wizard import FirstRunWizard


def _save(widget: QWidget, out: Path, name: str) -> Path:
    QApplication.processEvents()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(path)
    return path


def _setup_screens(out: Path, folder: Path) -> None:
    wizard = FirstRunWizard(DatabaseFiles(folder / "setup" / "pharmdesk.db"))
    wizard.show()
    page = wizard.branch_page
    page.branch.setText("Lekki Phase 1 branch")
    page.username.setText("ada")
    page.full_name.setText("Ada Okonkwo")
    _save(wizard, out, "setup-1-branch")
    wizard.next()
    wizard.password_page.password.setText("mango tree by the lagoon")
    wizard.password_page.repeat.setText("mango tree by the lagoon")
    _save(wizard, out, "setup-2-password")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    _save(wizard, out, "setup-3-recovery-key")
    wizard.close()


def _segment_screens(out: Path, window: MainWindow, folder: Path) -> None:
    """The Segments tab for each segment with its chart, and the campaign export dialog."""
    from pharmdesk.ui.segment_model import CONDITION, HIGH_VALUE, REFILLS

    panel = window.segments_panel
    window.segments_action.trigger()
    _save(window, out, "segments-conditions-empty")
    labels = panel.condition_labels.stringList()
    panel.show_condition(labels[1] if len(labels) > 1 else "diabetes")
    _save(window, out, "segments-condition")
    panel.choose(REFILLS)
    panel.days.setValue(14)
    panel.run()
    _save(window, out, "segments-refills")
    panel.days.setValue(60)
    panel.run()
    _save(window, out, "segments-refills-60-days")
    panel.choose(HIGH_VALUE)
    panel.min_spend.setValue(100_000)
    panel.run()
    _save(window, out, "segments-high-value")
    panel.choose(CONDITION)
    dialog = panel.export_dialog()
    if dialog is not None:
        dialog.path_edit.setText(str(folder / "campaign.csv"))
        dialog.show()
        _save(dialog, out, "segments-export")
        dialog.close()
    panel.select_rows([0, 1, 2])
    consent = panel.consent_dialog()
    if consent is not None:
        consent.show()
        _save(consent, out, "segments-bulk-consent")
        consent.close()
    window.tabs.setCurrentIndex(0)


def _save_run_sheet(out: Path, window: MainWindow) -> None:
    """The run-sheet's first page as an image (what the PDF holds)."""
    from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument

    from pharmdesk.ui.refill_panel import run_sheet_html

    sheet = window.desk.call("getRefillRunSheet", {"days": 7})
    doc = QTextDocument()
    doc.setHtml(run_sheet_html(sheet, "NG"))
    doc.setTextWidth(900)
    image = QImage(900, 1200, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    doc.drawContents(painter)
    painter.end()
    path = out / "refill-run-sheet.png"
    image.save(str(path))
    print(path)


def _plan_screens(out: Path, window: MainWindow) -> None:
    """Each enrollment wizard page (with an allergy conflict to acknowledge), the refill
    queue, the record-delivery dialog and the plan catalog."""
    from pharmdesk.ui.enrollment_wizard import EnrollmentWizard

    desk = window.desk
    desk.call(
        "addProviderCustomer",
        {
            "name": "Adaeze Nwosu",
            "phone": "0809 555 0142",
            "allergies": ["Penicillin"],
            "medicalConditions": ["Sickle cell disease"],
        },
    )
    wizard = EnrollmentWizard(desk, None, window)
    wizard.show()
    wizard.customer_page.search.setText("adaeze nwosu")
    wizard.customer_page.search_now()
    _save(wizard, out, "enroll-1-customer")
    wizard.next()
    _save(wizard, out, "enroll-2-plan")
    plans = wizard.plan_page.list
    for row in range(plans.count()):
        if "Sickle" in plans.item(row).text():
            plans.setCurrentRow(row)
    wizard.next()
    wizard.schedule_page.day.setCurrentIndex(wizard.schedule_page.day.findData("Monday"))
    wizard.schedule_page.time.setCurrentIndex(1)
    _save(wizard, out, "enroll-3-schedule")
    wizard.next()
    _save(wizard, out, "enroll-4-review")
    wizard.review_page.acknowledge.setChecked(True)
    _save(wizard, out, "enroll-4-review-acknowledged")
    wizard.next()
    _save(wizard, out, "enroll-5-done")
    wizard.close()

    panel = window.refill_panel
    window.tabs.setCurrentWidget(panel)
    panel.activate()
    _save(window, out, "refill-queue")
    _save_run_sheet(out, window)
    panel.table.selectRow(0)
    due = panel.current_row()
    if due is not None:
        dialog = panel.order_dialog(due)
        dialog.show()
        _save(dialog, out, "record-delivery")
        dialog.close()
    window.open_plan_catalog()
    catalog = window.plan_catalog
    catalog.show_retired.setChecked(True)
    _save(catalog, out, "plan-catalog")
    catalog.table.selectRow(0)
    form = catalog.plan_form(catalog.current())
    form.show()
    _save(form, out, "plan-form")
    form.close()
    catalog.close()
    window.tabs.setCurrentIndex(0)


# -- profile example, plan controls, reviews, customer form ---------------------------------
EXAMPLE_START = dt.datetime(2026, 4, 18, 12, 0, tzinfo=dt.UTC)
EXAMPLE_DAYS = 10  # the example's "today" is this many days after it was set up


def build_profile_example(desk: DeskContext, clock: FixedClock) -> str:
    """The seed document's John Doe, with a history: orders of each status, an overdue
    active plan, a paused one (until a date), a cancelled one and one held for review
    (Penicillin allergy and Amoxicillin), conditions, notes and consent.

    Needs an admin signed in on a database without these plans; moves ``clock`` on by
    ``EXAMPLE_DAYS`` days (so a delivery can be overdue). Returns the customer id.
    """
    plans = {}
    for name, medications, frequency, price in (
        ("Diabetes Monthly", ["Metformin 500mg", "Insulin Glargine"], "monthly", 12000),
        ("Hypertension Care", ["Amlodipine 5mg", "Lisinopril 10mg"], "monthly", 15000),
        ("Asthma Care", ["Salbutamol inhaler"], "monthly", 8000),
        ("Chest Infection Course", ["Amoxicillin 500mg"], "weekly", 4000),
    ):
        answer = desk.call(
            "addPlan",
            {"name": name, "medications": medications, "frequency": frequency, "price": price},
        )
        plans[name] = answer["planId"]
    customer = desk.call(
        "addProviderCustomer",
        {
            "name": "John Doe",
            "phone": "0801 234 5678",
            "email": "john@example.com",
            "address": "12 Admiralty Way, Lekki, Lagos",
            "dateOfBirth": "1980-03-25",
            "allergies": ["Penicillin"],
            "medicalConditions": ["Diabetes Type 2", "Hypertension"],
            "notes": "Prefers morning deliveries. Contact before arrival.",
        },
    )["customerId"]

    def enroll(plan: str, **extra: Any) -> str:
        params = {"customerId": customer, "planId": plans[plan], **extra}
        return str(desk.call("addCustomerPlan", params)["subscriptionId"])

    enroll("Diabetes Monthly")
    hypertension = enroll("Hypertension Care", preferences={"deliveryDay": "Monday"})
    asthma = enroll("Asthma Care")
    desk.call("cancelCustomerPlan", {"subscriptionId": asthma})
    # The plan's price rises after enrollment: the delivery below is still charged at
    # the subscription's 15,000, then the subscription takes up the new terms.
    desk.call("updatePlan", {"planId": plans["Hypertension Care"], "price": 16500})
    clock.advance(days=EXAMPLE_DAYS)
    now = clock.now()
    for days_ago, total, status, sub in (
        (40, 12000, "completed", None),
        (9, 15000, "completed", hypertension),
        (3, 8500, "completed", None),
        (1, 2500, "pending", None),
        (0.5, 4000, "cancelled", None),
    ):
        params: dict[str, Any] = {
            "customerId": customer,
            "total": total,
            "status": status,
            "date": to_iso(now - dt.timedelta(days=days_ago)),
        }
        if sub:
            params["subscriptionId"] = sub
        desk.call("recordOrder", params)
    resume = (clock.today() + dt.timedelta(days=21)).isoformat()
    desk.call("pauseCustomerPlan", {"subscriptionId": hypertension, "resumeDate": resume})
    enroll("Chest Infection Course")  # held: pendingReview
    desk.call("setMarketingConsent", {"customerId": customer, "consent": True})
    return str(customer)


def _example_desk(folder: Path) -> tuple[DeskContext, FixedClock]:
    """A fresh database on a still clock for the profile example (dates fixed on screen)."""
    from pharmdesk.controllers.session import create_database

    clock = FixedClock(EXAMPLE_START)
    files = DatabaseFiles(folder / "example" / "pharmdesk.db")
    files.db.parent.mkdir(parents=True)
    create_database(
        files,
        admin="ada",
        full_name="Ada Okonkwo",
        password=EXAMPLE_PASSWORD,
        branch_name="Lekki Phase 1",
        clock=clock,
    )
    desk = DeskContext(files, clock)
    desk.sign_in("ada", EXAMPLE_PASSWORD)
    return desk, clock


EXAMPLE_PASSWORD = "mango tree by the lagoon"


def _profile_example_screens(out: Path, folder: Path) -> None:
    """John Doe's profile (plan rows, overdue, held plan), the pause and approve dialogs,
    the Reviews tab, and the same profile as front-desk staff see it."""
    from pharmdesk.ui.plan_controls import PauseDialog
    from pharmdesk.ui.review_panel import ReviewPanel

    desk, _clock = _example_desk(folder)
    customer = build_profile_example(desk, _clock)
    dialog = ProfileDialog(desk, customer)
    dialog.show()
    _save(dialog, out, "profile-example")
    dialog.body_scroll.verticalScrollBar().setValue(
        dialog.body_scroll.verticalScrollBar().maximum()
    )
    _save(dialog, out, "profile-example-scrolled")
    active = next(p for p in dialog.details["plans"] if p["status"] == "active")
    pause = PauseDialog(desk, active, dialog)
    pause.show()
    _save(pause, out, "plan-pause")
    pause.until.setChecked(False)
    _save(pause, out, "plan-pause-until-resumed")
    pause.close()
    held = next(p for p in dialog.details["plans"] if p["status"] == "pendingReview")
    dialog.review_plan(held, True)
    review = dialog.review_dialog
    _save(review, out, "plan-approve")
    review.save()  # no reason yet: the message says what to do
    _save(review, out, "plan-approve-reason-required")
    review.close()
    dialog.order_button.click()
    _save(dialog.order, out, "profile-record-order")
    dialog.order.close()
    dialog.close()

    panel = ReviewPanel(desk)
    panel.resize(1100, 420)
    panel.show()
    panel.activate()
    _save(panel, out, "reviews-panel")
    panel.review_current(False)
    _save(panel.dialog, out, "reviews-reject")
    panel.dialog.close()
    panel.clear()
    _save(panel, out, "reviews-panel-empty")
    panel.close()

    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Ade",
            "role": "frontdesk",
            "password": "femi walks by the lagoon daily",
        },
    )
    desk.sign_in("femi", "femi walks by the lagoon daily")
    front = ProfileDialog(desk, customer)
    front.show()
    _save(front, out, "profile-example-front-desk")
    front.close()
    desk.close()


def _customer_form_screens(out: Path, window: MainWindow) -> None:
    """The customer form: empty, with validation messages, the duplicate prompt, and an
    edit refused because the customer changed at another desk meanwhile."""
    from pharmdesk.ui.customer_form import CustomerForm, DuplicateChoice

    desk = window.desk
    form = CustomerForm(desk, None, window, ask=lambda *_a: True)
    form.show()
    _save(form, out, "form-new-empty")
    form.name.setText("A")
    form.phone.setText("0801 234")
    form.email.setText("john@example")
    form.save()
    _save(form, out, "form-new-validation")
    form.close()
    existing = desk.call("fetchCustomers", {"limit": 1})["customers"][0]
    candidates = desk.call(
        "findLikelyDuplicates", {"name": existing["name"] + " Jr", "phone": existing["phone"]}
    )["customers"]
    choice = DuplicateChoice(candidates, "NG", window)
    choice.show()
    _save(choice, out, "form-duplicate-prompt")
    choice.close()
    details = desk.call("viewProviderCustomerDetails", {"customerId": existing["id"]})
    edit = CustomerForm(desk, details, window, ask=lambda *_a: True)
    edit.show()
    desk.call(
        "updateProviderCustomer",
        {"customerId": existing["id"], "notes": "Changed at the other desk"},
    )
    edit.address.setPlainText("14 Admiralty Way, Lekki")
    edit.save()
    _save(edit, out, "form-edit-changed-elsewhere")
    edit.close()


def plant_duplicates(desk: DeskContext, count: int = 6) -> None:
    """A few customers typed in a second time (a typo, swapped names, another phone form)."""
    from pharmdesk.errors import PharmDeskError

    rows = desk.call("fetchCustomers", {"limit": count, "sort": "createdAt"})["customers"]
    for n, row in enumerate(rows):
        words = row["name"].split()
        last = words[-1]
        if n % 3 == 0 and len(last) >= 4:
            words[-1] = last[:-2] + last[-1] + last[-2]  # two letters swapped
        elif n % 3 == 1:
            words = [words[-1], *words[:-1]]
        else:
            words.insert(1, "Tola")
        phone = "0" + row["phone"][4:7] + " " + row["phone"][7:10] + " " + row["phone"][10:]
        try:
            desk.call("addProviderCustomer", {"name": " ".join(words), "phone": phone})
        except PharmDeskError:
            continue  # that variant is a relative's name on the same phone


def _duplicate_screens(out: Path, window: MainWindow) -> None:
    """Customers ▸ Find duplicates…: the pairs after a scan, one compared side by side."""
    plant_duplicates(window.desk)
    window.duplicates.action.trigger()
    dialog = window.duplicates.dialog
    assert dialog is not None
    _wait_for(dialog)
    _save(dialog, out, "duplicates")
    dialog.close()


def _audit_screens(out: Path, window: MainWindow) -> None:
    """The audit log viewer: an update's old → new detail, then a verify result, green and
    then red after one entry is edited behind PharmDesk's back (the database is a throwaway
    demo)."""
    from sqlalchemy import text

    desk = window.desk
    customer = desk.call("fetchCustomers", {"limit": 1})["customers"][0]["id"]
    desk.call(
        "updateProviderCustomer",
        {"customerId": customer, "phone": "0802 555 0199", "email": "new.address@example.com"},
    )
    window.audit_action.trigger()
    view = window.audit_window
    assert view is not None
    view.action_filter.setCurrentIndex(view.action_filter.findData("update"))
    _save(view, out, "audit-log-update-detail")
    view.clear_filters()
    # The access report: everything that showed or changed one customer, lists included.
    desk.call("fetchCustomers", {"limit": 20})
    desk.call("getCustomersWithUpcomingRefills", {"days": 30, "limit": 20})
    view.resize(1366, 768)
    view.customer_filter.setText(customer)
    view.customer_filter.search_now()
    view.table.selectRow(0)
    _save(view, out, "audit-log-access-report")
    view.clear_filters()
    view.resize(1280, 760)
    view.verify_chain()
    _save(view, out, "audit-log-verified")
    bad = view.model.entry(min(6, view.model.rowCount() - 1))
    assert bad is not None and desk.session is not None
    with desk.session.db.transaction() as tx:
        tx.execute(
            text("UPDATE audit_entry SET user = 'someone' WHERE id = :id"),
            {"id": int(bad["id"].split("-")[1])},
        )
    view.verify_chain()
    _save(view, out, "audit-log-broken")
    view.close()


def _wait_for(dialog: Any) -> None:
    """Let a dialog's worker thread finish (its answer arrives through the event loop)."""
    import time

    deadline = time.monotonic() + 120
    while dialog.job is not None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    QApplication.processEvents()


def _backup_screens(out: Path, window: MainWindow, folder: Path) -> None:
    """Admin ▸ Back up now… (after a verified copy), Restore… (after a check), Settings…,
    and the status bar warning for an unplugged backup drive."""
    from pharmdesk.ui.backup_dialog import BackupDialog, RestoreDialog
    from pharmdesk.ui.settings_dialog import SettingsDialog

    desk = window.desk
    usb = folder / "usb"
    usb.mkdir()
    desk.call("updateSettings", {"backupFolder": str(usb)})
    backup = BackupDialog(desk, window)
    backup.show()
    _save(backup, out, "backup-dialog-ready")
    backup.start()
    _wait_for(backup)
    _save(backup, out, "backup-dialog")
    written = sorted(usb.iterdir())[0]
    backup.close()

    restore = RestoreDialog(desk, window)
    restore.file_edit.setText(str(written))
    restore.password.setText(DEMO_PASSWORD)
    restore.show()
    restore.check()
    _wait_for(restore)
    _save(restore, out, "restore-dialog")
    restore.close()

    settings = SettingsDialog(desk, window)
    settings.show()
    _save(settings, out, "settings-dialog")
    settings.currency.setText("ZZZ")
    settings.folder.setText(str(folder / "usb-unplugged"))
    settings.save()
    _save(settings, out, "settings-dialog-error")
    settings.close()

    desk.call("updateSettings", {"backupFolder": str(folder / "usb-unplugged")})
    window.backups.check(force=True)
    deadline = dt.datetime.now() + dt.timedelta(seconds=60)
    while window.backups.running and dt.datetime.now() < deadline:
        QApplication.processEvents()
    QApplication.processEvents()
    _save(window, out, "backup-warning")
    desk.call("updateSettings", {"backupFolder": str(usb)})
    window.backups.warning.hide()


def _staff_screens(out: Path, window: MainWindow) -> None:
    """Staff accounts (list, add, one-time password shown once), change my password, the
    first sign-in with a one-time password, and break-glass recovery; then the demo
    admin signs in again so the screens after these find the window as they expect."""
    import contextlib

    from pharmdesk.errors import PharmDeskError
    from pharmdesk.ui.recovery_dialog import RecoveryDialog

    desk = window.desk
    staff = [
        ("femi", "Femi Adebayo", "frontdesk"),
        ("ngozi", "Ngozi Eze", "pharmacist"),
        ("bola", "Bola Ogunleye", "admin"),
        ("tunde", "Tunde Bakare", "frontdesk"),
    ]
    for username, full_name, role in staff:
        desk.call(
            "addStaff",
            {
                "username": username,
                "fullName": full_name,
                "role": role,
                "password": f"{username} one time pass 2026",
                "mustChangePassword": username == "femi",
            },
        )
    desk.call("disableStaff", {"username": "bola"})
    for _ in range(5):  # tunde locks himself out
        with contextlib.suppress(PharmDeskError):
            desk.sign_in("tunde", "not tunde's password")
    window.staff_action.trigger()
    dialog = window.staff_dialog
    assert dialog is not None
    dialog.refresh("tunde")
    _save(dialog, out, "staff-list")
    from pharmdesk.ui.key_change import KeyChangeProgress

    progress = KeyChangeProgress(dialog)  # what a disable shows while it re-encrypts
    progress.show_progress("", 420, 1000)
    progress.show()
    _save(progress, out, "key-change-progress")
    progress.close()
    add = dialog.add_dialog()
    add.username.setText("kemi")
    add.full_name.setText("Kemi Lawal")
    add.role.setCurrentIndex(add.role.findData("pharmacist"))
    add.generate()
    _save(add, out, "staff-add")
    add.password.setText("short")
    add.save()
    _save(add, out, "staff-add-too-short")
    add.generate()
    add.save()
    _save(add, out, "staff-add-one-time-password")
    add.accept()
    _save(dialog, out, "staff-list-added")
    dialog.select_user("demo")
    editor = dialog.role_dialog()
    if editor is not None:
        editor.role.setCurrentIndex(editor.role.findData("frontdesk"))
        editor.save()
        _save(editor, out, "staff-role-last-admin")
        editor.reject()
    dialog.close()

    window.change_password_action.trigger()
    change = window.change_password_dialog
    assert change is not None
    change.form.new.setText("a quiet harbour at dawn")
    change.form.repeat.setText("a quiet harbour at dawn")
    _save(change, out, "change-password")
    change.form.old.setText("not my password at all")
    change.form.submit()
    change.form.new.setText("1234qwerasdfzxcv")
    _save(change, out, "change-password-refused")
    change.reject()

    window.lock()
    form = window.sign_in_form
    form.username.setText("femi")
    form.password.setText("femi one time pass 2026")
    form.submit()
    form.change_form.new.setText("femi picks a blue kettle")
    _save(window, out, "first-sign-in-change")
    form.change_form.cancel_button.click()
    form.reset("")
    recovery = form.open_recovery()
    assert isinstance(recovery, RecoveryDialog)
    recovery.key.setText("K7QM-X2PA-9FHZ-WD3E-R4TN-8CBY")
    recovery.reason.setPlainText("Ada, our only admin, forgot her password")
    _save(recovery, out, "recovery-key")
    recovery._show_admin_page(
        [
            {
                "username": "demo",
                "fullName": "Demo Admin",
                "role": "admin",
                "disabled": False,
                "lockedOut": True,
                "lastSignIn": None,
            },
            {
                "username": "bola",
                "fullName": "Bola Ogunleye",
                "role": "admin",
                "disabled": True,
                "lockedOut": False,
                "lastSignIn": None,
            },
        ]
    )
    recovery.password.setText("the lagoon is calm at night")
    _save(recovery, out, "recovery-new-admin-password")
    recovery.reject()
    form.username.setText(DEMO_USER)
    form.password.setText(DEMO_PASSWORD)
    form.submit()


def _import_screens(out: Path, window: MainWindow) -> None:
    """The Import wizard on the sample file in resources/: file, columns, report,
    the import under way, done."""
    from pharmdesk.resources import resource_path
    from pharmdesk.ui.import_wizard import DONE_PAGE

    window.import_action.trigger()
    wizard = window.import_wizard
    wizard.file_page.path_edit.setText(str(resource_path("sample-customers.csv")))
    _save(wizard, out, "import-1-file")
    wizard.next()
    _save(wizard, out, "import-2-columns")
    wizard.next()
    while wizard.report_page.dry_run is not None and not wizard.report_page.dry_run.finished:
        QApplication.processEvents()
    _save(wizard, out, "import-3-report")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    wizard.import_page.timer.stop()
    wizard.import_page.progress.setValue(6)
    wizard.import_page.status.setText("6 of 12 rows done: 4 customers imported.")
    _save(wizard, out, "import-4-importing")
    wizard.import_page.timer.start()
    while wizard.currentId() != DONE_PAGE:
        QApplication.processEvents()
    _save(wizard, out, "import-5-done")
    wizard.close()


def _quick_unlock_screens(out: Path, window: MainWindow) -> None:
    """File ▸ Quick-unlock PIN… (with a refusal, then set), the lock page asking for the
    PIN, a wrong PIN, and the way to the password form; ends unlocked with the PIN."""
    window.pin_action.trigger()
    dialog = window.pin_dialog
    assert dialog is not None
    dialog.pin.setText("123456")
    dialog.repeat.setText("123456")
    dialog.submit()
    dialog.pin.setText("2047")
    _save(dialog, out, "pin-refused")
    dialog.pin.setText("204719")
    dialog.repeat.setText("204719")
    dialog.submit()
    window.pin_action.trigger()
    assert window.pin_dialog is not None
    _save(window.pin_dialog, out, "pin-set")
    window.pin_dialog.reject()
    window.statusBar().clearMessage()
    window.lock()
    form = window.sign_in_form
    _save(window, out, "lock-screen-pin")
    form.pin.setText("204710")
    form.submit_pin()
    form.pin.setText("20")
    _save(window, out, "lock-screen-pin-wrong")
    form.use_password.click()
    _save(window, out, "lock-screen-pin-password")
    form.back_to_pin.click()
    form.pin.setText("204719")
    form.submit_pin()
    window.desk.remove_pin()  # the later lock-screen shot shows the password form


def _reminder_screens(out: Path, folder: Path) -> None:
    """Consent grid, Outbox tab, WhatsApp QR, template editor, sending settings."""
    from pharmdesk.ui.reminder_screens import reminder_screens

    reminders_folder = folder / "reminders"
    reminders_folder.mkdir()
    desk, _clock = _example_desk(reminders_folder)
    reminder_screens(out, desk, reminders_folder, _save)


# The screens the branches' desks have: (folder, size, QT_SCALE_FACTOR).
DESKS = (("1366x768", "1366x768", "1"), ("1280x720-125", "1280x720", "1.25"))


def _every_desk(out: Path, customers: int) -> int:
    """One child process per desk (Qt fixes the screen when it starts)."""
    import subprocess

    for folder, size, scale in DESKS:
        command = [sys.executable, "-m", "pharmdesk.ui.screenshots", str(out / folder)]
        command += ["--screen", size, "--scale", scale, "--customers", str(customers)]
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            return done.returncode
    return 0


def _offscreen_screen(size: str, out: Path) -> None:
    """Give Qt's offscreen platform one screen of ``size`` (before the app starts)."""
    import json

    width, _, height = size.lower().partition("x")
    screen = {"name": "desk", "x": 0, "y": 0, "width": int(width), "height": int(height)}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    out.mkdir(parents=True, exist_ok=True)
    config = out / "screen.json"
    config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--screen", help="WIDTHxHEIGHT of the offscreen screen, e.g. 1366x768")
    parser.add_argument("--scale", help="QT_SCALE_FACTOR, e.g. 1.25")
    parser.add_argument("--desks", action="store_true", help="every screen on every desk size")
    args = parser.parse_args(argv)
    out: Path = args.outdir
    if args.desks:
        return _every_desk(out, args.customers)
    if args.screen:
        _offscreen_screen(args.screen, out)
    if args.scale:
        os.environ["QT_SCALE_FACTOR"] = args.scale
    out.mkdir(parents=True, exist_ok=True)
    make_application()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _setup_screens(out, folder)
        files = DatabaseFiles(folder / "demo" / "pharmdesk-demo.db")
        create_demo(files, customers=args.customers)
        desk = DeskContext(files)
        login = LoginDialog(desk, demo=True)
        login.show()
        _save(login, out, "login")
        login.close()
        desk.sign_in(DEMO_USER, DEMO_PASSWORD)
        settings = QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(desk, settings, demo=True)
        window.start()
        window.show()
        _save(window, out, "main-window")
        window.search.setText("ade")
        window.flush_search()
        _save(window, out, "search")
        _segment_screens(out, window, folder)
        _plan_screens(out, window)
        _backup_screens(out, window, folder)  # before _audit_screens tampers with the log
        _audit_screens(out, window)
        _customer_form_screens(out, window)
        _staff_screens(out, window)
        _import_screens(out, window)
        _duplicate_screens(out, window)
        busiest = desk.call("fetchCustomers", {"sort": "-totalOrders", "limit": 1})["customers"]
        customer_id = busiest[0]["id"] if busiest else None
        if customer_id:
            dialog = ProfileDialog(desk, customer_id, window)
            dialog.show()
            _save(dialog, out, "profile")
            dialog.close()
        _quick_unlock_screens(out, window)  # leaves the screen locked
        _profile_example_screens(out, folder)
        _reminder_screens(out, folder)
        window.lock()
        _save(window, out, "lock-screen")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
