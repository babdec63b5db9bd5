"""The window front-desk staff keep open all day: search box, customer table, status bar.

The window composes panels; it holds no patient data itself. Locking (idle or Ctrl+L)
swaps the work area for the sign-in form, empties the table model, hides every other
window, and closes the database.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QByteArray, QModelIndex, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from pharmdesk import __version__
from pharmdesk.controllers.session import clock_is_behind
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.customer_table import COLUMNS, CustomerTableModel
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.idle_lock import IdleWatcher, LockCoordinator
from pharmdesk.ui.login import SignInForm
from pharmdesk.ui.patient_table import PatientTableView
from pharmdesk.ui.widgets import icon, plain_label

SEARCH_DEBOUNCE_MS = 150
DEFAULT_COLUMN_WIDTHS = (80, 200, 120, 190, 220, 55, 60, 105, 115)
FLEXIBLE_COLUMNS = (1, 3, 4)  # name, email, address: they give way on a narrow window
TABLE_CHROME = 24 + 2 + 18  # the page margins, the frame, a vertical scroll bar


def default_column_widths(window_width: int) -> list[int]:
    """Column widths before a person has set their own: the defaults, with the name,
    email and address columns narrowed so that every column shows without a horizontal
    scroll bar on a window ``window_width`` wide (down to a readable minimum)."""
    widths = list(DEFAULT_COLUMN_WIDTHS[: len(COLUMNS)])
    room = window_width - TABLE_CHROME
    excess = sum(widths) - room
    flexible = sum(widths[i] for i in FLEXIBLE_COLUMNS)
    if excess > 0:
        for i in FLEXIBLE_COLUMNS:
            widths[i] = max(90, widths[i] - round(excess * widths[i] / flexible))
    return widths


class CustomerTableView(PatientTableView):
    """The customer table: sorted by the database when a header is clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("customerTable", parent=parent)
        self.setSortingEnabled(True)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)


class SearchBox(QLineEdit):
    """Search as you type; Escape clears, Down moves into the table."""

    move_down = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search")
        self.setPlaceholderText(
            "Find a customer: a few letters of the name, phone digits, or CUST-id"
        )
        self.setClearButtonEnabled(True)
        self.setAccessibleName("Search customers")
        self.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        if event.key() == Qt.Key.Key_Down:
            self.move_down.emit()
            return
        super().keyPressEvent(event)


class Panel(Protocol):
    """What a tab in the main window offers so that lock and sign-in reach it."""

    def activate(self) -> None:
        """Signed in (again): load what the panel shows."""

    def clear(self) -> None:
        """Locked or signed out: forget every patient row."""


class MainWindow(QMainWindow):
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
        self._last_user: str | None = None
        self._remembered_search = ""
        self.setWindowTitle("PharmDesk")
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
        work = self.tabs

        self.sign_in_form = SignInForm(
            desk,
            title="PharmDesk is locked",
            subtitle="Patient data is hidden. Sign in to continue (the same or another "
            "staff member).",
            demo=demo,
        )
        lock_page = QWidget()
        lock_page.setObjectName("lockPage")
        lock_layout = QVBoxLayout(lock_page)
        lock_layout.addStretch(1)
        holder = QHBoxLayout()
        holder.addStretch(1)
        self.sign_in_form.setFixedWidth(440)
        holder.addWidget(self.sign_in_form)
        holder.addStretch(1)
        lock_layout.addLayout(holder)
        lock_layout.addStretch(2)

        self.pages = QStackedWidget()
        self.pages.addWidget(work)
        self.pages.addWidget(lock_page)
        self.setCentralWidget(self.pages)

        self.count_label = plain_label()
        self.count_label.setObjectName("countLabel")
        self.user_label = plain_label()
        self.user_label.setObjectName("userLabel")
        self.branch_label = plain_label()
        self.branch_label.setObjectName("branchLabel")
        self.statusBar().addWidget(self.count_label, 1)
        self.statusBar().addPermanentWidget(self.user_label)
        self.statusBar().addPermanentWidget(self.branch_label)
        # An admin is told, until one is made, that no recovery key opens this database.
        self.no_recovery_key = QPushButton("⚠ No recovery key: make one")
        self.no_recovery_key.setObjectName("noRecoveryKey")
        self.no_recovery_key.setFlat(True)
        self.no_recovery_key.hide()
        self.statusBar().addPermanentWidget(self.no_recovery_key)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._run_search)

        idle_minutes = 5.0
        self.idle = IdleWatcher(idle_minutes, self)
        self.idle.idle.connect(self.lock)

        self._build_actions()
        self._connect()
        self._add_segments_panel()
        self._add_plan_actions()
        self.desk.signed_in.connect(lambda _user: self._apply_role())
        self.desk.role_changed.connect(lambda _role: self._apply_role())
        self.desk.account_disabled.connect(self._account_disabled)
        self._apply_role()
        self._add_audit_actions()
        self._add_staff_actions()
        self._add_review_actions()
        self._add_backup_actions()
        self._add_import_actions()
        self._add_quick_unlock_actions()
        from pharmdesk.ui.duplicates_dialog import DuplicatesEntry

        self.duplicates = DuplicatesEntry(self)  # Customers ▸ Find duplicates…
        # Each person's splitters start from these until they move them.
        self._split_defaults = {s: s.saveState() for s in self._splitters()}

    # -- building ------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        def action(
            text: str, icon_name: str, shortcut: str | QKeySequence | None, tip: str
        ) -> QAction:
            act = QAction(icon(icon_name), text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.setStatusTip(tip)
            act.setToolTip(f"{tip} ({act.shortcut().toString()})" if shortcut else tip)
            return act

        self.new_action = action(
            "&New customer", "new-customer", "Ctrl+N", "Register a new customer"
        )
        self.find_action = action("&Find", "search", "Ctrl+F", "Find a customer")
        self.open_action = action(
            "&Open profile", "profile", None, "Open the selected customer's profile"
        )
        self.lock_action = action("&Lock", "lock", "Ctrl+L", "Lock the screen now")
        # Ctrl+L locks from any PharmDesk window, not only when the main window has focus.
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.sign_out_action = action("Sign &out", "sign-out", None, "Sign out of PharmDesk")
        self.quit_action = action(
            "&Quit", "quit", QKeySequence(QKeySequence.StandardKey.Quit), "Close PharmDesk"
        )
        self.about_action = QAction("&About PharmDesk", self)

        self.toolbar = QToolBar("Main")
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(self.toolbar)
        self.toolbar.addAction(self.new_action)
        self.toolbar.addAction(self.find_action)
        self.toolbar.addAction(self.open_action)
        self.toolbar.addSeparator()
        self.customer_actions_anchor = self.toolbar.addSeparator()
        self.toolbar.addAction(self.lock_action)
        self.toolbar.addAction(self.sign_out_action)

        menu = self.menuBar()
        self.file_menu = menu.addMenu("&File")
        self.file_menu.addAction(self.lock_action)
        self.file_menu.addAction(self.sign_out_action)
        self.file_menu_anchor = self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.customers_menu = menu.addMenu("&Customers")
        self.customers_menu.addAction(self.new_action)
        self.customers_menu.addAction(self.find_action)
        self.customers_menu.addAction(self.open_action)
        # Admin-only screens (staff, audit log, backups, settings) add themselves here
        # with add_admin_action(); the menu is hidden for everyone else.
        self.admin_menu = menu.addMenu("&Admin")
        self.admin_actions: list[QAction] = []
        self.action_operations: dict[QAction, str] = {}  # an entry -> the operation it runs
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.about_action)
        # Everything that shows patient data is disabled while locked.
        self.session_actions = [
            self.new_action,
            self.find_action,
            self.open_action,
            self.lock_action,
            self.sign_out_action,
        ]

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
            self._save_view_state(self._last_user)
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
            self._restore_view_state(username)
            self.model.set_search(self.search.text())
        for panel in self.panels:
            panel.activate()
        self.lock_coordinator.restore_for(username)
        self.idle.start()
        self.focus_search()

    def lock(self) -> None:
        if self.desk.session is None:
            return
        username = self.desk.username
        if username:
            self._save_view_state(username)
        self._remembered_search = self.search.text()
        self._debounce.stop()
        self.idle.stop()
        self.lock_coordinator.hide_all(username or "")
        self.model.clear()
        for panel in self.panels:
            panel.clear()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
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
        self._save_view_state(username)
        self.lock_coordinator.close_for(username)
        self._remembered_search = ""
        self._last_user = None
        self.idle.stop()
        self.model.clear()
        for panel in self.panels:
            panel.clear()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.desk.sign_out()
        self._show_lock_page("")
        self.sign_in_form.title.setText("Signed out")

    def _show_lock_page(self, username: str = "") -> None:
        for act in self.session_actions:
            act.setEnabled(False)
        self.user_label.setText("")
        self.count_label.setText("")
        self.sign_in_form.title.setText("PharmDesk is locked")
        self.sign_in_form.subtitle.setText(
            "Patient data is hidden. Sign in to continue (the same or another staff member)."
        )
        self.pages.setCurrentIndex(1)
        self.sign_in_form.reset(username)

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

    def add_panel(self, panel: QWidget, title: str) -> int:
        """Add a tab; ``panel`` must also implement ``Panel`` (activate/clear)."""
        assert hasattr(panel, "activate") and hasattr(panel, "clear")
        self.panels.append(panel)
        return self.tabs.addTab(panel, title)

    def _add_segments_panel(self) -> None:
        """The Segments tab and the action (Ctrl+G) that shows it."""
        from pharmdesk.ui.segments_panel import SegmentsPanel

        self.segments_panel = SegmentsPanel(self.desk)
        self.segments_panel.open_profile.connect(self.open_profile)
        self.add_panel(self.segments_panel, "Segments")
        self.segments_action = QAction(icon("segments"), "&Segments", self)
        self.segments_action.setShortcut(QKeySequence("Ctrl+G"))
        self.segments_action.setStatusTip("Customers by condition, upcoming refills, high value")
        self.segments_action.setToolTip("Customer segments and campaign export (Ctrl+G)")
        self.segments_action.triggered.connect(
            lambda: self.tabs.setCurrentWidget(self.segments_panel)
        )
        self.toolbar.insertAction(self.lock_action, self.segments_action)
        self.toolbar.insertSeparator(self.lock_action)
        self.customers_menu.addAction(self.segments_action)
        self.session_actions.append(self.segments_action)

    def _add_plan_actions(self) -> None:
        """Plans: "Enroll in plan", the admins' "Plans" catalog, the Refills tab, and
        "Enroll in plan" on a customer row's context menu."""
        from pharmdesk.ui.refill_panel import RefillPanel

        self.refill_panel = RefillPanel(self.desk)
        self.refill_panel.delivery_recorded.connect(lambda _cid: self.model.reload())
        self.add_panel(self.refill_panel, "Refills")
        from pharmdesk.ui.outbox.panel import OutboxPanel

        self.outbox_panel = OutboxPanel(self.desk)
        self.add_panel(self.outbox_panel, "Outbox")
        self.enroll_action = QAction(icon("enroll"), "&Enroll in plan", self)
        self.enroll_action.setStatusTip("Enroll a customer in a plan")
        self.enroll_action.setToolTip("Enroll a customer in a plan")
        self.enroll_action.triggered.connect(lambda: self.enroll_in_plan(None))
        self.plans_action = QAction(icon("plans"), "&Plans", self)
        self.plans_action.setStatusTip("The plan catalog: add, change or retire plans (admins)")
        self.plans_action.setToolTip("The plan catalog (admins)")
        self.plans_action.triggered.connect(self.open_plan_catalog)
        self.toolbar.insertAction(self.customer_actions_anchor, self.enroll_action)
        self.toolbar.insertAction(self.customer_actions_anchor, self.plans_action)
        self.customers_menu.addAction(self.enroll_action)
        self.customers_menu.addAction(self.plans_action)
        self.session_actions.extend([self.enroll_action, self.plans_action])
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._customer_row_menu)
        self.admin_actions.append(self.plans_action)

    def _add_audit_actions(self) -> None:
        """Admin ▸ Audit log… (Ctrl+Shift+A): the audit log viewer, a window of its own."""
        from pharmdesk.ui.audit_view import AuditLogWindow, show_audit_log

        self.audit_window: AuditLogWindow | None = None
        self.audit_action = QAction("&Audit log…", self)
        self.audit_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.audit_action.setStatusTip("Who did what and when: filter, verify the chain, export")
        self.audit_action.setToolTip("The audit log (admins, Ctrl+Shift+A)")

        def open_audit_log() -> None:
            self.audit_window = show_audit_log(self.desk, self, self.audit_window)

        self.audit_action.triggered.connect(open_audit_log)
        self.add_admin_action(self.audit_action)

    def _add_staff_actions(self) -> None:
        """Admin ▸ Staff accounts… (add, roles, passwords, disable) and File ▸ Change my
        password… for everyone."""
        import shiboken6

        from pharmdesk.ui.change_password import ChangePasswordDialog
        from pharmdesk.ui.recovery_key import NewRecoveryKeyDialog
        from pharmdesk.ui.staff.staff_dialog import StaffDialog

        self.staff_dialog: StaffDialog | None = None
        self.change_password_dialog: ChangePasswordDialog | None = None
        self.staff_action = QAction("&Staff accounts…", self)
        self.staff_action.setStatusTip("Add staff, change roles, reset passwords, disable accounts")
        self.staff_action.setToolTip("Staff accounts (admins)")
        self.change_password_action = QAction("Change my &password…", self)
        self.change_password_action.setStatusTip("Choose a new password for your own account")

        def open_staff_accounts() -> None:
            open_now = self.staff_dialog
            if open_now is not None and shiboken6.isValid(open_now) and open_now.isVisible():
                open_now.raise_()  # one staff list at a time
                open_now.activateWindow()
                return
            try:
                dialog = StaffDialog(self.desk, self)
            except PharmDeskError as exc:
                self.statusBar().showMessage(exc.message, 8000)
                return
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            # An admin who demotes themself loses the Admin menu at once.
            dialog.staff_changed.connect(self._apply_role)
            dialog.show()
            self.staff_dialog = dialog

        def change_my_password() -> None:
            dialog = ChangePasswordDialog(self.desk, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accepted.connect(
                lambda: self.statusBar().showMessage("Your password was changed.", 8000)
            )
            dialog.show()
            self.change_password_dialog = dialog

        self.staff_action.triggered.connect(open_staff_accounts)
        self.recovery_key_action = QAction("New &recovery key…", self)
        self.recovery_key_action.setStatusTip(
            "Replace the recovery key: the old paper opens nothing from then on"
        )

        def new_recovery_key() -> None:
            dialog = NewRecoveryKeyDialog(self.desk, self.branch_label.text(), self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.finished.connect(self._apply_role)
            dialog.show()
            self.recovery_key_dialog = dialog

        self.no_recovery_key.clicked.connect(new_recovery_key)

        self.change_password_action.triggered.connect(change_my_password)
        self.recovery_key_action.triggered.connect(new_recovery_key)
        self.add_admin_action(self.staff_action)
        self.add_admin_action(self.recovery_key_action, "replaceRecoveryKey")
        self.file_menu.insertAction(self.file_menu_anchor, self.change_password_action)
        self.session_actions.append(self.change_password_action)

    def _add_backup_actions(self) -> None:
        """Scheduled backups in the background (status bar: progress, warnings, reminder)
        and Admin ▸ Back up now… / Restore… / Settings…"""
        from pharmdesk.ui.backup.backup_dialog import BackupDialog
        from pharmdesk.ui.backup.restore_dialog import RestoreDialog
        from pharmdesk.ui.backup_runner import BackgroundBackups
        from pharmdesk.ui.settings_dialog import SettingsDialog

        self.backups = BackgroundBackups(self.desk, self.statusBar(), self)
        self.backup_dialog: BackupDialog | None = None
        self.restore_dialog: RestoreDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.backup_action = QAction("&Back up now…", self)
        self.backup_action.setStatusTip("Write an encrypted, verified backup to a file")
        self.restore_action = QAction("&Restore…", self)
        self.restore_action.setStatusTip("Check a backup, restore it elsewhere or in place")
        self.settings_action = QAction("S&ettings…", self)
        self.settings_action.setStatusTip("Branch name, phone region, idle lock, backups")

        def back_up_now() -> None:
            dialog = BackupDialog(self.desk, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.backed_up.connect(lambda _answer: self.backups.note_manual_backup())
            dialog.show()
            self.backup_dialog = dialog

        def restored(answer: dict) -> None:
            if answer.get("movedAside"):
                self.sign_in_form.subtitle.setText(
                    "The backup was restored; the previous database was kept beside it. "
                    "Sign in to continue on the restored database."
                )

        def restore() -> None:
            dialog = RestoreDialog(self.desk, self, sign_out=self.sign_out)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.restored.connect(restored)
            dialog.show()
            self.restore_dialog = dialog

        def applied(settings: dict) -> None:
            self.idle.set_minutes(float(settings["idleLockMinutes"]))
            self.branch_label.setText(str(settings["branchName"]))
            self.model.region = str(settings["defaultRegion"])
            self.statusBar().showMessage("Settings saved.", 5000)
            self.backups.check()  # a new folder gets its first backup now

        def open_settings() -> None:
            dialog = SettingsDialog(self.desk, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.saved.connect(applied)
            dialog.show()
            self.settings_dialog = dialog

        self.backup_action.triggered.connect(back_up_now)
        self.restore_action.triggered.connect(restore)
        self.settings_action.triggered.connect(open_settings)
        self.add_admin_action(self.backup_action, "backup")
        self.add_admin_action(self.restore_action, "restoreBackup")
        self.add_admin_action(self.settings_action)
        if self.desk.session is not None:
            self.backups.start()

    def _add_import_actions(self) -> None:
        """Customers > "Import customers…" (admins and pharmacists): the Import wizard, which
        reloads the list when customers came in and can show the newest first."""
        from pharmdesk.controllers.registry import PHARMACISTS

        self.import_action = QAction("&Import customers…", self)
        self.import_action.setStatusTip("Bring customers in from a CSV or Excel file")
        self.import_action.setToolTip("Import customers from a CSV or Excel file")
        self.customers_menu.addAction(self.import_action)
        self.session_actions.append(self.import_action)

        def apply_role() -> None:
            session = self.desk.session
            self.import_action.setVisible(session is not None and session.staff.role in PHARMACISTS)

        def show_newest() -> None:
            self.tabs.setCurrentIndex(0)
            self.search.clear()
            self.flush_search()
            self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # ID: newest first
            self.raise_()
            self.activateWindow()

        def open_wizard() -> None:
            from pharmdesk.ui.import_wizard import ImportWizard

            wizard = ImportWizard(self.desk, self)
            wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            wizard.imported.connect(lambda _count: self.model.reload())
            wizard.show_customers.connect(show_newest)
            wizard.show()
            self.import_wizard = wizard

        self.import_action.triggered.connect(open_wizard)
        self.desk.signed_in.connect(lambda _user: apply_role())
        self.desk.role_changed.connect(lambda _role: apply_role())
        apply_role()

    def _add_quick_unlock_actions(self) -> None:
        """File ▸ Quick-unlock PIN… (everyone): a PIN that unlocks your own locked screen
        (the lock page offers it by itself; see ui/login.py and controllers/quick_unlock)."""
        from pharmdesk.ui.pin_dialog import PinDialog, clock_time

        self.pin_dialog: PinDialog | None = None
        self.pin_action = QAction("&Quick-unlock PIN…", self)
        self.pin_action.setStatusTip("Set a PIN that unlocks your own locked screen")

        def open_pin_dialog() -> None:
            import shiboken6

            open_now = self.pin_dialog
            if open_now is not None and shiboken6.isValid(open_now) and open_now.isVisible():
                open_now.raise_()  # one at a time
                open_now.activateWindow()
                return
            dialog = PinDialog(self.desk, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.pin_set.connect(
                lambda expires: self.statusBar().showMessage(
                    "Your PIN is set: it unlocks your own locked screen until "
                    f"{clock_time(expires, self.desk.clock.now())}.",
                    8000,
                )
            )
            dialog.pin_removed.connect(
                lambda: self.statusBar().showMessage("Your quick-unlock PIN was removed.", 8000)
            )
            dialog.show()
            self.pin_dialog = dialog

        self.pin_action.triggered.connect(open_pin_dialog)
        self.file_menu.insertAction(self.file_menu_anchor, self.pin_action)
        self.session_actions.append(self.pin_action)

    def add_admin_action(self, action: QAction, operation: str | None = None) -> None:
        """An Admin menu entry: shown to admins only, disabled while locked. With
        ``operation``, shown only while the session says the person may run it."""
        self.admin_menu.addAction(action)
        self.admin_actions.append(action)
        if operation is not None:
            self.action_operations[action] = operation
        self.session_actions.append(action)
        self._apply_menu()

    def _apply_role(self) -> None:
        """Show what the signed-in person's role may use, and tell an admin when no
        recovery key opens the database (the key file is read here, not per menu entry)."""
        self._apply_menu()
        missing = self.desk.is_admin and not self.desk.has_recovery_key()
        self.no_recovery_key.setVisible(missing and self.desk.may("replaceRecoveryKey"))

    def _apply_menu(self) -> None:
        """The Admin menu entries the person's role may use (hidden, not just disabled)."""
        is_admin = self.desk.is_admin
        for act in self.admin_actions:
            operation = self.action_operations.get(act)
            act.setVisible(is_admin and (operation is None or self.desk.may(operation)))
        self.admin_menu.menuAction().setVisible(is_admin and not self.admin_menu.isEmpty())

    def _customer_row_menu(self, pos: QPoint) -> None:
        from PySide6.QtWidgets import QMenu

        index = self.table.indexAt(pos)
        customer_id = self.model.customer_id(index.row()) if index.isValid() else None
        if customer_id is None or self.desk.session is None:
            return
        menu = QMenu(self.table)
        menu.addAction("&Open profile", lambda: self.open_profile(customer_id))
        menu.addAction("&Enroll in plan…", lambda: self.enroll_in_plan(customer_id))
        menu.popup(self.table.viewport().mapToGlobal(pos))
        self.row_menu = menu

    def enroll_in_plan(self, customer_id: str | None) -> None:
        from pharmdesk.ui.enrollment.wizard import EnrollmentWizard

        try:
            wizard = EnrollmentWizard(self.desk, customer_id, self)
        except PharmDeskError as exc:
            self.statusBar().showMessage(exc.message, 8000)
            return
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.enrolled.connect(lambda _cid: self.model.reload())
        wizard.enrolled.connect(lambda _cid: self.refill_panel.activate())
        wizard.profile_requested.connect(self.open_profile)
        wizard.show()
        self.enrollment_wizard = wizard

    def open_plan_catalog(self) -> None:
        from pharmdesk.ui.plan_catalog import PlanCatalogDialog

        try:
            dialog = PlanCatalogDialog(self.desk, parent=self)
        except PharmDeskError as exc:
            self.statusBar().showMessage(exc.message, 8000)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.plan_catalog = dialog

    def new_customer(self) -> None:
        from pharmdesk.ui.customer_form.form import CustomerForm

        form = CustomerForm(self.desk, None, self)
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.saved.connect(self._customer_saved)
        form.open_existing.connect(self.open_profile)
        form.show()

    def _customer_saved(self, customer_id: str) -> None:
        self.model.reload()
        self.open_profile(customer_id)

    def _add_review_actions(self) -> None:
        """The Reviews tab (pharmacists and admins: enrollments held for an allergy
        conflict, longest waiting first), hidden for front-desk staff."""
        from pharmdesk.ui.plan_controls import can_review
        from pharmdesk.ui.review_panel import ReviewPanel

        self.review_panel = ReviewPanel(self.desk)
        self.review_panel.open_profile.connect(self.open_profile)
        self.review_panel.reviewed.connect(self._customer_changed)
        index = self.add_panel(self.review_panel, "Reviews")

        def show_count(count: int) -> None:
            self.tabs.setTabText(index, f"Reviews ({count:,})" if count else "Reviews")

        def apply_role() -> None:
            self.tabs.setTabVisible(index, can_review(self.desk))

        self.review_panel.count_changed.connect(show_count)
        self.desk.signed_in.connect(lambda _user: apply_role())
        self.desk.role_changed.connect(lambda _role: apply_role())
        apply_role()

    def _customer_changed(self, _customer_id: str) -> None:
        """A profile or the Reviews tab changed a customer: lists that show them re-read."""
        self.model.reload()
        self.refill_panel.activate()
        self.review_panel.activate()

    def open_profile(self, customer_id: str) -> None:
        from pharmdesk.ui.profile_dialog import ProfileDialog

        try:
            dialog = ProfileDialog(self.desk, customer_id, self)
        except PharmDeskError as exc:
            self.statusBar().showMessage(exc.message, 8000)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(self._customer_changed)
        dialog.show()

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

    # -- remembered per user -------------------------------------------------------------------
    def _save_view_state(self, username: str) -> None:
        self.settings.beginGroup(f"users/{username}")
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("header", self.table.horizontalHeader().saveState())
        for splitter in self._splitters():
            self.settings.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        self.settings.endGroup()
        self.settings.sync()

    def _splitters(self) -> list[QSplitter]:
        """The named splitters of the window's panels (each remembered per person)."""
        return [s for s in self.findChildren(QSplitter) if s.objectName()]

    def _restore_view_state(self, username: str) -> None:
        self.settings.beginGroup(f"users/{username}")
        geometry = self.settings.value("geometry")
        header = self.settings.value("header")
        splits = {s: self.settings.value(f"splitters/{s.objectName()}") for s in self._splitters()}
        self.settings.endGroup()
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        elif not self.isVisible():
            # First run for this person: most of the screen, not Qt's small default.
            self.setGeometry(screen_fit.first_run_geometry(self))
        for splitter, state in splits.items():
            if not isinstance(state, QByteArray) or state.isEmpty():
                state = self._split_defaults.get(splitter, QByteArray())
            splitter.restoreState(state)
        view_header = self.table.horizontalHeader()
        if isinstance(header, QByteArray) and not header.isEmpty():
            view_header.restoreState(header)
        else:
            widths = default_column_widths(self.width())
            for column, width in enumerate(widths):
                self.table.setColumnWidth(column, width)
            view_header.setSortIndicator(1, Qt.SortOrder.AscendingOrder)
        self.model.sort(view_header.sortIndicatorSection(), view_header.sortIndicatorOrder())

    # -- misc ---------------------------------------------------------------------------------
    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About PharmDesk",
            f"<b>PharmDesk {__version__}</b><p>The customer desk for pharmacy branches. "
            "Patient data stays on this PC, encrypted.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.desk.username:
            self._save_view_state(self.desk.username)
        self.lock_coordinator.close_for(self.desk.username or "")
        self.model.clear()
        self.desk.close()
        event.accept()
