"""Revocation in the window: the clipboard, a disabled or demoted person, the rekey's
progress."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QProgressDialog

import pharmdesk.store.rekey as rekey_module
from pharmdesk.controllers.session import ACCOUNT_DISABLED, sign_in
from pharmdesk.store.engine import DatabaseOpenError, open_engine
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.staff.password_dialog import ADD
from pharmdesk.ui.staff.staff_dialog import StaffDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF

BOLA_PASSWORD = "bola joins the night shift 2026"


def _click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _one_time_password_copied(qtbot: Any, desk: DeskContext) -> str:
    dialog = StaffDialog(desk, ask=lambda _t, _q: True)
    qtbot.addWidget(dialog)
    dialog.show()
    form = dialog.add_dialog()
    assert form.mode == ADD
    form.activateWindow()
    qtbot.keyClicks(form.username, "bola")
    qtbot.keyClicks(form.full_name, "Bola Ade")
    _click(qtbot, form.generate_button)
    _click(qtbot, form.save_button)
    _click(qtbot, form.copy_button)
    one_time = form.shown_password.text()
    assert QGuiApplication.clipboard().text() == one_time
    _click(qtbot, form.close_button)
    return one_time


def test_a_copied_one_time_password_is_cleared_at_lock(
    qtbot: Any, main_window: MainWindow, signed_in_desk: DeskContext
) -> None:
    _one_time_password_copied(qtbot, signed_in_desk)
    main_window.lock()
    assert QGuiApplication.clipboard().text() == ""


def test_sign_out_clears_only_what_pharmdesk_put_there(
    qtbot: Any, main_window: MainWindow, signed_in_desk: DeskContext
) -> None:
    _one_time_password_copied(qtbot, signed_in_desk)
    main_window.sign_out()
    assert QGuiApplication.clipboard().text() == ""
    signed_in_desk.sign_in(ADMIN, ADMIN_PASSWORD)
    signed_in_desk.copy_text("0803 123 4567")
    QGuiApplication.clipboard().setText("the person's own text")  # copied since
    main_window.sign_out()
    assert QGuiApplication.clipboard().text() == "the person's own text"


def test_a_disabled_person_is_sent_back_to_sign_in_at_their_next_action(
    qtbot: Any, desk_context: DeskContext, window_settings: QSettings
) -> None:
    admin = sign_in(desk_context.files, ADMIN, ADMIN_PASSWORD, kdf=TEST_KDF)
    admin.call(
        "addStaff",
        {"username": "bola", "fullName": "Bola Ade", "role": "admin", "password": BOLA_PASSWORD},
    )
    desk_context.sign_in("bola", BOLA_PASSWORD)
    window = MainWindow(desk_context, window_settings)
    qtbot.addWidget(window)
    window.show()
    desk_context.copy_text("0803 123 4567")
    assert window.admin_menu.menuAction().isVisible()
    # Demoted by another admin: the admin menu goes at bola's next action.
    admin.call("setStaffRole", {"username": "bola", "role": "frontdesk"})
    qtbot.keyClicks(window.search, "ada")
    window.flush_search()
    qtbot.waitUntil(lambda: not window.admin_menu.menuAction().isVisible())
    # Disabled: the next action is refused and the window returns to sign-in.
    assert admin.call("disableStaff", {"username": "bola"})["rekeyed"] is False
    admin.close()
    window.search.clear()
    qtbot.keyClicks(window.search, "bo")
    window.flush_search()
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1)
    assert desk_context.session is None
    assert window.sign_in_form.subtitle.text() == ACCOUNT_DISABLED
    assert QGuiApplication.clipboard().text() == ""


def test_disabling_in_the_staff_dialog_shows_the_rekey_progress(
    qtbot: Any, signed_in_desk: DeskContext, monkeypatch: Any
) -> None:
    _one_time_password_copied(qtbot, signed_in_desk)
    old_key = signed_in_desk.session.key  # type: ignore[union-attr]
    seen: list[int] = []
    real = rekey_module.rekey_database

    def watched(db: Any, key: bytes, **kwargs: Any) -> bool:
        progress = kwargs.pop("progress")

        def spy(done: int, total: int) -> None:
            seen.append(done * 100 // total)
            progress(done, total)

        return real(db, key, progress=spy, **kwargs)

    import pharmdesk.controllers.revocation as revocation_module

    monkeypatch.setattr(revocation_module, "rekey_database", watched)
    dialog = StaffDialog(signed_in_desk, ask=lambda _t, _q: True)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.select_user("bola")
    _click(qtbot, dialog.disable_button)
    progress = dialog.findChild(QProgressDialog, "keyChangeProgress")
    assert progress is not None and progress.isVisible()  # the window keeps drawing
    qtbot.waitUntil(lambda: dialog.key_change is None, timeout=30_000)
    assert seen[0] == 0 and seen[-1] == 100
    assert "the database key was changed" in dialog.notice.text()
    try:
        open_engine(signed_in_desk.files.db, old_key).dispose()
        raise AssertionError("the old key still opens the database")
    except DatabaseOpenError:
        pass
    # The session carries on under the new key.
    assert signed_in_desk.call("listStaff")["staff"]
