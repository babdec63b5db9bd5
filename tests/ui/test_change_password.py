"""Change my password (File menu) and the forced change at a first sign-in, typed as a
person would; the outcome is checked by signing in with the old and the new password."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from pharmdesk.controllers.passwords import RULE
from pharmdesk.controllers.session import sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.change_password import MISMATCH, ChangePasswordDialog
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

NEW_PASSWORD = "a quiet harbour at dawn 2027"
ONE_TIME = "one time pass for femi 11"
FEMI_OWN = "femi picks a blue kettle 42"


def _opens(files: DatabaseFiles, username: str, password: str) -> bool:
    try:
        desk = sign_in(files, username, password, kdf=TEST_KDF, sleep=lambda _s: None)
    except PharmDeskError as exc:
        assert exc.code == "AUTH_FAILED"
        return False
    desk.close()
    return True


def _dialog(qtbot, desk: DeskContext) -> ChangePasswordDialog:  # type: ignore[no-untyped-def]
    dialog = ChangePasswordDialog(desk)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    return dialog


def _type(qtbot, dialog: ChangePasswordDialog, old: str, new: str, again: str) -> None:  # type: ignore[no-untyped-def]
    form = dialog.form
    qtbot.keyClicks(form.old, old)
    qtbot.keyClick(form.old, Qt.Key.Key_Return)  # Enter moves on to the next field
    qtbot.keyClicks(form.new, new)
    qtbot.keyClick(form.new, Qt.Key.Key_Return)
    qtbot.keyClicks(form.repeat, again)
    qtbot.keyClick(form.repeat, Qt.Key.Key_Return)


def _change_entries(desk: DeskContext) -> list[dict[str, str]]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        rows = tx.scalars(select(AuditEntry).where(AuditEntry.action == "staff")).all()
        return [
            {"user": row.user, "event": json.loads(row.detail)["event"]}
            for row in rows
            if json.loads(row.detail)["event"] == "changePassword"
        ]


def test_change_my_password_from_the_file_menu(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    action = main_window.change_password_action
    assert action in main_window.file_menu.actions() and action.isEnabled()
    action.trigger()
    dialog = main_window.change_password_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.activateWindow()
    form = dialog.form
    assert form.rule.text() == RULE and form.rule.isVisible()  # before anything is typed
    qtbot.waitUntil(form.old.hasFocus, timeout=2000)
    with qtbot.waitSignal(dialog.accepted):
        _type(qtbot, dialog, ADMIN_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert main_window.statusBar().currentMessage() == "Your password was changed."
    files = main_window.desk.files
    assert not _opens(files, ADMIN, ADMIN_PASSWORD)
    assert _opens(files, ADMIN, NEW_PASSWORD)
    assert _change_entries(main_window.desk) == [{"user": ADMIN, "event": "changePassword"}]
    # The lock screen takes the new password too.
    main_window.lock()
    assert not action.isEnabled()  # nothing to change while locked
    lock_form = main_window.sign_in_form
    lock_form.username.setText(ADMIN)
    lock_form.password.setText(NEW_PASSWORD)
    qtbot.mouseClick(lock_form.sign_in_button, Qt.MouseButton.LeftButton)
    assert main_window.desk.username == ADMIN


def test_wrong_current_password_is_shown_next_to_it(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, signed_in_desk)
    _type(qtbot, dialog, "not my current password", NEW_PASSWORD, NEW_PASSWORD)
    form = dialog.form
    assert form.old_error.isVisible()
    assert form.old_error.text() == (
        "The current password is not right. Nothing was changed; try again."
    )
    assert dialog.isVisible() and not form.new_error.isVisible()
    assert (form.old.text(), form.new.text(), form.repeat.text()) == ("", "", "")
    assert _opens(signed_in_desk.files, ADMIN, ADMIN_PASSWORD)
    assert _change_entries(signed_in_desk) == []


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("too short", "The password is too short: use at least 15 characters (it has 9)."),
        (
            "1234qwerasdfzxcv",
            "That password is on the list of common or leaked passwords. Choose another.",
        ),
        (ADMIN_PASSWORD, "The new password must be different from the current one."),
        ("admin admin admin", "The password cannot be your username. Choose another."),
    ],
)
def test_password_policy_messages_next_to_the_new_password(  # type: ignore[no-untyped-def]
    qtbot, signed_in_desk: DeskContext, new: str, message: str
) -> None:
    dialog = _dialog(qtbot, signed_in_desk)
    _type(qtbot, dialog, ADMIN_PASSWORD, new, new)
    form = dialog.form
    assert form.new_error.isVisible()
    assert form.new_error.text() == message
    assert not form.old_error.isVisible()
    assert _opens(signed_in_desk.files, ADMIN, ADMIN_PASSWORD)


def test_the_two_new_passwords_must_match(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, signed_in_desk)
    _type(qtbot, dialog, ADMIN_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert dialog.form.repeat_error.text() == MISMATCH
    qtbot.waitUntil(dialog.form.new.hasFocus, timeout=2000)
    assert _opens(signed_in_desk.files, ADMIN, ADMIN_PASSWORD)


def test_strength_hint_follows_typing(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, signed_in_desk)
    form = dialog.form
    assert form.meter.hint.text() == "At least 15 characters."
    qtbot.keyClicks(form.new, "short")
    assert form.meter.hint.text() == "10 more characters needed."
    assert form.meter.bar.value() <= 1
    qtbot.keyClicks(form.new, " but now a long odd phrase")
    assert form.meter.bar.value() >= 3
    assert form.meter.hint.text().startswith(("Strong", "Very strong"))
    # The rule itself is checked as they type, in the words a refusal would use.
    form.new.clear()
    qtbot.keyClicks(form.new, "1234qwerasdfzxcv")
    assert form.meter.hint.text() == (
        "That password is on the list of common or leaked passwords. Choose another."
    )
    assert form.meter.bar.value() == 0
    form.new.clear()
    qtbot.keyClicks(form.new, "admin admin admin")
    assert form.meter.hint.text() == "The password cannot be your username. Choose another."


def test_cancel_changes_nothing(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, signed_in_desk)
    qtbot.keyClicks(dialog.form.old, ADMIN_PASSWORD)
    qtbot.mouseClick(dialog.form.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert dialog.form.old.text() == ""
    assert _change_entries(signed_in_desk) == []


def test_first_sign_in_on_the_lock_screen_leads_into_the_app(  # type: ignore[no-untyped-def]
    qtbot, main_window: MainWindow
) -> None:
    desk = main_window.desk
    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Adebayo",
            "role": "frontdesk",
            "password": ONE_TIME,
            "mustChangePassword": True,
        },
    )
    desk.call("addProviderCustomer", {"name": "Kemi Lawal", "phone": "08031234567"})
    main_window.start()
    main_window.show()
    main_window.lock()
    form = main_window.sign_in_form

    def sign_in_as_femi() -> None:
        form.username.setText("femi")
        form.password.setText(ONE_TIME)
        qtbot.mouseClick(form.sign_in_button, Qt.MouseButton.LeftButton)

    sign_in_as_femi()
    change = form.change_form
    assert change.isVisible() and not form.sign_in_page.isVisible()
    assert main_window.pages.currentIndex() == 1  # still the lock page: no patient data
    assert main_window.model.rowCount() == 0
    # Going back signs the one-time session out and says why.
    qtbot.mouseClick(change.cancel_button, Qt.MouseButton.LeftButton)
    assert desk.session is None
    assert form.sign_in_page.isVisible() and not change.isVisible()
    assert "Your password was not changed" in form.error.text()
    assert form.title.text() == "PharmDesk is locked"

    sign_in_as_femi()
    qtbot.keyClicks(change.new, "short")
    qtbot.keyClicks(change.repeat, "short")
    qtbot.mouseClick(change.submit_button, Qt.MouseButton.LeftButton)
    assert change.new_error.text().startswith("The password is too short")
    assert change.isVisible()
    qtbot.keyClicks(change.new, FEMI_OWN)
    qtbot.keyClicks(change.repeat, FEMI_OWN)
    qtbot.mouseClick(change.submit_button, Qt.MouseButton.LeftButton)
    assert main_window.pages.currentIndex() == 0
    assert desk.username == "femi"
    assert main_window.model.rowCount() == 1  # the app works: customers are listed
    assert form.title.text() == "PharmDesk is locked"  # restored for the next lock
    assert not _opens(desk.files, "femi", ONE_TIME)
    assert _opens(desk.files, "femi", FEMI_OWN)
    assert _change_entries(desk) == [{"user": "femi", "event": "changePassword"}]
