"""The window front-desk staff keep open all day: search box, customer table, status bar.

The window composes panels; it holds no patient data itself. Locking (idle or Ctrl+L)
swaps the work area for the sign-in form, empties the table model, hides every other
window, and closes the database. Its parts live beside it: the search box and table view
(``main_window_table``), toolbar and menus (``main_window_menus``), the work tabs
(``main_window_panels``), the admin and account entries (``main_window_admin``), the
status bar (``main_window_status``) and what it remembers per person
(``main_window_state``).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pharmdesk import __version__
from pharmdesk.controllers.session import clock_is_behind
from pharmdesk.ui import main_window_admin as admin
from pharmdesk.ui import main_window_open as opening
from pharmdesk.ui import main_window_panels as panels
from pharmdesk.ui.customer_table import CustomerTableModel
from pharmdesk.ui.debounce import debounce_timer
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.idle_lock import IdleWatcher, LockCoordinator
from pharmdesk.ui.main_window_lock import lock_form, lock_page, show_locked
from pharmdesk.ui.main_window_menus import add_admin_action, apply_menu, build_actions
from pharmdesk.ui.main_window_parts import WindowParts
from pharmdesk.ui.main_window_state import ViewMemory
from pharmdesk.ui.main_window_status import DeskStatus, window_title
from pharmdesk.ui.main_window_table import (
    SEARCH_DEBOUNCE_MS,
    TABLE_CHROME,
    CustomerTableView,
    Panel,
    SearchBox,
    default_column_widths,
)
from pharmdesk.ui.widgets import icon, plain_label

__all__ = [
    "SEARCH_DEBOUNCE_MS",
    "TABLE_CHROME",
    "MainWindow",
    "default_column_widths",
]


class MainWindow(WindowParts):
    def __init__(
        self,
        desk: DeskContext,
        settings: QSettings,
        *,
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.settings = settings
        self.lock_coordinator = LockCoordinator(self, self)
        self.view_memory = ViewMemory(self, settings)
        self._last_user: str | None = None
        self._remembered_search = ""
        self.setWindowTitle(window_title(desk.files))
        self.setWindowIcon(icon("pharmdesk"))

        self.model = CustomerTableModel(desk.caller("fetchCustomers"), self)
        self.table = CustomerTableView()
        self.table.setModel(self.model)
        self.search = SearchBox()
        self.empty_state = plain_label()
        self.empty_state.setObjectName("emptyState")
        self.empty_state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_state.setWordWrap(True)
        self.results = QStackedWidget()
        self.results.addWidget(self.table)
        self.results.addWidget(self.empty_state)

        customers_page = QWidget()
        work_layout = QVBoxLayout(customers_page)
        work_layout.setContentsMargins(12, 12, 12, 6)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search)
        work_layout.addLayout(search_row)
        work_layout.addWidget(self.results, 1)
        # The work area: the customer list first; other panels (refill queue, segments, ...)
        # plug in as further tabs through add_panel().
        self.tabs = QTabWidget()
        self.tabs.setObjectName("panels")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(customers_page, "Customers")
        self.panels: list[Panel] = []

        self.sign_in_form = lock_form(desk, demo=demo)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.tabs)
        self.pages.addWidget(lock_page(self.sign_in_form))
        self.setCentralWidget(self.pages)

        self.status = DeskStatus(self.statusBar(), desk)
        self.count_label = self.status.count_label
        self.user_label = self.status.user_label
        self.branch_label = self.status.branch_label
        self.no_recovery_key = self.status.no_recovery_key

        self._debounce = debounce_timer(self, SEARCH_DEBOUNCE_MS, self._run_search)

        idle_minutes = 5.0
        self.idle = IdleWatcher(idle_minutes, self)
        self.idle.idle.connect(self.lock)

        build_actions(self)
        self._connect()
        panels.add_segments_panel(self)
        panels.add_plan_actions(self)
        self.desk.signed_in.connect(lambda _user: self.apply_role())
        self.desk.role_changed.connect(lambda _role: self.apply_role())
        self.desk.account_disabled.connect(self._account_disabled)
        self.apply_role()
        admin.add_audit_actions(self)
        admin.add_staff_actions(self)
        panels.add_review_actions(self)
        admin.add_backup_actions(self)
        panels.add_import_actions(self)
        admin.add_quick_unlock_actions(self)
        from pharmdesk.ui.duplicates_dialog import DuplicatesEntry

        self.duplicates = DuplicatesEntry(self)  # Customers ▸ Find duplicates…
        self.view_memory.keep_defaults()

    def _connect(self) -> None:
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._open_from_search)
        self.search.move_down.connect(self._focus_table)
        self.table.open_requested.connect(self._open_index)
        self.model.loaded.connect(self._update_count)
        self.model.rowsInserted.connect(lambda *_: self._update_count())
        self.model.failed.connect(lambda message: self.statusBar().showMessage(message, 8000))
        self.new_action.triggered.connect(self.new_customer)
        self.find_action.triggered.connect(self.focus_search)
        self.open_action.triggered.connect(lambda: self._open_index(self.table.currentIndex()))
        self.lock_action.triggered.connect(self.lock)
        self.sign_out_action.triggered.connect(self.sign_out)
        self.quit_action.triggered.connect(self.close)
        self.about_action.triggered.connect(self._about)
        self.sign_in_form.signed_in.connect(self._after_sign_in)
        # The customer count describes the Customers tab only.
        self.tabs.currentChanged.connect(lambda index: self.count_label.setVisible(index == 0))

    # -- session -----------------------------------------------------------------------------
    def start(self) -> None:
        """Called once the first sign-in has succeeded."""
        if self.desk.username is None:
            self._show_lock_page()
            return
        self._after_sign_in(self.desk.username)

    def _after_sign_in(self, username: str) -> None:
        same_person = username == self._last_user
        if self._last_user is not None and not same_person:
            self.view_memory.save(self._last_user)
        self._last_user = username
        settings = self.desk.settings()
        self.model.region = str(settings.get("defaultRegion", "NG"))
        self.idle.set_minutes(float(settings.get("idleLockMinutes", 5)))
        self.branch_label.setText(str(settings.get("branchName", "")))
        if self.desk.session is not None:
            staff = self.desk.session.staff
            self.user_label.setText(f"{staff.full_name} ({staff.role})")
            if clock_is_behind(self.desk.session):
                self.statusBar().showMessage(
                    "This PC's clock is earlier than the newest audit entry. Check the date "
                    "and time (the sign-in was recorded with this warning)."
                )
        for act in self.session_actions:
            act.setEnabled(True)
        self.pages.setCurrentIndex(0)
        self.search.blockSignals(True)
        self.search.setText(self._remembered_search if same_person else "")
        self.search.blockSignals(False)
        with self.model.hold():
            self.view_memory.restore(username)
            self.model.set_search(self.search.text())
        for panel in self.panels:
            panel.activate()
        self.lock_coordinator.restore_for(username)
        self.idle.start()
        self.focus_search()

    def _hide_patient_data(self) -> None:
        """Locked or signed out: every list forgets its rows, the search box empties."""
        self._debounce.stop()
        self.idle.stop()
        self.model.clear()
        for panel in self.panels:
            panel.clear()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)

    def lock(self) -> None:
        if self.desk.session is None:
            return
        username = self.desk.username
        if username:
            self.view_memory.save(username)
        self._remembered_search = self.search.text()
        self.lock_coordinator.hide_all(username or "")
        self._hide_patient_data()
        try:
            self.desk.lock()
        finally:
            self._show_lock_page(username or "")

    def sign_out(self) -> None:
        username = self.desk.username
        if username is None:
            return
        self._end_for(username)
        self.sign_in_form.subtitle.setText("Sign in to continue.")

    def _account_disabled(self, username: str, message: str) -> None:
        """The signed-in person was disabled by an admin (their next action was refused)."""
        if self.desk.session is not None:
            return  # someone has signed in since
        self._end_for(username)
        self.sign_in_form.subtitle.setText(message)

    def _end_for(self, username: str) -> None:
        self.view_memory.save(username)
        self.lock_coordinator.close_for(username)
        self._remembered_search = ""
        self._last_user = None
        self._hide_patient_data()
        self.desk.sign_out()
        self._show_lock_page("")
        self.sign_in_form.title.setText("Signed out")

    def _show_lock_page(self, username: str = "") -> None:
        for act in self.session_actions:
            act.setEnabled(False)
        self.user_label.setText("")
        self.count_label.setText("")
        self.pages.setCurrentIndex(1)
        show_locked(self.sign_in_form, username)

    # -- searching and opening --------------------------------------------------------------
    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _run_search(self) -> None:
        if self.desk.session is None:
            return
        self.model.set_search(self.search.text())
        if self.model.rowCount() > 0:
            self.table.selectRow(0)

    def flush_search(self) -> None:
        """Run a pending debounced search now (Enter pressed before the pause ended)."""
        if self._debounce.isActive():
            self._debounce.stop()
            self._run_search()

    def _focus_table(self) -> None:
        self.flush_search()
        if self.model.rowCount() > 0:
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)

    def _open_from_search(self) -> None:
        self.flush_search()
        index = self.table.currentIndex()
        if not index.isValid() and self.model.rowCount() > 0:
            index = self.model.index(0, 0)
        self._open_index(index)

    def _open_index(self, index: QModelIndex) -> None:
        customer_id = self.model.customer_id(index.row()) if index.isValid() else None
        if customer_id is None:
            return
        self.open_profile(customer_id)

    def open_profile(self, customer_id: str) -> None:
        opening.open_profile(self, customer_id)

    def new_customer(self) -> None:
        opening.new_customer(self)

    def enroll_in_plan(self, customer_id: str | None) -> None:
        opening.enroll_in_plan(self, customer_id)

    def open_plan_catalog(self) -> None:
        opening.open_plan_catalog(self)

    def _customer_row_menu(self, pos: QPoint) -> None:
        opening.customer_row_menu(self, pos)

    def customer_changed(self, _customer_id: str) -> None:
        """A profile or the Reviews tab changed a customer: lists that show them re-read."""
        self.model.reload()
        self.refill_panel.activate()
        self.review_panel.activate()

    def _update_count(self) -> None:
        total = self.model.total
        text = self.model.search_text
        noun = "customer" if total == 1 else "customers"
        if text:
            self.count_label.setText(f"{total:,} matching '{text}'")
            self.empty_state.setText(
                f"No customer matches '{text}'.\nCheck the spelling, try fewer letters, or "
                "type part of the phone number."
            )
        else:
            self.count_label.setText(f"{total:,} {noun}")
            self.empty_state.setText("No customers yet.\nRegistered customers will be listed here.")
        self.results.setCurrentIndex(0 if self.model.rowCount() > 0 else 1)

    # -- tabs and role -------------------------------------------------------------------------
    def add_panel(self, panel: QWidget, title: str) -> int:
        """Add a tab; ``panel`` must also implement ``Panel`` (activate/clear)."""
        assert hasattr(panel, "activate") and hasattr(panel, "clear")
        self.panels.append(panel)
        return self.tabs.addTab(panel, title)

    def add_admin_action(self, action: QAction, operation: str | None = None) -> None:
        """An Admin menu entry: shown to admins only, disabled while locked. With
        ``operation``, shown only while the session says the person may run it."""
        add_admin_action(self, action, operation)

    def apply_role(self) -> None:
        """Show what the signed-in person's role may use, and tell an admin when no
        recovery key opens the database."""
        apply_menu(self)
        self.status.show_recovery_warning()

    # -- misc ---------------------------------------------------------------------------------
    def _about(self) -> None:
        files = self.desk.files
        where = (
            f"Patient data is kept on your branch server ({files.where})."
            if files.server is not None
            else "Patient data stays on this PC, encrypted."
        )
        QMessageBox.about(
            self,
            "About PharmDesk",
            f"<b>PharmDesk {__version__}</b><p>The customer desk for pharmacy branches. "
            f"{where}</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.desk.username:
            self.view_memory.save(self.desk.username)
        self.lock_coordinator.close_for(self.desk.username or "")
        self.model.clear()
        self.desk.close()
        event.accept()
