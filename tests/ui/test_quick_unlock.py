"""Quick unlock driven as staff would: set a PIN in File ▸ Quick-unlock PIN…, lock with
Ctrl+L, type the PIN; wrong PINs, the third one, another person, sign-out."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from pharmdesk.controllers.quick_unlock import PIN_CLEARED, PIN_EXPIRED
from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.customer_form.form import CustomerForm
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.pin_dialog import PinDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.controllers.test_quick_unlock import reachable_bytes
from tests.ui.conftest import add_customers

PIN = "204719"
FEMI_PASSWORD = "femi likes long walks 2026"


def _activate(qtbot, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)


def _set_pin(qtbot, window: MainWindow, pin: str = PIN) -> PinDialog:  # type: ignore[no-untyped-def]
    window.pin_action.trigger()
    dialog = window.pin_dialog
    assert dialog is not None and dialog.isVisible()
    _activate(qtbot, dialog)
    assert QApplication.focusWidget() is dialog.pin
    qtbot.keyClicks(dialog.pin, pin)
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)  # on to the second field
    assert QApplication.focusWidget() is dialog.repeat
    qtbot.keyClicks(dialog.repeat, pin)
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    return dialog


def _ctrl_l(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.desk.session is None


def _entries(desk: DeskContext, *actions: str) -> list[AuditEntry]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        query = select(AuditEntry).where(AuditEntry.action.in_(actions))
        return list(tx.scalars(query.order_by(AuditEntry.id)))


def _forms() -> list[CustomerForm]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, CustomerForm)]


def test_set_a_pin_lock_and_unlock_by_typing_it(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    desk = main_window.desk
    add_customers(desk, ["Ngozi Eze", "Amaka Obi"])
    main_window.start()
    main_window.show()
    qtbot.keyClicks(main_window.search, "ngozi")
    main_window.flush_search()
    main_window.new_customer()
    form = _forms()[0]
    qtbot.keyClicks(form.name, "Half Typed Name")
    dialog = _set_pin(qtbot, main_window)
    assert not dialog.isVisible()
    assert desk.quick_unlock.has_pin
    assert main_window.statusBar().currentMessage() == (
        "Your PIN is set: it unlocks your own locked screen until 01:00 on 19 Apr."
    )

    _ctrl_l(qtbot, main_window)
    lock = main_window.sign_in_form
    assert main_window.pages.currentIndex() == 1
    assert lock.pin_page.isVisible() and not lock.sign_in_page.isVisible()
    assert lock.subtitle.text() == "Patient data is hidden. Ada Admin, unlock with your PIN."
    assert QApplication.focusWidget() is lock.pin
    assert not form.isVisible() and main_window.model.rowCount() == 0
    qtbot.keyClicks(lock.pin, PIN)
    qtbot.keyClick(lock.pin, Qt.Key.Key_Return)

    assert desk.username == ADMIN
    assert main_window.pages.currentIndex() == 0
    assert main_window.search.text() == "ngozi"
    assert main_window.model.rowCount() == 1
    assert form.isVisible() and form.name.text() == "Half Typed Name"
    assert lock.pin.text() == ""
    sign_ins = _entries(desk, "signIn")
    assert (sign_ins[-1].user, json.loads(sign_ins[-1].detail)) == (ADMIN, {"method": "pin"})
    assert desk.quick_unlock.has_pin  # the next lock offers the PIN again
    form.done(0)


def test_nothing_locked_holds_the_key_and_the_pin_is_not_saved(  # type: ignore[no-untyped-def]
    qtbot, main_window: MainWindow, window_settings: QSettings, db_files
) -> None:
    desk = main_window.desk
    main_window.start()
    main_window.show()
    assert desk.session is not None
    session, key = desk.session, desk.session.key
    assert key in reachable_bytes(vars(desk), session)
    _set_pin(qtbot, main_window, "86420975")
    _ctrl_l(qtbot, main_window)
    assert key not in reachable_bytes(vars(desk), desk.quick_unlock, session)
    window_settings.sync()
    for path in [Path(window_settings.fileName()), *db_files.db.parent.iterdir()]:
        if path.is_file():
            assert b"86420975" not in path.read_bytes(), path.name
    qtbot.keyClicks(main_window.sign_in_form.pin, "86420975")
    qtbot.keyClick(main_window.sign_in_form.pin, Qt.Key.Key_Return)
    assert desk.session is not None and desk.session.key == key


def test_wrong_pins_then_the_third_falls_back_to_the_password(
    qtbot, main_window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    desk = main_window.desk
    main_window.start()
    main_window.show()
    main_window.new_customer()
    form = _forms()[0]
    qtbot.keyClicks(form.name, "Half Typed Name")
    _set_pin(qtbot, main_window)
    _ctrl_l(qtbot, main_window)
    lock = main_window.sign_in_form
    messages = []
    for wrong in ("204710", "111111"):
        qtbot.keyClicks(lock.pin, wrong)
        qtbot.keyClick(lock.pin, Qt.Key.Key_Return)
        assert lock.pin_error.isVisible() and lock.pin.text() == ""
        messages.append(lock.pin_error.text())
    assert messages == [
        "Wrong PIN. 2 more tries, then your password will be needed.",
        "Wrong PIN. 1 more try, then your password will be needed.",
    ]
    qtbot.keyClicks(lock.pin, "abc")  # letters never reach the field
    assert lock.pin.text() == ""
    qtbot.keyClick(lock.pin, Qt.Key.Key_Return)
    assert lock.pin_error.text() == "Type your PIN (digits only)."
    assert desk.quick_unlock.tries_left == 1
    qtbot.keyClicks(lock.pin, "999999")
    qtbot.keyClick(lock.pin, Qt.Key.Key_Return)

    assert not lock.pin_page.isVisible() and lock.sign_in_page.isVisible()
    assert lock.error.isVisible() and lock.error.text() == PIN_CLEARED
    assert lock.username.text() == ADMIN
    assert QApplication.focusWidget() is lock.password
    assert not lock.back_to_pin.isVisible()
    assert desk.session is None and desk.quick_unlock.locked_for is None
    qtbot.keyClicks(lock.password, ADMIN_PASSWORD)
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert desk.username == ADMIN
    assert form.isVisible() and form.name.text() == "Half Typed Name"
    failed = _entries(desk, "signInFailed")
    assert [json.loads(e.detail).get("pinCleared", False) for e in failed] == [False, False, True]
    assert {json.loads(e.detail)["method"] for e in failed} == {"pin"}
    assert not desk.quick_unlock.has_pin  # set it again to use it again
    _ctrl_l(qtbot, main_window)
    assert lock.sign_in_page.isVisible() and not lock.pin_page.isVisible()
    form.done(0)


def test_another_person_signs_in_instead_with_the_keyboard(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    desk = main_window.desk
    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Front",
            "role": "frontdesk",
            "password": FEMI_PASSWORD,
        },
    )
    main_window.start()
    main_window.show()
    main_window.new_customer()
    form = _forms()[0]
    qtbot.keyClicks(form.name, "Ada's customer")
    _set_pin(qtbot, main_window)
    _ctrl_l(qtbot, main_window)
    lock = main_window.sign_in_form
    # Tab: Unlock, then "Sign in with a password instead, or as someone else"; Space presses.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is lock.unlock_button
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is lock.use_password
    qtbot.keyClick(lock.use_password, Qt.Key.Key_Space)
    assert lock.sign_in_page.isVisible() and not lock.pin_page.isVisible()
    assert lock.back_to_pin.isVisible()
    assert lock.subtitle.text() == (
        "Sign in with your password, or as another staff member. A password sign-in ends the "
        "PIN of Ada Admin."
    )
    assert QApplication.focusWidget() is lock.password
    qtbot.keyClick(lock.password, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is lock.username
    lock.username.selectAll()
    qtbot.keyClicks(lock.username, "femi")
    qtbot.keyClick(lock.username, Qt.Key.Key_Return)
    qtbot.keyClicks(lock.password, "not femi's password")
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert lock.error.isVisible()
    assert desk.quick_unlock.locked_for == ADMIN  # a failed sign-in leaves Ada's PIN
    qtbot.waitUntil(lock.sign_in_button.isEnabled, timeout=3000)  # the growing delay
    qtbot.keyClicks(lock.password, FEMI_PASSWORD)
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)

    assert desk.username == "femi"
    assert desk.quick_unlock.locked_for is None and not desk.quick_unlock.has_pin
    assert not form.isVisible()  # Ada's typing stays hidden from Femi
    main_window.lock()
    assert lock.sign_in_page.isVisible() and not lock.pin_page.isVisible()
    assert not lock.back_to_pin.isVisible()
    lock.username.setText(ADMIN)
    qtbot.keyClicks(lock.password, ADMIN_PASSWORD)
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert desk.username == ADMIN and form.isVisible()
    form.done(0)


def test_back_to_the_pin_from_the_password_form_then_three_strikes(
    qtbot, main_window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    _set_pin(qtbot, main_window)
    _ctrl_l(qtbot, main_window)
    lock = main_window.sign_in_form
    lock.use_password.setFocus()
    qtbot.keyClick(lock.use_password, Qt.Key.Key_Space)
    assert lock.sign_in_page.isVisible()
    for _ in range(6):  # Tab along the password form to "Unlock with the PIN instead"
        if QApplication.focusWidget() is lock.back_to_pin:
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is lock.back_to_pin
    qtbot.keyClick(lock.back_to_pin, Qt.Key.Key_Space)
    assert lock.pin_page.isVisible() and not lock.sign_in_page.isVisible()
    assert lock.subtitle.text() == "Patient data is hidden. Ada Admin, unlock with your PIN."
    assert QApplication.focusWidget() is lock.pin
    for wrong in ("204710", "204711", "204712"):
        qtbot.keyClicks(lock.pin, wrong)
        qtbot.keyClick(lock.pin, Qt.Key.Key_Return)
    # Back on the password form, the page no longer speaks of a PIN.
    assert lock.sign_in_page.isVisible() and not lock.back_to_pin.isVisible()
    assert lock.subtitle.text() == (
        "Patient data is hidden. Sign in to continue (the same or another staff member)."
    )
    assert lock.error.text() == PIN_CLEARED


def test_an_expired_pin_asks_for_the_password(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    _set_pin(qtbot, main_window)
    _ctrl_l(qtbot, main_window)
    main_window.desk.clock.advance(hours=13)  # type: ignore[attr-defined]
    lock = main_window.sign_in_form
    qtbot.keyClicks(lock.pin, PIN)
    qtbot.keyClick(lock.pin, Qt.Key.Key_Return)
    assert lock.sign_in_page.isVisible() and lock.error.text() == PIN_EXPIRED
    assert main_window.desk.session is None


def test_sign_out_destroys_the_pin(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    desk = main_window.desk
    main_window.start()
    main_window.show()
    _set_pin(qtbot, main_window)
    main_window.sign_out()
    assert not desk.quick_unlock.has_pin and desk.quick_unlock.locked_for is None
    lock = main_window.sign_in_form
    assert lock.sign_in_page.isVisible() and not lock.pin_page.isVisible()
    lock.username.setText(ADMIN)
    qtbot.keyClicks(lock.password, ADMIN_PASSWORD)
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    _ctrl_l(qtbot, main_window)
    assert lock.sign_in_page.isVisible() and not lock.pin_page.isVisible()


def test_the_pin_dialog_refuses_weak_pins_changes_and_removes(
    qtbot, main_window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    desk = main_window.desk
    main_window.start()
    main_window.show()
    assert main_window.pin_action in main_window.file_menu.actions()
    dialog = _set_pin(qtbot, main_window, "123456")
    assert dialog.isVisible()
    assert dialog.pin_error.text() == (
        "Counting up or down (like 123456) is the first thing anyone tries."
    )
    assert dialog.pin.text() == "" and dialog.repeat.text() == ""
    assert QApplication.focusWidget() is dialog.pin
    qtbot.keyClicks(dialog.pin, "20471")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.repeat, "20471")
    qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
    assert dialog.pin_error.text() == "A PIN needs at least 6 digits."
    qtbot.keyClicks(dialog.pin, PIN)
    qtbot.keyClicks(dialog.repeat, "204718")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert dialog.repeat_error.isVisible() and not dialog.pin_error.isVisible()
    assert dialog.repeat_error.text() == "The two PINs are different. Type them again."
    assert not desk.quick_unlock.has_pin
    assert not dialog.remove_button.isVisible()
    assert "No PIN is set" in dialog.state.text()
    dialog.reject()

    _set_pin(qtbot, main_window)
    assert desk.quick_unlock.has_pin
    main_window.pin_action.trigger()
    again = main_window.pin_dialog
    assert again is not None and again is not dialog
    assert "Your PIN is set" in again.state.text() and "until 01:00 on 19 Apr" in again.state.text()
    assert again.set_button.text() == "Change PIN" and again.remove_button.isVisible()
    qtbot.mouseClick(again.remove_button, Qt.MouseButton.LeftButton)
    assert not again.isVisible() and not desk.quick_unlock.has_pin
    assert main_window.statusBar().currentMessage() == "Your quick-unlock PIN was removed."
    _ctrl_l(qtbot, main_window)
    assert main_window.sign_in_form.sign_in_page.isVisible()
    assert not main_window.pin_action.isEnabled()  # locked: nothing to set


def test_a_pin_typed_in_the_dialog_does_not_wait_behind_the_lock(
    qtbot, main_window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    main_window.pin_action.trigger()
    dialog = main_window.pin_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.pin, PIN)
    main_window.lock()
    assert not dialog.isVisible() and dialog.pin.text() == ""
    main_window.sign_in_form.username.setText(ADMIN)
    qtbot.keyClicks(main_window.sign_in_form.password, ADMIN_PASSWORD)
    qtbot.keyClick(main_window.sign_in_form.password, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.pin.text() == ""
    dialog.reject()
