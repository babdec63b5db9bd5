"""The customer side: segments and the campaign export, enrollment and refills, the
profile example with its plan controls and reviews, and the customer form."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument

from pharmdesk.ui.customer_form.form import CustomerForm
from pharmdesk.ui.duplicate_choice import DuplicateChoice
from pharmdesk.ui.enrollment.wizard import EnrollmentWizard
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.plan_controls import PauseDialog
from pharmdesk.ui.profile_dialog import ProfileDialog
from pharmdesk.ui.refill_panel import run_sheet_html
from pharmdesk.ui.review_panel import ReviewPanel
from pharmdesk.ui.segment_model import CONDITION, HIGH_VALUE, REFILLS
from tools.screenshots.capture import save
from tools.screenshots.example import (
    build_profile_example,
    example_desk,
)


def segment_screens(out: Path, window: MainWindow, folder: Path) -> None:
    """The Segments tab for each segment with its chart, and the campaign export dialog."""
    panel = window.segments_panel
    window.segments_action.trigger()
    save(window, out, "segments-conditions-empty")
    labels = panel.condition_labels.stringList()
    panel.show_condition(labels[1] if len(labels) > 1 else "diabetes")
    save(window, out, "segments-condition")
    panel.choose(REFILLS)
    panel.days.setValue(14)
    panel.run()
    save(window, out, "segments-refills")
    panel.days.setValue(60)
    panel.run()
    save(window, out, "segments-refills-60-days")
    panel.choose(HIGH_VALUE)
    panel.min_spend.setValue(100_000)
    panel.run()
    save(window, out, "segments-high-value")
    panel.choose(CONDITION)
    dialog = panel.export_dialog()
    if dialog is not None:
        dialog.path_edit.setText(str(folder / "campaign.csv"))
        dialog.show()
        save(dialog, out, "segments-export")
        dialog.close()
    panel.select_rows([0, 1, 2])
    consent = panel.consent_dialog()
    if consent is not None:
        consent.show()
        save(consent, out, "segments-bulk-consent")
        consent.close()
    window.tabs.setCurrentIndex(0)


def save_run_sheet(out: Path, window: MainWindow) -> None:
    """The run-sheet's first page as an image (what the PDF holds)."""
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


def plan_screens(out: Path, window: MainWindow) -> None:
    """Each enrollment wizard page (with an allergy conflict to acknowledge), the refill
    queue, the record-delivery dialog and the plan catalog."""
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
    save(wizard, out, "enroll-1-customer")
    wizard.next()
    save(wizard, out, "enroll-2-plan")
    plans = wizard.plan_page.list
    for row in range(plans.count()):
        if "Sickle" in plans.item(row).text():
            plans.setCurrentRow(row)
    wizard.next()
    wizard.schedule_page.day.setCurrentIndex(wizard.schedule_page.day.findData("Monday"))
    wizard.schedule_page.time.setCurrentIndex(1)
    save(wizard, out, "enroll-3-schedule")
    wizard.next()
    save(wizard, out, "enroll-4-review")
    wizard.review_page.acknowledge.setChecked(True)
    save(wizard, out, "enroll-4-review-acknowledged")
    wizard.next()
    save(wizard, out, "enroll-5-done")
    wizard.close()

    panel = window.refill_panel
    window.tabs.setCurrentWidget(panel)
    panel.activate()
    save(window, out, "refill-queue")
    save_run_sheet(out, window)
    panel.table.selectRow(0)
    due = panel.current_row()
    if due is not None:
        dialog = panel.order_dialog(due)
        dialog.show()
        save(dialog, out, "record-delivery")
        dialog.close()
    window.open_plan_catalog()
    catalog = window.plan_catalog
    catalog.show_retired.setChecked(True)
    save(catalog, out, "plan-catalog")
    catalog.table.selectRow(0)
    form = catalog.plan_form(catalog.current())
    form.show()
    save(form, out, "plan-form")
    form.close()
    catalog.close()
    window.tabs.setCurrentIndex(0)


def profile_example_screens(out: Path, folder: Path) -> None:
    """John Doe's profile (plan rows, overdue, held plan), the pause and approve dialogs,
    the Reviews tab, and the same profile as front-desk staff see it."""
    desk, _clock = example_desk(folder)
    customer = build_profile_example(desk, _clock)
    dialog = ProfileDialog(desk, customer)
    dialog.show()
    save(dialog, out, "profile-example")
    dialog.body_scroll.verticalScrollBar().setValue(
        dialog.body_scroll.verticalScrollBar().maximum()
    )
    save(dialog, out, "profile-example-scrolled")
    active = next(p for p in dialog.details["plans"] if p["status"] == "active")
    pause = PauseDialog(desk, active, dialog)
    pause.show()
    save(pause, out, "plan-pause")
    pause.until.setChecked(False)
    save(pause, out, "plan-pause-until-resumed")
    pause.close()
    held = next(p for p in dialog.details["plans"] if p["status"] == "pendingReview")
    dialog.plans.review_plan(held, True)
    review = dialog.plans.review_dialog
    save(review, out, "plan-approve")
    review.save()  # no reason yet: the message says what to do
    save(review, out, "plan-approve-reason-required")
    review.close()
    dialog.order_button.click()
    save(dialog.order, out, "profile-record-order")
    dialog.order.close()
    dialog.close()

    panel = ReviewPanel(desk)
    panel.resize(1100, 420)
    panel.show()
    panel.activate()
    save(panel, out, "reviews-panel")
    panel.review_current(False)
    save(panel.dialog, out, "reviews-reject")
    panel.dialog.close()
    panel.clear()
    save(panel, out, "reviews-panel-empty")
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
    save(front, out, "profile-example-front-desk")
    front.close()
    desk.close()


def customer_form_screens(out: Path, window: MainWindow) -> None:
    """The customer form: empty, with validation messages, the duplicate prompt, and an
    edit refused because the customer changed at another desk meanwhile."""
    desk = window.desk
    form = CustomerForm(desk, None, window, ask=lambda *_a: True)
    form.show()
    save(form, out, "form-new-empty")
    form.name.setText("A")
    form.phone.setText("0801 234")
    form.email.setText("john@example")
    form.save()
    save(form, out, "form-new-validation")
    form.close()
    existing = desk.call("fetchCustomers", {"limit": 1})["customers"][0]
    candidates = desk.call(
        "findLikelyDuplicates", {"name": existing["name"] + " Jr", "phone": existing["phone"]}
    )["customers"]
    choice = DuplicateChoice(candidates, "NG", window)
    choice.show()
    save(choice, out, "form-duplicate-prompt")
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
    save(edit, out, "form-edit-changed-elsewhere")
    edit.close()
