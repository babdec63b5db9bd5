"""The main window signed in on a branch server database (PostgreSQL from
tests/pg_server.py): search, open a profile, register a customer, and what the window
says about the things that belong to the server PC (backups)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.server import make_server_engine
from pharmdesk.store.vault import Vault
from pharmdesk.ui.customer_form.form import CustomerForm
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.main_window_admin import ServerBackupsNote
from pharmdesk.ui.profile_dialog import ProfileDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.ui.conftest import add_customers
from tests.ui.test_quick_unlock import PIN, _ctrl_l, _set_pin
from tests.ui.test_recovery import NEW_ADMIN_PASSWORD, REASON, _type_key_and_reason

NAMES = ["Chinedu Okafor", "Adebayo Adeyemi", "Ngozi Eze", "Amaka Obi"]


@pytest.fixture
def store() -> str:
    """Every test here runs on the branch server."""
    return "postgresql"


def _server_rows(files: DatabaseFiles, sql: str) -> list[tuple]:
    """Straight from the server, not through PharmDesk's session."""
    assert files.server is not None
    engine = make_server_engine(files.server)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _top(kind: type) -> list:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def test_the_status_bar_and_title_name_the_server(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    files = main_window.desk.files
    assert files.server is not None
    where = files.where  # host:port/database
    main_window.start()
    main_window.show()
    label = main_window.status.store_label
    assert label.text() == f"Branch server {where}"
    assert main_window.windowTitle() == f"PharmDesk — branch server {where}"
    assert "pharmdesk_owner" not in label.text() + main_window.windowTitle()  # no login
    assert "Branch server mode" in label.toolTip()
    assert main_window.user_label.text() == "Ada Admin (admin)"
    assert main_window.branch_label.text() == "Lekki Branch"


def test_search_open_a_profile_and_register_a_customer_on_the_server(
    qtbot, qtmodeltester, main_window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    desk = main_window.desk
    ids = add_customers(desk, NAMES)
    main_window.start()
    main_window.show()
    assert main_window.count_label.text() == "4 customers"
    qtmodeltester.check(main_window.model)

    qtbot.keyClicks(main_window.search, "ngozi")
    qtbot.keyClick(main_window.search, Qt.Key.Key_Return)
    [profile] = _top(ProfileDialog)
    assert profile.name_label.text() == "Ngozi Eze"
    profile.close()
    viewed = _server_rows(
        desk.files, "SELECT entity_id FROM audit_entry WHERE action = 'view' ORDER BY id"
    )
    assert viewed == [(ids[2],)]

    main_window.new_action.trigger()
    [form] = _top(CustomerForm)
    form.name.setFocus()
    qtbot.keyClicks(form.name, "Kemi Adeola")
    form.phone.setFocus()
    qtbot.keyClicks(form.phone, "0805 555 0101")
    qtbot.mouseClick(form.allergy_none, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(_top(ProfileDialog)) == 1)  # the new profile opens
    [profile] = _top(ProfileDialog)
    assert profile.name_label.text() == "Kemi Adeola"
    profile.close()

    rows = _server_rows(
        desk.files,
        "SELECT id, name, phone, allergy_status FROM customer WHERE name = 'Kemi Adeola'",
    )
    assert rows == [(5, "Kemi Adeola", "+2348055550101", "noneKnown")]
    main_window.search.setFocus()
    qtbot.keyClick(main_window.search, Qt.Key.Key_Escape)  # back to the whole list
    main_window.flush_search()
    assert main_window.count_label.text() == "5 customers"


def test_backups_are_explained_not_greyed_out(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    assert not hasattr(main_window, "backups")  # no background backups at a server desk
    for entry in (main_window.backup_action, main_window.restore_action):
        assert entry.isVisible() and entry.isEnabled()
        entry.trigger()
        note = main_window.server_backups_note
        assert note.isVisible()
        assert note.windowTitle() == "Backups are made on the branch server"
        text = note.text.text()
        assert main_window.desk.files.where in text
        assert "pg_dump" in text and "pg_restore" in text
        qtbot.keyClick(note, Qt.Key.Key_Return)  # OK
        assert _top(ServerBackupsNote) == []
    # Nothing in the status bar nags about a desk backup that cannot exist.
    assert "backup" not in main_window.statusBar().currentMessage().lower()


def test_quick_unlock_with_a_pin_works_on_the_server(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    desk = main_window.desk
    add_customers(desk, NAMES)
    main_window.start()
    main_window.show()
    _set_pin(qtbot, main_window)
    assert desk.quick_unlock.has_pin
    _ctrl_l(qtbot, main_window)
    lock = main_window.sign_in_form
    assert lock.pin_page.isVisible()
    assert lock.where.text() == f"Branch server {desk.files.where}"
    qtbot.keyClicks(lock.pin, PIN)
    qtbot.keyClick(lock.pin, Qt.Key.Key_Return)
    assert desk.username == ADMIN
    assert main_window.model.rowCount() == len(NAMES)
    rows = _server_rows(
        desk.files, "SELECT detail FROM audit_entry WHERE action = 'signIn' ORDER BY id DESC"
    )
    assert json.loads(rows[0][0]) == {"method": "pin"}


def test_settings_say_backups_are_the_servers(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    main_window.settings_action.trigger()
    dialog = main_window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.server_note.isVisible()
    assert "backed up on the server PC" in dialog.server_note.text()
    assert not dialog.folder.isVisible() and not dialog.every_hours.isVisible()
    assert dialog.branch_name.isVisible() and dialog.branch_name.text() == "Lekki Branch"
    dialog.branch_name.clear()
    qtbot.keyClicks(dialog.branch_name, "Lekki Phase 1")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = _server_rows(
        main_window.desk.files, "SELECT value FROM setting WHERE key = 'branchName'"
    )
    assert saved == [("Lekki Phase 1",)]
    assert main_window.branch_label.text() == "Lekki Phase 1"


def test_recovery_from_the_lock_screen_works_on_the_server(  # type: ignore[no-untyped-def]
    qtbot, main_window: MainWindow, db_files: DatabaseFiles
) -> None:
    # The desk's key file for this server holds the recovery slot (a new key here: the
    # template keeps no copy of its own).
    vault = Vault(db_files.vault, TEST_KDF)
    key = vault.unlock_staff(ADMIN, ADMIN_PASSWORD)
    assert key is not None
    recovery_key = vault.replace_recovery(key)
    main_window.start()
    main_window.show()
    main_window.lock()
    dialog = main_window.sign_in_form.open_recovery()
    dialog.activateWindow()
    _type_key_and_reason(qtbot, dialog, recovery_key, REASON)
    qtbot.keyClicks(dialog.password, NEW_ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.repeat, NEW_ADMIN_PASSWORD)
    qtbot.mouseClick(dialog.finish_button, Qt.MouseButton.LeftButton)
    assert main_window.pages.currentIndex() == 0  # back in the app, as the admin
    assert main_window.desk.username == ADMIN
    sql = "SELECT count(*) FROM audit_entry WHERE action = 'emergencyAccess'"
    assert _server_rows(main_window.desk.files, sql) == [(1,)]
