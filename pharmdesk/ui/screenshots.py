"""Render every screen to PNG files so anyone can look at them without a display.

    python -m pharmdesk.ui.screenshots OUTDIR [--customers N]

Builds a small demo database in a temporary folder (nothing is left behind), then saves
the first-run setup pages, the sign-in, the main window with data, a search in progress,
a profile, and the lock screen. Runs offscreen unless a display platform is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget, QWizard

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
    wizard.resize(640, 480)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--customers", type=int, default=400)
    args = parser.parse_args(argv)
    out: Path = args.outdir
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
        window.resize(1280, 760)
        window.start()
        window.show()
        _save(window, out, "main-window")
        window.search.setText("ade")
        window.flush_search()
        _save(window, out, "search")
        _segment_screens(out, window, folder)
        _plan_screens(out, window)
        busiest = desk.call("fetchCustomers", {"sort": "-totalOrders", "limit": 1})["customers"]
        customer_id = busiest[0]["id"] if busiest else None
        if customer_id:
            dialog = ProfileDialog(desk, customer_id, window)
            dialog.show()
            _save(dialog, out, "profile")
            dialog.close()
        window.lock()
        _save(window, out, "lock-screen")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
