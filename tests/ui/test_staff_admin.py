"""Staff accounts through the GUI: add, first sign-in, roles and menus, disable, unlock.

Driven as an admin would (typing, clicking); every outcome is checked through the
operations and the audit log, not the widgets alone.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from pharmdesk.controllers.session import sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import LoginDialog
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.staff.password_dialog import (
    ADD,
    StaffPasswordDialog,
    generate_one_time_password,
)
from pharmdesk.ui.staff.staff_dialog import StaffDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

FEMI_PASSWORD = "femi likes long walks 2026"
FEMI_OWN = "femi chooses a river stone 77"
COMMON = "1234qwerasdfzxcv"


class Asker:
    """Records each question and gives a set answer (no modal box in tests)."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.questions: list[str] = []

    def __call__(self, _title: str, question: str) -> bool:
        self.questions.append(question)
        return self.answer


def _click(qtbot, button) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _dialog(qtbot, desk: DeskContext, answer: bool = True) -> tuple[StaffDialog, Asker]:  # type: ignore[no-untyped-def]
    asker = Asker(answer)
    dialog = StaffDialog(desk, ask=asker)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog, asker


def _add_femi(desk: DeskContext, role: str = "frontdesk", must_change: bool = False) -> None:
    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Adebayo",
            "role": role,
            "password": FEMI_PASSWORD,
            "mustChangePassword": must_change,
        },
    )


def _row(dialog: StaffDialog, username: str) -> dict[str, Any]:
    for row in range(dialog.model.rowCount()):
        record = dialog.model.record(row)
        if record is not None and record["username"] == username:
            return record
    raise AssertionError(f"{username} is not listed")


def _cell(dialog: StaffDialog, username: str, column: int) -> str:
    for row in range(dialog.model.rowCount()):
        record = dialog.model.record(row)
        if record is not None and record["username"] == username:
            return str(dialog.model.index(row, column).data())
    raise AssertionError(f"{username} is not listed")


def _staff_entries(desk: DeskContext, event: str) -> list[dict[str, Any]]:
    """The ``staff`` audit entries of one event: who wrote them, about whom, the detail."""
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        rows = tx.scalars(select(AuditEntry).where(AuditEntry.action == "staff")).all()
        found = [
            {"user": row.user, "entityId": row.entity_id, "detail": json.loads(row.detail)}
            for row in rows
        ]
    return [entry for entry in found if entry["detail"]["event"] == event]


def _fill_add(qtbot, form: StaffPasswordDialog, username: str, full_name: str, role: str) -> None:  # type: ignore[no-untyped-def]
    form.activateWindow()
    qtbot.keyClicks(form.username, username)
    qtbot.keyClicks(form.full_name, full_name)
    form.role.setCurrentIndex(form.role.findData(role))


# -- the list -----------------------------------------------------------------------------------
def test_staff_list_columns_and_model(qtbot, qtmodeltester, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    _add_femi(signed_in_desk)
    signed_in_desk.call("disableStaff", {"username": "femi"})
    dialog, _ = _dialog(qtbot, signed_in_desk)
    qtmodeltester.check(dialog.model)
    headers = [dialog.model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)]
    assert headers == ["Username", "Full name", "Role", "Last sign-in", "Status"]
    assert [dialog.model.record(r)["username"] for r in range(2)] == ["admin", "femi"]  # type: ignore[index]
    # The admin signed in just now (the fixed clock): a local date and "now".
    assert _cell(dialog, "admin", 3) == "18 Apr 2026 (now)"
    assert _cell(dialog, "admin", 4) == "Active"
    assert _cell(dialog, "femi", 2) == "Front desk"
    assert _cell(dialog, "femi", 3) == "Never"
    assert _cell(dialog, "femi", 4) == "Disabled"


def test_last_sign_in_reads_as_days_ago(qtbot, signed_in_desk: DeskContext, clock) -> None:  # type: ignore[no-untyped-def]
    _add_femi(signed_in_desk)
    clock.advance(days=-3)
    femi = sign_in(signed_in_desk.files, "femi", FEMI_PASSWORD, clock=clock, kdf=TEST_KDF)
    femi.close()
    clock.advance(days=3)
    dialog, _ = _dialog(qtbot, signed_in_desk)
    assert _cell(dialog, "femi", 3) == "15 Apr 2026 (3 days ago)"


# -- adding, then signing in as them -------------------------------------------------------------
def test_add_staff_then_first_sign_in_chooses_own_password(  # type: ignore[no-untyped-def]
    qtbot, signed_in_desk: DeskContext
) -> None:
    dialog, _ = _dialog(qtbot, signed_in_desk)
    form = dialog.add_dialog()
    assert form.mode == ADD
    # The rule is on screen before anything is typed.
    rule = form.findChild(QLabel, "subtitle")
    assert rule is not None and rule.isVisible()
    assert "at least 15 characters" in rule.text()
    _fill_add(qtbot, form, "Femi", "Femi Adebayo", "pharmacist")
    _click(qtbot, form.generate_button)
    one_time = form.password.text()
    assert len(one_time) == 19 and form.password.echoMode() == form.password.EchoMode.Normal
    _click(qtbot, form.save_button)
    # Shown once, with Copy.
    assert form.done_page.isVisible() and form.shown_password.text() == one_time
    _click(qtbot, form.copy_button)
    assert QGuiApplication.clipboard().text() == one_time
    _click(qtbot, form.close_button)
    assert "Added femi" in dialog.notice.text()
    femi = _row(dialog, "femi")
    assert (femi["role"], femi["fullName"], femi["disabled"]) == (
        "pharmacist",
        "Femi Adebayo",
        False,
    )
    (entry,) = _staff_entries(signed_in_desk, "add")
    assert entry["user"] == ADMIN and entry["entityId"] == "femi"
    assert entry["detail"] == {"event": "add", "role": "pharmacist", "mustChangePassword": True}
    assert one_time not in json.dumps(entry)

    # Femi signs in with the one-time password and is taken straight to choosing their own.
    signed_in_desk.sign_out()
    login = LoginDialog(signed_in_desk)
    qtbot.addWidget(login)
    login.show()
    login.activateWindow()
    sign_in_form = login.form
    qtbot.keyClicks(sign_in_form.username, "femi")
    qtbot.keyClick(sign_in_form.username, Qt.Key.Key_Tab)
    qtbot.keyClicks(sign_in_form.password, one_time)
    qtbot.keyClick(sign_in_form.password, Qt.Key.Key_Return)
    assert not login.isHidden() and login.result() == 0
    change = sign_in_form.change_form
    assert change.isVisible() and not sign_in_form.sign_in_page.isVisible()
    assert sign_in_form.title.text() == "Choose your own password"
    assert "Femi Adebayo" in sign_in_form.subtitle.text()
    assert not change.old.isVisible()  # the one-time password is not asked twice
    # Until then every other operation is refused.
    with pytest.raises(PharmDeskError) as refused:
        signed_in_desk.call("fetchCustomers")
    assert refused.value.code == "PASSWORD_CHANGE_REQUIRED"
    qtbot.keyClicks(change.new, FEMI_OWN)
    qtbot.keyClicks(change.repeat, FEMI_OWN)
    with qtbot.waitSignal(login.accepted):
        qtbot.keyClick(change.repeat, Qt.Key.Key_Return)
    assert signed_in_desk.username == "femi"
    assert signed_in_desk.call("fetchCustomers")["total"] == 0
    with pytest.raises(PharmDeskError) as old:
        sign_in(signed_in_desk.files, "femi", one_time, kdf=TEST_KDF, sleep=lambda _s: None)
    assert old.value.code == "AUTH_FAILED"
    again = sign_in(signed_in_desk.files, "femi", FEMI_OWN, kdf=TEST_KDF)
    assert not again.staff.must_change_password
    again.close()


def test_add_dialog_shows_each_refusal_next_to_its_field(  # type: ignore[no-untyped-def]
    qtbot, signed_in_desk: DeskContext
) -> None:
    _add_femi(signed_in_desk)
    dialog, _ = _dialog(qtbot, signed_in_desk)
    form = dialog.add_dialog()
    _fill_add(qtbot, form, "femi", "Another Femi", "frontdesk")
    _click(qtbot, form.save_button)
    assert form.password_error.text() == "Type a one-time password, or Generate one."
    qtbot.keyClicks(form.password, "short pass")
    _click(qtbot, form.save_button)
    assert form.password_error.isVisible()
    assert form.password_error.text() == (
        "The password is too short: use at least 15 characters (it has 10)."
    )
    form.password.clear()
    qtbot.keyClicks(form.password, COMMON)
    _click(qtbot, form.save_button)
    assert form.password_error.text() == (
        "That password is on the list of common or leaked passwords. Choose another."
    )
    form.password.clear()
    qtbot.keyClicks(form.password, "a perfectly fine one-time pass")
    _click(qtbot, form.save_button)
    assert not form.password_error.isVisible()
    assert form.username_error.isVisible()
    assert "already exists" in form.username_error.text()
    form.username.clear()
    qtbot.keyClicks(form.username, "Bad Name!")
    _click(qtbot, form.save_button)
    assert form.username_error.text().startswith("Usernames are 2 to 32 characters")
    form.username.clear()
    qtbot.keyClicks(form.username, "bola")
    form.full_name.clear()
    _click(qtbot, form.save_button)
    assert form.full_name_error.isVisible()
    assert form.form_page.isVisible()  # nothing saved yet
    assert [r["username"] for r in signed_in_desk.call("listStaff")["staff"]] == ["admin", "femi"]
    form.close()


def test_generated_one_time_passwords_pass_the_rule_and_differ() -> None:
    from pharmdesk.controllers.passwords import check_new_password

    made = {generate_one_time_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert check_new_password(password) == password


# -- disable / enable ------------------------------------------------------------------------------
def test_disable_asks_first_then_they_cannot_sign_in(  # type: ignore[no-untyped-def]
    qtbot, signed_in_desk: DeskContext
) -> None:
    _add_femi(signed_in_desk)
    dialog, asker = _dialog(qtbot, signed_in_desk, answer=False)
    dialog.select_user("femi")
    assert dialog.disable_button.text() == "&Disable"
    _click(qtbot, dialog.disable_button)
    assert "no longer be able to sign in" in asker.questions[0]
    assert "needs a new password" in asker.questions[0]
    assert not _row(dialog, "femi")["disabled"]  # said no: nothing happened
    asker.answer = True
    _click(qtbot, dialog.disable_button)
    # The database is re-encrypted in the background, with progress; then the list.
    qtbot.waitUntil(lambda: dialog.key_change is None, timeout=30_000)
    assert _row(dialog, "femi")["disabled"]
    assert "the database key was changed" in dialog.notice.text()
    assert _cell(dialog, "femi", 4) == "Disabled"
    assert dialog.disable_button.text() == "&Enable…"
    assert not dialog.reset_button.isEnabled()
    assert len(_staff_entries(signed_in_desk, "disable")) == 1
    with pytest.raises(PharmDeskError) as refused:
        sign_in(signed_in_desk.files, "femi", FEMI_PASSWORD, kdf=TEST_KDF, sleep=lambda _s: None)
    assert refused.value.code == "AUTH_FAILED"

    # Enabling needs a new (one-time) password.
    form = dialog.disable_or_enable()
    assert form is not None and form.mode == "enable"
    assert not form.username.isVisible()
    _click(qtbot, form.generate_button)
    one_time = form.password.text()
    _click(qtbot, form.save_button)
    assert form.shown_password.text() == one_time
    form.accept()
    assert not _row(dialog, "femi")["disabled"]
    femi = sign_in(signed_in_desk.files, "femi", one_time, kdf=TEST_KDF)
    assert femi.staff.must_change_password
    femi.close()


def test_disabling_yourself_is_refused_with_the_reason(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog, _ = _dialog(qtbot, signed_in_desk)
    dialog.select_user(ADMIN)
    _click(qtbot, dialog.disable_button)
    qtbot.waitUntil(lambda: dialog.key_change is None)  # the answer comes from the job
    assert dialog.error.isVisible()
    assert dialog.error.text() == "You cannot disable your own account. Ask another admin to do it."
    assert not _row(dialog, ADMIN)["disabled"]


# -- roles ----------------------------------------------------------------------------------------
def test_last_admin_cannot_be_demoted_and_says_why(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog, _ = _dialog(qtbot, signed_in_desk)
    dialog.select_user(ADMIN)
    editor = dialog.role_dialog()
    assert editor is not None
    editor.role.setCurrentIndex(editor.role.findData("frontdesk"))
    _click(qtbot, editor.save_button)
    assert editor.error.isVisible()
    assert editor.error.text() == (
        "'admin' is the only active admin and cannot be demoted. Make another account an "
        "admin first."
    )
    assert editor.isVisible()
    assert _row(dialog, ADMIN)["role"] == "admin"
    editor.reject()


def test_role_change_shows_or_hides_the_admin_menu(  # type: ignore[no-untyped-def]
    qtbot, main_window: MainWindow
) -> None:
    desk = main_window.desk
    _add_femi(desk)
    main_window.start()

    def admin_menu_visible() -> bool:
        return bool(main_window.admin_menu.menuAction().isVisible())

    def sign_in_on_lock_page(username: str, password: str) -> None:
        form = main_window.sign_in_form
        form.username.setText(username)
        form.password.setText(password)
        qtbot.mouseClick(form.sign_in_button, Qt.MouseButton.LeftButton)
        assert desk.username == username, form.error.text()

    assert admin_menu_visible() and main_window.staff_action.isVisible()
    main_window.sign_out()
    sign_in_on_lock_page("femi", FEMI_PASSWORD)
    assert not admin_menu_visible()
    assert not main_window.staff_action.isVisible()
    assert main_window.change_password_action.isVisible()  # everyone's, in File
    assert main_window.change_password_action in main_window.file_menu.actions()

    main_window.sign_out()
    sign_in_on_lock_page(ADMIN, ADMIN_PASSWORD)
    main_window.staff_action.trigger()
    dialog = main_window.staff_dialog
    assert dialog is not None
    dialog.select_user("femi")
    editor = dialog.role_dialog()
    assert editor is not None
    editor.role.setCurrentIndex(editor.role.findData("admin"))
    _click(qtbot, editor.save_button)
    assert _row(dialog, "femi")["role"] == "admin"
    assert "next action" in dialog.notice.text()
    (entry,) = _staff_entries(desk, "setRole")
    assert entry["detail"] == {"event": "setRole", "old": "frontdesk", "new": "admin"}
    dialog.close()

    main_window.sign_out()
    sign_in_on_lock_page("femi", FEMI_PASSWORD)
    assert admin_menu_visible() and main_window.staff_action.isVisible()


def test_an_admin_who_demotes_themself_loses_the_menu_at_once(  # type: ignore[no-untyped-def]
    qtbot, main_window: MainWindow
) -> None:
    desk = main_window.desk
    _add_femi(desk, role="admin")
    main_window.start()
    main_window.staff_action.trigger()
    dialog = main_window.staff_dialog
    assert dialog is not None
    main_window.staff_action.trigger()  # again: the open list comes forward, no second one
    assert main_window.staff_dialog is dialog
    dialog.select_user(ADMIN)
    editor = dialog.role_dialog()
    assert editor is not None
    editor.role.setCurrentIndex(editor.role.findData("pharmacist"))
    with qtbot.waitSignal(dialog.staff_changed, raising=False):
        _click(qtbot, editor.save_button)
    assert not main_window.admin_menu.menuAction().isVisible()


# -- passwords and lockouts ------------------------------------------------------------------------
def test_reset_password_and_unlock(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    _add_femi(signed_in_desk)
    for _ in range(5):
        with pytest.raises(PharmDeskError):
            sign_in(
                signed_in_desk.files,
                "femi",
                "not femi's password",
                kdf=TEST_KDF,
                sleep=lambda _s: None,
            )
    dialog, _ = _dialog(qtbot, signed_in_desk)
    dialog.select_user("femi")
    assert _cell(dialog, "femi", 4) == "Locked out"
    assert dialog.unlock_button.isEnabled()
    _click(qtbot, dialog.unlock_button)
    assert _cell(dialog, "femi", 4) == "Active"
    assert not dialog.unlock_button.isEnabled()
    (entry,) = _staff_entries(signed_in_desk, "unlock")
    assert entry["detail"] == {"event": "unlock", "wasLockedOut": True}

    form = dialog.reset_dialog()
    assert form is not None and form.mode == "reset"
    form.activateWindow()
    qtbot.keyClicks(form.password, "a one time pass for femi")
    _click(qtbot, form.save_button)
    assert form.shown_password.text() == "a one time pass for femi"
    form.accept()
    assert "New one-time password set for femi" in dialog.notice.text()
    with pytest.raises(PharmDeskError):
        sign_in(signed_in_desk.files, "femi", FEMI_PASSWORD, kdf=TEST_KDF, sleep=lambda _s: None)
    femi = sign_in(signed_in_desk.files, "femi", "a one time pass for femi", kdf=TEST_KDF)
    assert femi.staff.must_change_password
    femi.close()
    (reset,) = _staff_entries(signed_in_desk, "resetPassword")
    assert reset["detail"] == {"event": "resetPassword", "mustChangePassword": True}


def test_a_non_admin_cannot_open_the_staff_list(qtbot, signed_in_desk: DeskContext) -> None:  # type: ignore[no-untyped-def]
    _add_femi(signed_in_desk)
    signed_in_desk.sign_in("femi", FEMI_PASSWORD)
    with pytest.raises(PharmDeskError) as refused:
        StaffDialog(signed_in_desk)
    assert refused.value.code == "PERMISSION_DENIED"
