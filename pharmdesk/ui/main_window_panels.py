"""The main window's work tabs and their actions: Segments, Refills, Outbox, Reviews,
enrollment and the plan catalog, and the Import wizard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from pharmdesk.ui.main_window import MainWindow

from pharmdesk.ui.main_window_open import customer_row_menu
from pharmdesk.ui.widgets import icon


def add_segments_panel(window: MainWindow) -> None:
    """The Segments tab and the action (Ctrl+G) that shows it."""
    from pharmdesk.ui.segments_panel import SegmentsPanel

    window.segments_panel = SegmentsPanel(window.desk)
    window.segments_panel.open_profile.connect(window.open_profile)
    window.add_panel(window.segments_panel, "Segments")
    window.segments_action = QAction(icon("segments"), "&Segments", window)
    window.segments_action.setShortcut(QKeySequence("Ctrl+G"))
    window.segments_action.setStatusTip("Customers by condition, upcoming refills, high value")
    window.segments_action.setToolTip("Customer segments and campaign export (Ctrl+G)")
    window.segments_action.triggered.connect(
        lambda: window.tabs.setCurrentWidget(window.segments_panel)
    )
    window.toolbar.insertAction(window.lock_action, window.segments_action)
    window.toolbar.insertSeparator(window.lock_action)
    window.customers_menu.addAction(window.segments_action)
    window.session_actions.append(window.segments_action)


def add_plan_actions(window: MainWindow) -> None:
    """Plans: "Enroll in plan", the admins' "Plans" catalog, the Refills tab, and
    "Enroll in plan" on a customer row's context menu."""
    from pharmdesk.ui.refill_panel import RefillPanel

    window.refill_panel = RefillPanel(window.desk)
    window.refill_panel.delivery_recorded.connect(lambda _cid: window.model.reload())
    window.add_panel(window.refill_panel, "Refills")
    from pharmdesk.ui.outbox.panel import OutboxPanel

    window.outbox_panel = OutboxPanel(window.desk)
    window.add_panel(window.outbox_panel, "Outbox")
    window.enroll_action = QAction(icon("enroll"), "&Enroll in plan", window)
    window.enroll_action.setStatusTip("Enroll a customer in a plan")
    window.enroll_action.setToolTip("Enroll a customer in a plan")
    window.enroll_action.triggered.connect(lambda: window.enroll_in_plan(None))
    window.plans_action = QAction(icon("plans"), "&Plans", window)
    window.plans_action.setStatusTip("The plan catalog: add, change or retire plans (admins)")
    window.plans_action.setToolTip("The plan catalog (admins)")
    window.plans_action.triggered.connect(window.open_plan_catalog)
    window.toolbar.insertAction(window.customer_actions_anchor, window.enroll_action)
    window.toolbar.insertAction(window.customer_actions_anchor, window.plans_action)
    window.customers_menu.addAction(window.enroll_action)
    window.customers_menu.addAction(window.plans_action)
    window.session_actions.extend([window.enroll_action, window.plans_action])
    window.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    window.table.customContextMenuRequested.connect(lambda pos: customer_row_menu(window, pos))
    window.admin_actions.append(window.plans_action)


def add_review_actions(window: MainWindow) -> None:
    """The Reviews tab (pharmacists and admins: enrollments held for an allergy
    conflict, longest waiting first), hidden for front-desk staff."""
    from pharmdesk.ui.plan_controls import can_review
    from pharmdesk.ui.review_panel import ReviewPanel

    window.review_panel = ReviewPanel(window.desk)
    window.review_panel.open_profile.connect(window.open_profile)
    window.review_panel.reviewed.connect(window.customer_changed)
    index = window.add_panel(window.review_panel, "Reviews")

    def show_count(count: int) -> None:
        window.tabs.setTabText(index, f"Reviews ({count:,})" if count else "Reviews")

    def apply_role() -> None:
        window.tabs.setTabVisible(index, can_review(window.desk))

    window.review_panel.count_changed.connect(show_count)
    window.desk.signed_in.connect(lambda _user: apply_role())
    window.desk.role_changed.connect(lambda _role: apply_role())
    apply_role()


def add_import_actions(window: MainWindow) -> None:
    """Customers > "Import customers…" (admins and pharmacists): the Import wizard, which
    reloads the list when customers came in and can show the newest first."""
    from pharmdesk.controllers.registry import PHARMACISTS

    window.import_action = QAction("&Import customers…", window)
    window.import_action.setStatusTip("Bring customers in from a CSV or Excel file")
    window.import_action.setToolTip("Import customers from a CSV or Excel file")
    window.customers_menu.addAction(window.import_action)
    window.session_actions.append(window.import_action)

    def apply_role() -> None:
        session = window.desk.session
        window.import_action.setVisible(session is not None and session.staff.role in PHARMACISTS)

    def show_newest() -> None:
        window.tabs.setCurrentIndex(0)
        window.search.clear()
        window.flush_search()
        window.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # ID: newest first
        window.raise_()
        window.activateWindow()

    def open_wizard() -> None:
        from pharmdesk.ui.import_wizard import ImportWizard

        wizard = ImportWizard(window.desk, window)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.imported.connect(lambda _count: window.model.reload())
        wizard.show_customers.connect(show_newest)
        wizard.show()
        window.import_wizard = wizard

    window.import_action.triggered.connect(open_wizard)
    window.desk.signed_in.connect(lambda _user: apply_role())
    window.desk.role_changed.connect(lambda _role: apply_role())
    apply_role()
