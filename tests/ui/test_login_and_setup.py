"""Sign-in and first-run setup, typed as a person would."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import LoginDialog
from pharmdesk.ui.setup_wizard import FirstRunWizard, strength_hint
from tests.conftest import ADMIN, ADMIN_PASSWORD


def _type_and_submit(qtbot, dialog: LoginDialog, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    form = dialog.form
    form.username.clear()
    qtbot.keyClicks(form.username, username)
    qtbot.keyClick(form.username, Qt.Key.Key_Tab)
    qtbot.keyClicks(form.password, password)
    qtbot.keyClick(form.password, Qt.Key.Key_Return)


def test_login_success(qtbot, desk_context: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog = LoginDialog(desk_context)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.accepted):
        _type_and_submit(qtbot, dialog, ADMIN, ADMIN_PASSWORD)
    assert desk_context.username == ADMIN
    assert dialog.form.password.text() == ""


def test_wrong_password_shows_error_and_waits(qtbot, desk_context: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog = LoginDialog(desk_context)
    qtbot.addWidget(dialog)
    dialog.show()
    _type_and_submit(qtbot, dialog, ADMIN, "not my password at all")
    form = dialog.form
    assert form.error.isVisible()
    assert form.error.text() == "Wrong username or password. Check both and try again."
    assert form.password.text() == ""
    assert not form.sign_in_button.isEnabled()
    assert form.sign_in_button.text().startswith("Wait 1 s")
    assert desk_context.session is None
    qtbot.waitUntil(form.sign_in_button.isEnabled, timeout=3000)
    assert form.sign_in_button.text() == "Sign in"


def test_lock_out_message_after_five_failures(qtbot, desk_context: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog = LoginDialog(desk_context)
    qtbot.addWidget(dialog)
    dialog.show()
    form = dialog.form
    for _ in range(5):
        form._wait_left = 0  # the countdown is covered above; don't wait it out five times
        form.sign_in_button.setEnabled(True)
        _type_and_submit(qtbot, dialog, ADMIN, "still the wrong password")
    assert "locked until" in form.error.text()
    form._wait_left = 0
    _type_and_submit(qtbot, dialog, ADMIN, ADMIN_PASSWORD)
    assert "locked until" in form.error.text()
    assert desk_context.session is None


def test_empty_fields_are_explained(qtbot, desk_context: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog = LoginDialog(desk_context)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.form.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.form.error.text() == "Enter your username and password."


def test_demo_login_shows_the_demo_sign_in(qtbot, desk_context: DeskContext) -> None:  # type: ignore[no-untyped-def]
    dialog = LoginDialog(desk_context, demo=True)
    qtbot.addWidget(dialog)
    assert dialog.form.username.text() == "demo"
    assert "pharmdesk-demo-2026" in dialog.findChild(type(dialog.form.error), "demoHint").text()


def _own_database(qtbot, wizard: FirstRunWizard) -> None:  # type: ignore[no-untyped-def]
    """The first page's choice: this PC keeps its own customer list (the default)."""
    assert wizard.currentPage() is wizard.mode_page
    assert wizard.mode_page.single_pc.isChecked()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.branch_page


def test_first_run_setup_creates_a_working_database(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = DatabaseFiles(tmp_path / "new" / "pharmdesk.db")
    wizard = FirstRunWizard(files, clock=FixedClock())
    qtbot.addWidget(wizard)
    wizard.show()
    _own_database(qtbot, wizard)
    page = wizard.branch_page
    qtbot.keyClicks(page.branch, "Yaba Branch")
    qtbot.keyClicks(page.username, "Ngozi")
    qtbot.keyClicks(page.full_name, "Ngozi Okeke")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.password_page

    pw = wizard.password_page
    qtbot.keyClicks(pw.password, "short")
    assert "more characters needed" in pw.strength.hint.text()
    pw.password.clear()
    password = "mango tree by the lagoon 1987"
    qtbot.keyClicks(pw.password, password)
    qtbot.keyClicks(pw.repeat, "mango tree by the lagoon 1988")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    assert pw.error.text() == "The two passwords are different. Type them again."
    assert not files.exists()

    qtbot.keyClicks(pw.password, password)
    qtbot.keyClicks(pw.repeat, password)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.recovery_page
    key = wizard.recovery_page.key_label.text()
    assert len(key.split("-")) == 6
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert not finish.isEnabled()  # not before "I have written it down"
    wizard.recovery_page.confirm.click()
    assert finish.isEnabled()
    qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)
    assert wizard.server_url == ""

    desk = sign_in(files, "ngozi", password, clock=FixedClock())
    assert desk.staff.role == "admin"
    assert desk.settings()["branchName"] == "Yaba Branch"
    desk.close()


def test_setup_refuses_a_common_password(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = DatabaseFiles(tmp_path / "pharmdesk.db")
    wizard = FirstRunWizard(files, clock=FixedClock())
    qtbot.addWidget(wizard)
    wizard.show()
    _own_database(qtbot, wizard)
    qtbot.keyClicks(wizard.branch_page.branch, "Yaba")
    qtbot.keyClicks(wizard.branch_page.username, "ngozi")
    qtbot.keyClicks(wizard.branch_page.full_name, "Ngozi Okeke")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    pw = wizard.password_page
    qtbot.keyClicks(pw.password, "passwordpassword")
    qtbot.keyClicks(pw.repeat, "passwordpassword")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    assert "common" in pw.error.text()
    assert not files.exists()


def test_bad_username_is_explained(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wizard = FirstRunWizard(DatabaseFiles(tmp_path / "pharmdesk.db"))
    qtbot.addWidget(wizard)
    wizard.show()
    _own_database(qtbot, wizard)
    qtbot.keyClicks(wizard.branch_page.branch, "Yaba")
    qtbot.keyClicks(wizard.branch_page.username, "N g")
    qtbot.keyClicks(wizard.branch_page.full_name, "Ngozi")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.branch_page
    assert "Usernames are 2 to 32 characters" in wizard.branch_page.error.text()


def test_strength_hint() -> None:
    assert strength_hint("", [])[0] == 0
    weak, _ = strength_hint("aaaaaaaaaaaaaaaa", [])
    strong, text = strength_hint("mango tree by the lagoon 1987", [])
    assert strong > weak
    assert text.startswith(("Strong", "Very strong"))
