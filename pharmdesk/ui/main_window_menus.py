"""The main window's toolbar and menus, and which entries the signed-in person sees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

if TYPE_CHECKING:
    from pharmdesk.ui.main_window import MainWindow

from pharmdesk.ui.widgets import icon


def build_actions(window: MainWindow) -> None:
    def action(text: str, icon_name: str, shortcut: str | QKeySequence | None, tip: str) -> QAction:
        act = QAction(icon(icon_name), text, window)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setStatusTip(tip)
        act.setToolTip(f"{tip} ({act.shortcut().toString()})" if shortcut else tip)
        return act

    window.new_action = action("&New customer", "new-customer", "Ctrl+N", "Register a new customer")
    window.find_action = action("&Find", "search", "Ctrl+F", "Find a customer")
    window.open_action = action(
        "&Open profile", "profile", None, "Open the selected customer's profile"
    )
    window.lock_action = action("&Lock", "lock", "Ctrl+L", "Lock the screen now")
    # Ctrl+L locks from any PharmDesk window, not only when the main window has focus.
    window.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    window.sign_out_action = action("Sign &out", "sign-out", None, "Sign out of PharmDesk")
    window.quit_action = action(
        "&Quit", "quit", QKeySequence(QKeySequence.StandardKey.Quit), "Close PharmDesk"
    )
    window.about_action = QAction("&About PharmDesk", window)

    window.toolbar = QToolBar("Main")
    window.toolbar.setObjectName("mainToolbar")
    window.toolbar.setMovable(False)
    window.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    window.addToolBar(window.toolbar)
    window.toolbar.addAction(window.new_action)
    window.toolbar.addAction(window.find_action)
    window.toolbar.addAction(window.open_action)
    window.toolbar.addSeparator()
    window.customer_actions_anchor = window.toolbar.addSeparator()
    window.toolbar.addAction(window.lock_action)
    window.toolbar.addAction(window.sign_out_action)

    menu = window.menuBar()
    window.file_menu = menu.addMenu("&File")
    window.file_menu.addAction(window.lock_action)
    window.file_menu.addAction(window.sign_out_action)
    window.file_menu_anchor = window.file_menu.addSeparator()
    window.file_menu.addAction(window.quit_action)
    window.customers_menu = menu.addMenu("&Customers")
    window.customers_menu.addAction(window.new_action)
    window.customers_menu.addAction(window.find_action)
    window.customers_menu.addAction(window.open_action)
    # Admin-only screens (staff, audit log, backups, settings) add themselves here
    # with add_admin_action(); the menu is hidden for everyone else.
    window.admin_menu = menu.addMenu("&Admin")
    window.admin_actions = []
    window.action_operations = {}  # an entry -> the operation it runs
    help_menu = menu.addMenu("&Help")
    help_menu.addAction(window.about_action)
    # Everything that shows patient data is disabled while locked.
    window.session_actions = [
        window.new_action,
        window.find_action,
        window.open_action,
        window.lock_action,
        window.sign_out_action,
    ]


def add_admin_action(window: MainWindow, action: QAction, operation: str | None = None) -> None:
    """An Admin menu entry: shown to admins only, disabled while locked. With
    ``operation``, shown only while the session says the person may run it."""
    window.admin_menu.addAction(action)
    window.admin_actions.append(action)
    if operation is not None:
        window.action_operations[action] = operation
    window.session_actions.append(action)
    apply_menu(window)


def apply_menu(window: MainWindow) -> None:
    """The Admin menu entries the person's role may use (hidden, not just disabled)."""
    desk = window.desk
    is_admin = desk.is_admin
    for act in window.admin_actions:
        operation = window.action_operations.get(act)
        act.setVisible(is_admin and (operation is None or desk.may(operation)))
    window.admin_menu.menuAction().setVisible(is_admin and not window.admin_menu.isEmpty())
