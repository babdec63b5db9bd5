"""The parts of the main window that its modules attach (menus, tabs, admin entries),
declared once with their types so each module can reach the others' parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

if TYPE_CHECKING:
    from pharmdesk.ui.audit_view import AuditLogWindow
    from pharmdesk.ui.backup.backup_dialog import BackupDialog
    from pharmdesk.ui.backup.restore_dialog import RestoreDialog
    from pharmdesk.ui.backup_runner import BackgroundBackups
    from pharmdesk.ui.change_password import ChangePasswordDialog
    from pharmdesk.ui.duplicates_dialog import DuplicatesEntry
    from pharmdesk.ui.enrollment.wizard import EnrollmentWizard
    from pharmdesk.ui.import_wizard import ImportWizard
    from pharmdesk.ui.main_window_admin import ServerBackupsNote
    from pharmdesk.ui.outbox.panel import OutboxPanel
    from pharmdesk.ui.pin_dialog import PinDialog
    from pharmdesk.ui.plan_catalog import PlanCatalogDialog
    from pharmdesk.ui.recovery_key import NewRecoveryKeyDialog
    from pharmdesk.ui.refill_panel import RefillPanel
    from pharmdesk.ui.review_panel import ReviewPanel
    from pharmdesk.ui.segments_panel import SegmentsPanel
    from pharmdesk.ui.settings_dialog import SettingsDialog
    from pharmdesk.ui.staff.staff_dialog import StaffDialog


class WindowParts(QMainWindow):
    """Declarations only: ``MainWindow`` and the functions it calls set these."""

    # Toolbar and menus (main_window_menus)
    toolbar: QToolBar
    file_menu: QMenu
    file_menu_anchor: QAction
    customers_menu: QMenu
    admin_menu: QMenu
    customer_actions_anchor: QAction
    admin_actions: list[QAction]
    action_operations: dict[QAction, str]  # an Admin entry -> the operation it runs
    session_actions: list[QAction]  # disabled while locked
    new_action: QAction
    find_action: QAction
    open_action: QAction
    lock_action: QAction
    sign_out_action: QAction
    quit_action: QAction
    about_action: QAction
    # Work tabs (main_window_panels)
    segments_panel: SegmentsPanel
    segments_action: QAction
    refill_panel: RefillPanel
    outbox_panel: OutboxPanel
    review_panel: ReviewPanel
    enroll_action: QAction
    plans_action: QAction
    import_action: QAction
    import_wizard: ImportWizard
    enrollment_wizard: EnrollmentWizard
    plan_catalog: PlanCatalogDialog
    row_menu: QMenu
    # Admin and account entries (main_window_admin)
    audit_action: QAction
    audit_window: AuditLogWindow | None
    staff_action: QAction
    staff_dialog: StaffDialog | None
    change_password_action: QAction
    change_password_dialog: ChangePasswordDialog | None
    recovery_key_action: QAction
    recovery_key_dialog: NewRecoveryKeyDialog
    backups: BackgroundBackups  # single-PC mode only: a server desk makes no backups
    server_backups_note: ServerBackupsNote
    backup_action: QAction
    restore_action: QAction
    settings_action: QAction
    backup_dialog: BackupDialog | None
    restore_dialog: RestoreDialog | None
    settings_dialog: SettingsDialog | None
    pin_action: QAction
    pin_dialog: PinDialog | None
    duplicates: DuplicatesEntry
