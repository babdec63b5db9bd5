"""The desk without a mouse: GUI-checklist steps with key events only.

Find a customer, open the profile, register a walk-in with allergies, enroll them in a
plan, record a delivery, lock. Every key goes to the widget that has the focus, as a
keyboard would send it; nothing is clicked and no widget is called directly.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from pharmdesk.ui.customer_form.form import CustomerForm
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.enrollment.wizard import EnrollmentWizard
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.order_dialog import OrderDialog
from pharmdesk.ui.profile_dialog import ProfileDialog

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


class Keyboard:
    """Sends keys to whatever has the focus (the active window when nothing does)."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.last: QWidget | None = None

    def target(self) -> QWidget:
        if QApplication.activeWindow() is None and self.last is not None and self.last.isVisible():
            # A closed popup or dialog: the window manager's part (see ``window``).
            self.last.activateWindow()
            self.qtbot.waitUntil(lambda: QApplication.activeWindow() is not None)
        widget = QApplication.focusWidget() or QApplication.activeWindow()
        if QApplication.activeWindow() is not None:
            self.last = QApplication.activeWindow()
        assert widget is not None, "nothing has the keyboard focus"
        return widget

    def press(
        self, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
    ) -> None:
        self.qtbot.keyClick(self.target(), key, modifier)
        QApplication.processEvents()

    def type(self, text: str) -> None:
        for char in text:
            self.qtbot.keyClicks(self.target(), char)
        QApplication.processEvents()

    def window(self, kind: type) -> QWidget:
        """The active window, once it is a ``kind``. When a dialog closes, a desktop's
        window manager activates the window under it; the offscreen platform does not,
        so this stands in for the window manager (never for the person)."""

        def active() -> bool:
            if QApplication.activeWindow() is None:
                under = [
                    w
                    for w in QApplication.topLevelWidgets()
                    if isinstance(w, kind) and w.isVisible()
                ]
                if under:
                    under[-1].activateWindow()
            return isinstance(QApplication.activeWindow(), kind)

        self.qtbot.waitUntil(active)
        active = QApplication.activeWindow()
        assert active is not None
        return active


def _dismiss_message_boxes() -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            widget.reject()


def test_the_desk_without_a_mouse(  # type: ignore[no-untyped-def]
    qtbot: QtBot, signed_in_desk: DeskContext, window_settings: QSettings
) -> None:
    desk = signed_in_desk
    desk.call(
        "addPlan",
        {
            "name": "Hypertension Care",
            "medications": ["Amlodipine 5mg"],
            "frequency": "monthly",
            "price": 15000,
        },
    )
    existing = desk.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08033333333"})
    desk.call("addProviderCustomer", {"name": "Chidi Eze", "phone": "08034444444"})
    main = MainWindow(desk, window_settings)
    qtbot.addWidget(main)
    main.start()
    main.show()
    main.activateWindow()
    keys = Keyboard(qtbot)
    keys.window(MainWindow)
    # Only a safety net: if a step fails, closing a half-filled form at teardown must not
    # wait on its "discard?" box.
    dismiss = QTimer(main)
    dismiss.timeout.connect(_dismiss_message_boxes)
    dismiss.start(250)

    # -- find a customer and open the profile -------------------------------------------------
    keys.press(Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is main.search
    keys.type("ada o")
    keys.press(Qt.Key.Key_Down)  # to the results
    assert QApplication.focusWidget() is main.table
    keys.press(Qt.Key.Key_Return)
    profile = keys.window(ProfileDialog)
    assert isinstance(profile, ProfileDialog)
    assert profile.customer_id == existing["customerId"]
    keys.press(Qt.Key.Key_Escape)
    keys.window(MainWindow)

    # -- register a walk-in with allergies ----------------------------------------------------
    keys.press(Qt.Key.Key_N, CTRL)
    form = keys.window(CustomerForm)
    assert isinstance(form, CustomerForm)
    assert QApplication.focusWidget() is form.name
    keys.type("Funke Bello")
    keys.press(Qt.Key.Key_Tab)
    keys.type("0805 111 2222")
    keys.press(Qt.Key.Key_H, ALT)  # Has allergies (a mnemonic clicks after a short flash)
    qtbot.waitUntil(form.allergy_has.isChecked)
    assert QApplication.focusWidget() is form.allergies.editor  # ready to type them
    keys.type("Penicil")
    keys.press(Qt.Key.Key_Return)
    keys.press(Qt.Key.Key_C, ALT)  # Conditions
    keys.type("Hypert")
    keys.press(Qt.Key.Key_Return)
    keys.press(Qt.Key.Key_Return)  # the box is empty: Enter saves
    profile = keys.window(ProfileDialog)
    assert isinstance(profile, ProfileDialog)
    walk_in = profile.customer_id
    details = desk.call("viewProviderCustomerDetails", {"customerId": walk_in})
    assert details["name"] == "Funke Bello"
    assert details["allergies"] == ["Penicillin"]
    assert details["medicalConditions"] == ["Hypertension"]

    # -- enroll in a plan ---------------------------------------------------------------------
    keys.press(Qt.Key.Key_L, ALT)  # Enroll in plan
    wizard = keys.window(EnrollmentWizard)
    assert isinstance(wizard, EnrollmentWizard)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.plan_page)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is wizard.plan_page.filter)
    keys.type("amlo")
    keys.press(Qt.Key.Key_Return)  # takes the first plan shown
    keys.press(Qt.Key.Key_Return)  # Next: the schedule
    assert wizard.currentPage() is wizard.schedule_page
    keys.press(Qt.Key.Key_Return)  # Next: the review
    assert wizard.currentPage() is wizard.review_page
    keys.press(Qt.Key.Key_Return)  # Enroll
    assert wizard.currentPage() is wizard.done_page
    keys.press(Qt.Key.Key_Return)  # Finish
    profile = keys.window(ProfileDialog)
    plans = desk.call("viewProviderCustomerDetails", {"customerId": walk_in})["plans"]
    assert [(p["name"], p["status"]) for p in plans] == [("Hypertension Care", "active")]

    # -- record a delivery --------------------------------------------------------------------
    keys.press(Qt.Key.Key_R, ALT)  # Record order
    order = keys.window(OrderDialog)
    assert isinstance(order, OrderDialog)
    keys.press(Qt.Key.Key_Return)  # Record, on the plan that is due
    keys.window(ProfileDialog)
    orders = desk.call("viewProviderCustomerDetails", {"customerId": walk_in})["recentOrders"]
    assert len(orders) == 1 and orders[0]["total"] == 15000

    # -- lock ---------------------------------------------------------------------------------
    keys.press(Qt.Key.Key_L, CTRL)
    assert desk.session is None
    assert main.pages.currentIndex() == 1
