"""Break-glass recovery: the recovery key and a reason, audited, then a new admin password.

First the controller (``controllers/recovery.py``), then the "Forgot everything?" dialog
driven from the login screen as an IT helper would.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.recovery import (
    REASON_RULE,
    RECOVERY_USER,
    WRONG_KEY,
    RecoverySession,
    recovery_sign_in,
)
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.attempts import SignInAttempts
from pharmdesk.store.schema import AuditEntry
from pharmdesk.store.vault import Vault
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import LoginDialog
from pharmdesk.ui.recovery_dialog import RecoveryDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

REASON = "Ada, our only admin, forgot her password"
NEW_ADMIN_PASSWORD = "the lagoon is calm at night 2027"
WRONG = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"


@pytest.fixture
def recovery_key(db_files: DatabaseFiles) -> str:
    """The shared template database keeps no copy of its key; give this copy a new one."""
    vault = Vault(db_files.vault, TEST_KDF)
    key = vault.unlock_staff(ADMIN, ADMIN_PASSWORD)
    assert key is not None
    return vault.replace_recovery(key)


def _recover(files: DatabaseFiles, key: str, reason: str = REASON, **kw: Any) -> RecoverySession:
    return recovery_sign_in(files, key, reason, clock=FixedClock(), kdf=TEST_KDF, **kw)


def _entries(files: DatabaseFiles, action: str) -> list[dict[str, Any]]:
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        return _entries_in(desk, action)
    finally:
        desk.close()


def _entries_in(desk: DeskSession, action: str) -> list[dict[str, Any]]:
    with desk.db.transaction() as tx:
        rows = tx.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
        return [
            {
                "user": row.user,
                "outcome": row.outcome,
                "entityId": row.entity_id,
                "detail": json.loads(row.detail) if row.detail else None,
            }
            for row in rows
        ]


def _opens(files: DatabaseFiles, username: str, password: str) -> bool:
    try:
        desk = sign_in(
            files, username, password, clock=FixedClock(), kdf=TEST_KDF, sleep=lambda _s: None
        )
    except PharmDeskError:
        return False
    desk.close()
    return True


# -- the controller -------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ["", "   ", "forgot", "forgot password", "a b c"])
def test_a_reason_of_a_few_words_is_required_first(
    db_files: DatabaseFiles, recovery_key: str, reason: str
) -> None:
    with pytest.raises(PharmDeskError) as refused:
        _recover(db_files, recovery_key, reason)
    assert (refused.value.code, refused.value.field) == ("VALIDATION_ERROR", "reason")
    assert refused.value.message == REASON_RULE
    assert SignInAttempts(db_files.attempts).pending() == []  # no attempt was counted


def test_an_empty_key_is_explained_without_counting(db_files: DatabaseFiles) -> None:
    with pytest.raises(PharmDeskError) as refused:
        _recover(db_files, "  ")
    assert (refused.value.code, refused.value.field) == ("VALIDATION_ERROR", "recoveryKey")
    assert SignInAttempts(db_files.attempts).pending() == []


def test_a_wrong_key_is_delayed_counted_and_audited_at_the_next_sign_in(
    db_files: DatabaseFiles, recovery_key: str
) -> None:
    delays: list[float] = []
    with pytest.raises(PharmDeskError) as refused:
        _recover(db_files, WRONG, sleep=delays.append)
    assert (refused.value.code, refused.value.field) == ("AUTH_FAILED", "recoveryKey")
    assert refused.value.message == WRONG_KEY
    assert delays == [0.5]
    failed = _entries(db_files, "signInFailed")
    assert [(e["user"], e["outcome"]) for e in failed] == [(RECOVERY_USER, "failed")]


def test_five_wrong_keys_block_recovery_for_a_while(
    db_files: DatabaseFiles, recovery_key: str
) -> None:
    for _ in range(4):
        with pytest.raises(PharmDeskError):
            _recover(db_files, WRONG, sleep=lambda _s: None)
    with pytest.raises(PharmDeskError) as fifth:
        _recover(db_files, WRONG, sleep=lambda _s: None)
    assert fifth.value.code == "LOCKED_OUT"
    with pytest.raises(PharmDeskError) as right_key:
        _recover(db_files, recovery_key, sleep=lambda _s: None)
    assert right_key.value.code == "LOCKED_OUT"
    assert "recovery is blocked until" in right_key.value.message
    # Staff sign-in is not affected by the recovery counter.
    assert _opens(db_files, ADMIN, ADMIN_PASSWORD)


def test_recovery_audits_emergency_access_then_resets_the_admin(
    db_files: DatabaseFiles, recovery_key: str
) -> None:
    # Spaces, dashes and case do not matter when typed from the paper.
    typed = recovery_key.lower().replace("-", " ")
    recovery = _recover(db_files, typed)
    try:
        assert [row["username"] for row in recovery.admins()] == [ADMIN]
        assert recovery.set_admin_password(ADMIN, NEW_ADMIN_PASSWORD) == ADMIN
    finally:
        recovery.close()
    assert not recovery.is_open
    assert not _opens(db_files, ADMIN, ADMIN_PASSWORD)
    desk = sign_in(db_files, ADMIN, NEW_ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        assert not desk.staff.must_change_password
        (emergency,) = _entries_in(desk, "emergencyAccess")
        assert emergency["user"] == RECOVERY_USER
        assert emergency["detail"] == {"reason": REASON}
        staff = [e for e in _entries_in(desk, "staff") if e["user"] == RECOVERY_USER]
        events = [e["detail"]["event"] for e in staff]
        assert events == ["rekey", "list", "list", "resetPassword"]  # the key changes first
        assert staff[-1]["entityId"] == ADMIN
        assert NEW_ADMIN_PASSWORD not in json.dumps(staff)
    finally:
        desk.close()
    # The recovery key still works (it is not used up).
    _recover(db_files, recovery_key).close()


def test_recovery_only_gives_admin_accounts_a_password(
    db_files: DatabaseFiles, recovery_key: str, admin: DeskSession
) -> None:
    admin.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi",
            "role": "frontdesk",
            "password": "femi likes long walks 2026",
        },
    )
    admin.close()
    recovery = _recover(db_files, recovery_key)
    try:
        with pytest.raises(PharmDeskError) as not_admin:
            recovery.set_admin_password("femi", NEW_ADMIN_PASSWORD)
        assert (not_admin.value.code, not_admin.value.field) == ("VALIDATION_ERROR", "username")
        assert "is not an admin" in not_admin.value.message
        with pytest.raises(PharmDeskError) as unknown:
            recovery.set_admin_password("nobody", NEW_ADMIN_PASSWORD)
        assert unknown.value.code == "NOT_FOUND"
        with pytest.raises(PharmDeskError) as weak:
            recovery.set_admin_password(ADMIN, "too short")
        assert (weak.value.code, weak.value.field) == ("VALIDATION_ERROR", "password")
    finally:
        recovery.close()
    assert _opens(db_files, ADMIN, ADMIN_PASSWORD)


def test_recovery_enables_a_disabled_admin_and_unlocks_a_locked_out_one(
    db_files: DatabaseFiles, recovery_key: str, admin: DeskSession
) -> None:
    bola_password = "bola keeps the keys 2026"
    admin.call(
        "addStaff",
        {"username": "bola", "fullName": "Bola", "role": "admin", "password": bola_password},
    )
    admin.call("disableStaff", {"username": "bola"})
    admin.close()
    for _ in range(5):  # ada locks herself out
        assert not _opens(db_files, ADMIN, "not the right password")
    recovery = _recover(db_files, recovery_key)
    try:
        rows = {row["username"]: row for row in recovery.admins()}
        assert rows["bola"]["disabled"] and rows[ADMIN]["lockedOut"]
        recovery.set_admin_password("bola", "bola is back in charge 2027")
        recovery.set_admin_password(ADMIN, NEW_ADMIN_PASSWORD)
    finally:
        recovery.close()
    assert _opens(db_files, "bola", "bola is back in charge 2027")
    assert _opens(db_files, ADMIN, NEW_ADMIN_PASSWORD)  # no longer locked out


def test_recovery_can_create_a_new_admin(db_files: DatabaseFiles, recovery_key: str) -> None:
    recovery = _recover(db_files, recovery_key)
    try:
        name = recovery.create_admin("IT.Support", "Tunde Bakare (IT)", NEW_ADMIN_PASSWORD)
    finally:
        recovery.close()
    assert name == "it.support"
    desk = sign_in(db_files, name, NEW_ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    assert desk.staff.role == "admin" and desk.staff.full_name == "Tunde Bakare (IT)"
    desk.close()


# -- the dialog ----------------------------------------------------------------------------------
def _open_from_login(qtbot, desk: DeskContext) -> tuple[LoginDialog, RecoveryDialog]:  # type: ignore[no-untyped-def]
    login = LoginDialog(desk)
    qtbot.addWidget(login)
    login.show()
    link = login.form.forgot
    assert link.isVisible() and "Forgot everything?" in link.text()
    link.linkActivated.emit("#recover")
    dialog = login.form.recovery_dialog
    assert isinstance(dialog, RecoveryDialog) and dialog.isVisible()
    dialog.activateWindow()
    return login, dialog


def _type_key_and_reason(qtbot, dialog: RecoveryDialog, key: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.key, key)
    qtbot.keyClick(dialog.key, Qt.Key.Key_Return)  # moves to the reason, does not submit
    assert dialog.key_page.isVisible()
    qtbot.keyClicks(dialog.reason, reason)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    # The key is tried and the database key changed in the background, with progress.
    qtbot.waitUntil(lambda: dialog.opening is None, timeout=30_000)


def test_forgot_everything_sets_a_new_admin_password_and_opens(  # type: ignore[no-untyped-def]
    qtbot, desk_context: DeskContext, recovery_key: str
) -> None:
    login, dialog = _open_from_login(qtbot, desk_context)
    _type_key_and_reason(qtbot, dialog, recovery_key, REASON)
    assert dialog.admin_page.isVisible() and not dialog.key_page.isVisible()
    assert dialog.key.text() == "" and not dialog.reason_error.isVisible()
    assert dialog.existing_admin.isChecked()
    assert dialog.account.currentData() == ADMIN
    assert dialog.account.currentText().startswith("admin — Ada Admin")
    assert desk_context.session is None  # the recovery key itself opens no app session
    qtbot.keyClicks(dialog.password, NEW_ADMIN_PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.repeat, NEW_ADMIN_PASSWORD)
    with qtbot.waitSignal(login.accepted):
        qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert desk_context.username == ADMIN
    session = desk_context.session
    assert session is not None
    (emergency,) = _entries_in(session, "emergencyAccess")
    assert emergency == {
        "user": RECOVERY_USER,
        "outcome": "success",
        "entityId": None,
        "detail": {"reason": REASON},
    }
    assert not _opens(desk_context.files, ADMIN, ADMIN_PASSWORD)


def test_recovery_dialog_explains_each_refusal(  # type: ignore[no-untyped-def]
    qtbot, desk_context: DeskContext, recovery_key: str
) -> None:
    _login, dialog = _open_from_login(qtbot, desk_context)
    _type_key_and_reason(qtbot, dialog, recovery_key, "forgot")
    assert dialog.reason_error.isVisible() and dialog.reason_error.text() == REASON_RULE
    assert dialog.key.text() == recovery_key  # the typed key is kept for another try
    dialog.reason.clear()
    dialog.key.clear()
    _type_key_and_reason(qtbot, dialog, WRONG, REASON)
    assert dialog.key_error.isVisible() and dialog.key_error.text() == WRONG_KEY
    assert not dialog.open_button.isEnabled()  # waits out the delay
    qtbot.waitUntil(dialog.open_button.isEnabled, timeout=3000)
    dialog.reason.clear()
    _type_key_and_reason(qtbot, dialog, recovery_key, REASON)
    assert dialog.admin_page.isVisible()
    qtbot.keyClicks(dialog.password, "too short")
    qtbot.keyClicks(dialog.repeat, "too short")
    qtbot.mouseClick(dialog.finish_button, Qt.MouseButton.LeftButton)
    assert dialog.password_error.text() == (
        "The password is too short: use at least 15 characters (it has 9)."
    )
    qtbot.keyClicks(dialog.password, NEW_ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.repeat, NEW_ADMIN_PASSWORD + "x")
    qtbot.mouseClick(dialog.finish_button, Qt.MouseButton.LeftButton)
    assert dialog.repeat_error.text() == "The two passwords are different. Type them again."
    # Cancel: the recovery session is closed, nothing changed, nobody signed in.
    qtbot.mouseClick(dialog.abandon_button, Qt.MouseButton.LeftButton)
    assert dialog._recovery is None
    assert desk_context.session is None
    assert _opens(desk_context.files, ADMIN, ADMIN_PASSWORD)


def test_recovery_dialog_can_create_a_new_admin(  # type: ignore[no-untyped-def]
    qtbot, desk_context: DeskContext, recovery_key: str
) -> None:
    login, dialog = _open_from_login(qtbot, desk_context)
    _type_key_and_reason(qtbot, dialog, recovery_key, REASON)
    # On the radio button's circle (the widget itself stretches across the dialog).
    circle = QPoint(8, dialog.new_admin.height() // 2)
    qtbot.mouseClick(dialog.new_admin, Qt.MouseButton.LeftButton, pos=circle)
    assert dialog.new_admin.isChecked() and not dialog.account.isEnabled()
    qtbot.keyClicks(dialog.username, "Bad Name!")
    qtbot.keyClicks(dialog.full_name, "Tunde Bakare (IT)")
    qtbot.keyClicks(dialog.password, NEW_ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.repeat, NEW_ADMIN_PASSWORD)
    qtbot.mouseClick(dialog.finish_button, Qt.MouseButton.LeftButton)
    assert dialog.account_error.text().startswith("Usernames are 2 to 32 characters")
    dialog.username.clear()
    qtbot.keyClicks(dialog.username, "it.support")
    qtbot.keyClicks(dialog.password, NEW_ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.repeat, NEW_ADMIN_PASSWORD)
    with qtbot.waitSignal(login.accepted):
        qtbot.mouseClick(dialog.finish_button, Qt.MouseButton.LeftButton)
    assert desk_context.username == "it.support"
    assert desk_context.is_admin
    assert _opens(desk_context.files, ADMIN, ADMIN_PASSWORD)  # Ada's account is untouched


def test_the_lock_screen_offers_recovery_too(qtbot, main_window, recovery_key: str) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    main_window.lock()
    form = main_window.sign_in_form
    assert form.forgot.isVisible()
    dialog = form.open_recovery()
    assert isinstance(dialog, RecoveryDialog)
    dialog.activateWindow()
    _type_key_and_reason(qtbot, dialog, recovery_key, REASON)
    qtbot.keyClicks(dialog.password, NEW_ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.repeat, NEW_ADMIN_PASSWORD)
    qtbot.mouseClick(dialog.finish_button, Qt.MouseButton.LeftButton)
    assert main_window.pages.currentIndex() == 0  # back in the app, as the admin
    assert main_window.desk.username == ADMIN
