"""Admin ▸ New recovery key…: typed as an admin would; the key shown is checked against
the key file (it opens the database; the old one does not)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from pharmdesk.store.vault import Vault
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.recovery_key import NewRecoveryKeyDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

REASON = "The paper was read at last week's break-glass sign-in"


def _open(qtbot, main_window: MainWindow) -> NewRecoveryKeyDialog:  # type: ignore[no-untyped-def]
    action = main_window.recovery_key_action
    assert action.isVisible() and action in main_window.admin_menu.actions()
    action.trigger()
    dialog = main_window.recovery_key_dialog
    qtbot.waitExposed(dialog)
    return dialog


def test_the_new_key_is_shown_once_and_opens_the_database(
    qtbot,  # type: ignore[no-untyped-def]
    main_window: MainWindow,
    signed_in_desk: DeskContext,
    tmp_path: Path,
) -> None:
    files = signed_in_desk.files
    dialog = _open(qtbot, main_window)
    assert not dialog.panel.isVisible() and dialog.close_button.isEnabled()

    qtbot.keyClicks(dialog.reason, REASON)
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    key = dialog.panel.key_label.text()
    assert dialog.panel.isVisible() and key
    assert Vault(files.vault, TEST_KDF).unlock_recovery(key) is not None
    assert dialog.reason.isReadOnly() and not dialog.make_button.isVisible()

    # Not written down yet: neither Close nor Esc leaves the only sight of the key.
    assert not dialog.close_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "tick the box" in dialog.error.text()

    saved = tmp_path / "key.txt"
    dialog.panel.save_to(saved)
    assert key in saved.read_text(encoding="utf-8")
    dialog.panel.confirm.click()
    assert dialog.close_button.isEnabled()
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_a_short_reason_is_refused_in_words_and_the_old_key_stays(
    qtbot,  # type: ignore[no-untyped-def]
    main_window: MainWindow,
    signed_in_desk: DeskContext,
) -> None:
    vault_before = signed_in_desk.files.vault.read_bytes()
    dialog = _open(qtbot, main_window)
    qtbot.keyClicks(dialog.reason, "lost")
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    assert dialog.error.isVisible() and "being replaced" in dialog.error.text()
    assert not dialog.panel.isVisible()
    assert signed_in_desk.files.vault.read_bytes() == vault_before
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # nothing made: Esc closes
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_only_admins_see_it(
    qtbot,  # type: ignore[no-untyped-def]
    desk_context: DeskContext,
    window_settings,  # type: ignore[no-untyped-def]
) -> None:
    admin = desk_context
    admin.sign_in(ADMIN, ADMIN_PASSWORD)
    admin.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi",
            "role": "frontdesk",
            "password": "femi likes long walks 2026",
        },
    )
    admin.sign_out()
    admin.sign_in("femi", "femi likes long walks 2026")
    window = MainWindow(admin, window_settings)
    qtbot.addWidget(window)
    assert not window.recovery_key_action.isVisible()


def test_an_admin_is_told_when_no_recovery_key_opens_the_database(
    qtbot,  # type: ignore[no-untyped-def]
    signed_in_desk: DeskContext,
    window_settings,  # type: ignore[no-untyped-def]
) -> None:
    # What an upgrade leaves when it drops an old-style recovery slot.
    vault = Vault(signed_in_desk.files.vault, TEST_KDF)
    vault.update_slots(lambda slots: [s for s in slots if s["owner"] != "recovery"])
    assert not vault.has_recovery()
    window = MainWindow(signed_in_desk, window_settings)
    qtbot.addWidget(window)
    window.show()
    assert window.no_recovery_key.isVisible()
    qtbot.mouseClick(window.no_recovery_key, Qt.MouseButton.LeftButton)
    dialog = window.recovery_key_dialog
    qtbot.keyClicks(dialog.reason, REASON)
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert vault.has_recovery()
    dialog.panel.confirm.click()
    dialog.close()
    qtbot.waitUntil(lambda: not window.no_recovery_key.isVisible())
