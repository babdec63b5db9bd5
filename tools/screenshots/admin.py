"""The admin side and the locks: first-run setup, audit log, backups and settings, staff
and passwords, recovery, import, and quick unlock."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWizard
from sqlalchemy import text

from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.resources import resource_path
from pharmdesk.ui.backup.backup_dialog import BackupDialog
from pharmdesk.ui.backup.restore_dialog import RestoreDialog
from pharmdesk.ui.import_wizard.common import DONE_PAGE
from pharmdesk.ui.key_change import KeyChangeProgress
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.recovery_dialog import RecoveryDialog
from pharmdesk.ui.settings_dialog import SettingsDialog
from pharmdesk.ui.setup_wizard import FirstRunWizard
from tools.screenshots.capture import save, wait_for


def setup_screens(out: Path, folder: Path) -> None:
    wizard = FirstRunWizard(DatabaseFiles(folder / "setup" / "pharmdesk.db"))
    wizard.show()
    wizard.next()  # "This PC keeps its own customer list" (the server's: server.py)
    page = wizard.branch_page
    page.branch.setText("Lekki Phase 1 branch")
    page.username.setText("ada")
    page.full_name.setText("Ada Okonkwo")
    save(wizard, out, "setup-1-branch")
    wizard.next()
    wizard.password_page.password.setText("mango tree by the lagoon")
    wizard.password_page.repeat.setText("mango tree by the lagoon")
    save(wizard, out, "setup-2-password")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    save(wizard, out, "setup-3-recovery-key")
    wizard.close()


def audit_screens(out: Path, window: MainWindow) -> None:
    """The audit log viewer: an update's old → new detail, then a verify result, green and
    then red after one entry is edited behind PharmDesk's back (the database is a throwaway
    demo)."""
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
    save(view, out, "audit-log-update-detail")
    view.clear_filters()
    # The access report: everything that showed or changed one customer, lists included.
    desk.call("fetchCustomers", {"limit": 20})
    desk.call("getCustomersWithUpcomingRefills", {"days": 30, "limit": 20})
    view.resize(1366, 768)
    view.customer_filter.setText(customer)
    view.customer_filter.search_now()
    view.table.selectRow(0)
    save(view, out, "audit-log-access-report")
    view.clear_filters()
    view.resize(1280, 760)
    view.verify_chain()
    save(view, out, "audit-log-verified")
    bad = view.model.entry(min(6, view.model.rowCount() - 1))
    assert bad is not None and desk.session is not None
    with desk.session.db.transaction() as tx:
        tx.execute(
            text("UPDATE audit_entry SET user = 'someone' WHERE id = :id"),
            {"id": int(bad["id"].split("-")[1])},
        )
    view.verify_chain()
    save(view, out, "audit-log-broken")
    view.close()


def backup_screens(out: Path, window: MainWindow, folder: Path) -> None:
    """Admin ▸ Back up now… (after a verified copy), Restore… (after a check), Settings…,
    and the status bar warning for an unplugged backup drive."""
    desk = window.desk
    usb = folder / "usb"
    usb.mkdir()
    desk.call("updateSettings", {"backupFolder": str(usb)})
    backup = BackupDialog(desk, window)
    backup.show()
    save(backup, out, "backup-dialog-ready")
    backup.start()
    wait_for(backup)
    save(backup, out, "backup-dialog")
    written = sorted(usb.iterdir())[0]
    backup.close()

    restore = RestoreDialog(desk, window)
    restore.file_edit.setText(str(written))
    restore.password.setText(DEMO_PASSWORD)
    restore.show()
    restore.check()
    wait_for(restore)
    save(restore, out, "restore-dialog")
    restore.close()

    settings = SettingsDialog(desk, window)
    settings.show()
    save(settings, out, "settings-dialog")
    settings.currency.setText("ZZZ")
    settings.folder.setText(str(folder / "usb-unplugged"))
    settings.save()
    save(settings, out, "settings-dialog-error")
    settings.close()

    desk.call("updateSettings", {"backupFolder": str(folder / "usb-unplugged")})
    window.backups.check(force=True)
    deadline = dt.datetime.now() + dt.timedelta(seconds=60)
    while window.backups.running and dt.datetime.now() < deadline:
        QApplication.processEvents()
    QApplication.processEvents()
    save(window, out, "backup-warning")
    desk.call("updateSettings", {"backupFolder": str(usb)})
    window.backups.warning.hide()


def staff_screens(out: Path, window: MainWindow) -> None:
    """Staff accounts (list, add, one-time password shown once), change my password, the
    first sign-in with a one-time password, and break-glass recovery; then the demo
    admin signs in again so the screens after these find the window as they expect."""
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
    save(dialog, out, "staff-list")
    progress = KeyChangeProgress(dialog)  # what a disable shows while it re-encrypts
    progress.show_progress("", 420, 1000)
    progress.show()
    save(progress, out, "key-change-progress")
    progress.close()
    add = dialog.add_dialog()
    add.username.setText("kemi")
    add.full_name.setText("Kemi Lawal")
    add.role.setCurrentIndex(add.role.findData("pharmacist"))
    add.generate()
    save(add, out, "staff-add")
    add.password.setText("short")
    add.save()
    save(add, out, "staff-add-too-short")
    add.generate()
    add.save()
    save(add, out, "staff-add-one-time-password")
    add.accept()
    save(dialog, out, "staff-list-added")
    dialog.select_user("demo")
    editor = dialog.role_dialog()
    if editor is not None:
        editor.role.setCurrentIndex(editor.role.findData("frontdesk"))
        editor.save()
        save(editor, out, "staff-role-last-admin")
        editor.reject()
    dialog.close()

    window.change_password_action.trigger()
    change = window.change_password_dialog
    assert change is not None
    change.form.new.setText("a quiet harbour at dawn")
    change.form.repeat.setText("a quiet harbour at dawn")
    save(change, out, "change-password")
    change.form.old.setText("not my password at all")
    change.form.submit()
    change.form.new.setText("1234qwerasdfzxcv")
    save(change, out, "change-password-refused")
    change.reject()

    window.lock()
    form = window.sign_in_form
    form.username.setText("femi")
    form.password.setText("femi one time pass 2026")
    form.submit()
    form.change_form.new.setText("femi picks a blue kettle")
    save(window, out, "first-sign-in-change")
    form.change_form.cancel_button.click()
    form.reset("")
    recovery = form.open_recovery()
    assert isinstance(recovery, RecoveryDialog)
    recovery.key.setText("K7QM-X2PA-9FHZ-WD3E-R4TN-8CBY")
    recovery.reason.setPlainText("Ada, our only admin, forgot her password")
    save(recovery, out, "recovery-key")
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
    save(recovery, out, "recovery-new-admin-password")
    recovery.reject()
    form.username.setText(DEMO_USER)
    form.password.setText(DEMO_PASSWORD)
    form.submit()


def import_screens(out: Path, window: MainWindow) -> None:
    """The Import wizard on the sample file in resources/: file, columns, report,
    the import under way, done."""
    window.import_action.trigger()
    wizard = window.import_wizard
    wizard.file_page.path_edit.setText(str(resource_path("sample-customers.csv")))
    save(wizard, out, "import-1-file")
    wizard.next()
    save(wizard, out, "import-2-columns")
    wizard.next()
    while wizard.report_page.dry_run is not None and not wizard.report_page.dry_run.finished:
        QApplication.processEvents()
    save(wizard, out, "import-3-report")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    wizard.import_page.timer.stop()
    wizard.import_page.progress.setValue(6)
    wizard.import_page.status.setText("6 of 12 rows done: 4 customers imported.")
    save(wizard, out, "import-4-importing")
    wizard.import_page.timer.start()
    while wizard.currentId() != DONE_PAGE:
        QApplication.processEvents()
    save(wizard, out, "import-5-done")
    wizard.close()


def quick_unlock_screens(out: Path, window: MainWindow) -> None:
    """File ▸ Quick-unlock PIN… (with a refusal, then set), the lock page asking for the
    PIN, a wrong PIN, and the way to the password form; ends unlocked with the PIN."""
    window.pin_action.trigger()
    dialog = window.pin_dialog
    assert dialog is not None
    dialog.pin.setText("123456")
    dialog.repeat.setText("123456")
    dialog.submit()
    dialog.pin.setText("2047")
    save(dialog, out, "pin-refused")
    dialog.pin.setText("204719")
    dialog.repeat.setText("204719")
    dialog.submit()
    window.pin_action.trigger()
    assert window.pin_dialog is not None
    save(window.pin_dialog, out, "pin-set")
    window.pin_dialog.reject()
    window.statusBar().clearMessage()
    window.lock()
    form = window.sign_in_form
    save(window, out, "lock-screen-pin")
    form.pin.setText("204710")
    form.submit_pin()
    form.pin.setText("20")
    save(window, out, "lock-screen-pin-wrong")
    form.use_password.click()
    save(window, out, "lock-screen-pin-password")
    form.back_to_pin.click()
    form.pin.setText("204719")
    form.submit_pin()
    window.desk.remove_pin()  # the later lock-screen shot shows the password form
