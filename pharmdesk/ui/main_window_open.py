"""What the main window opens for a customer: the profile, the customer form, the
enrollment wizard, the plan catalog, and a customer row's context menu.

Each dialog's module is imported when it is first opened, to keep start-up short (about
0.15 s of imports); not to avoid an import loop (``tests/unit/test_imports.py`` imports
every module on its own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu

from pharmdesk.errors import PharmDeskError

if TYPE_CHECKING:
    from pharmdesk.ui.main_window import MainWindow


def open_profile(window: MainWindow, customer_id: str) -> None:
    from pharmdesk.ui.profile_dialog import ProfileDialog

    try:
        dialog = ProfileDialog(window.desk, customer_id, window)
    except PharmDeskError as exc:
        window.statusBar().showMessage(exc.message, 8000)
        return
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.changed.connect(window.customer_changed)
    dialog.show()


def new_customer(window: MainWindow) -> None:
    from pharmdesk.ui.customer_form.form import CustomerForm

    def saved(customer_id: str) -> None:
        window.model.reload()
        window.open_profile(customer_id)

    form = CustomerForm(window.desk, None, window)
    form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    form.saved.connect(saved)
    form.open_existing.connect(window.open_profile)
    form.show()


def enroll_in_plan(window: MainWindow, customer_id: str | None) -> None:
    from pharmdesk.ui.enrollment.wizard import EnrollmentWizard

    try:
        wizard = EnrollmentWizard(window.desk, customer_id, window)
    except PharmDeskError as exc:
        window.statusBar().showMessage(exc.message, 8000)
        return
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.enrolled.connect(lambda _cid: window.model.reload())
    wizard.enrolled.connect(lambda _cid: window.refill_panel.activate())
    wizard.profile_requested.connect(window.open_profile)
    wizard.show()
    window.enrollment_wizard = wizard


def open_plan_catalog(window: MainWindow) -> None:
    from pharmdesk.ui.plan_catalog import PlanCatalogDialog

    try:
        dialog = PlanCatalogDialog(window.desk, parent=window)
    except PharmDeskError as exc:
        window.statusBar().showMessage(exc.message, 8000)
        return
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    window.plan_catalog = dialog


def customer_row_menu(window: MainWindow, pos: QPoint) -> None:
    table, model = window.table, window.model
    index = table.indexAt(pos)
    customer_id = model.customer_id(index.row()) if index.isValid() else None
    if customer_id is None or window.desk.session is None:
        return
    menu = QMenu(table)
    menu.addAction("&Open profile", lambda: window.open_profile(customer_id))
    menu.addAction("&Enroll in plan…", lambda: window.enroll_in_plan(customer_id))
    menu.popup(table.viewport().mapToGlobal(pos))
    window.row_menu = menu
