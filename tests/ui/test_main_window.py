"""The main window driven as staff would use it: type, arrow, Enter, lock."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import SEARCH_DEBOUNCE_MS, MainWindow
from pharmdesk.ui.profile_dialog import ProfileDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.ui.conftest import add_customers

NAMES = ["Chinedu Okafor", "Adebayo Adeyemi", "Ngozi Eze", "Amaka Obi", "Kemi Adeola"]


def _names(window: MainWindow) -> list[str]:
    return [window.model.index(r, 1).data() for r in range(window.model.rowCount())]


def _audit(desk: DeskContext, action: str) -> list[AuditEntry]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        return list(tx.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _profiles() -> list[ProfileDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, ProfileDialog)]


def test_window_lists_customers_with_count(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_customers(main_window.desk, NAMES)
    main_window.start()
    main_window.show()
    assert _names(main_window) == sorted(NAMES)
    assert main_window.count_label.text() == "5 customers"
    assert main_window.user_label.text() == "Ada Admin (admin)"
    assert main_window.branch_label.text() == "Lekki Branch"


def test_typing_filters_after_debounce(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_customers(main_window.desk, NAMES)
    main_window.start()
    main_window.show()
    qtbot.keyClicks(main_window.search, "ade")
    assert len(_names(main_window)) == 5  # not yet: still debouncing
    qtbot.waitUntil(lambda: len(_names(main_window)) == 2, timeout=SEARCH_DEBOUNCE_MS * 10)
    assert _names(main_window) == ["Adebayo Adeyemi", "Kemi Adeola"]
    assert main_window.count_label.text() == "2 matching 'ade'"
    qtbot.keyClick(main_window.search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: len(_names(main_window)) == 5, timeout=SEARCH_DEBOUNCE_MS * 10)


def test_phone_digits_and_empty_state(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_customers(main_window.desk, NAMES)
    main_window.start()
    main_window.show()
    qtbot.keyClicks(main_window.search, "0803 000 0002")
    main_window.flush_search()
    assert _names(main_window) == ["Ngozi Eze"]
    main_window.search.clear()
    qtbot.keyClicks(main_window.search, "zzzz")
    main_window.flush_search()
    assert main_window.model.rowCount() == 0
    assert main_window.results.currentWidget() is main_window.empty_state
    assert "No customer matches 'zzzz'" in main_window.empty_state.text()


def test_empty_database_says_so(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    assert main_window.results.currentWidget() is main_window.empty_state
    assert "No customers yet" in main_window.empty_state.text()


def test_enter_opens_the_profile_and_audits_one_view(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    ids = add_customers(main_window.desk, NAMES)
    main_window.start()
    main_window.show()
    qtbot.keyClicks(main_window.search, "ngozi")
    qtbot.keyClick(main_window.search, Qt.Key.Key_Return)
    dialogs = _profiles()
    assert len(dialogs) == 1
    assert dialogs[0].name_label.text() == "Ngozi Eze"
    assert [e.entity_id for e in _audit(main_window.desk, "view")] == [ids[2]]
    dialogs[0].close()


def test_down_arrow_then_enter_in_the_table(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_customers(main_window.desk, NAMES)
    main_window.start()
    main_window.show()
    main_window.search.setFocus()
    qtbot.keyClick(main_window.search, Qt.Key.Key_Down)
    qtbot.keyClick(main_window.table, Qt.Key.Key_Down)
    qtbot.keyClick(main_window.table, Qt.Key.Key_Return)
    dialogs = _profiles()
    assert [d.name_label.text() for d in dialogs] == [sorted(NAMES)[1]]
    dialogs[0].close()


def test_scrolling_fetches_further_pages(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_customers(main_window.desk, [f"Scroll Person {i:03d}" for i in range(230)])
    main_window.start()
    main_window.show()
    assert main_window.model.rowCount() == 100
    main_window.table.scrollToBottom()
    qtbot.waitUntil(lambda: main_window.model.rowCount() > 100)
    main_window.table.scrollToBottom()
    qtbot.waitUntil(lambda: main_window.model.rowCount() == 230)
    pages = [e for e in _audit(main_window.desk, "list")]
    assert len(pages) == 3


def test_header_click_sorts_by_database(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_customers(main_window.desk, NAMES)
    main_window.start()
    main_window.show()
    header = main_window.table.horizontalHeader()
    x = header.sectionViewportPosition(1) + 10
    qtbot.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        pos=header.viewport().rect().center().__class__(x, 5),
    )
    assert _names(main_window) == sorted(NAMES, reverse=True)


def test_ctrl_l_locks_and_hides_everything(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_customers(main_window.desk, NAMES)
    main_window.start()
    main_window.show()
    main_window.open_profile("CUST-1")
    dialog = next(d for d in _profiles() if d.isVisible())
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    # Ctrl+L works from the profile dialog too, not only from the main window
    qtbot.keyClick(dialog, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert main_window.desk.session is None
    assert main_window.model.rowCount() == 0
    assert main_window.pages.currentIndex() == 1
    assert [d for d in _profiles() if d.isVisible()] == []
    # the same person comes back to their search and their open profile
    qtbot.keyClicks(main_window.sign_in_form.password, ADMIN_PASSWORD)
    qtbot.keyClick(main_window.sign_in_form.password, Qt.Key.Key_Return)
    assert main_window.desk.username == ADMIN
    assert main_window.model.rowCount() == 5
    assert len([d for d in _profiles() if d.isVisible()]) == 1


def test_idle_lock_then_another_person_signs_in(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    add_customers(main_window.desk, NAMES)
    password = "femi likes long walks 2026"
    main_window.desk.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi Front", "role": "frontdesk", "password": password},
    )
    main_window.start()
    main_window.show()
    qtbot.keyClicks(main_window.search, "ngozi")
    main_window.flush_search()
    main_window.open_profile("CUST-3")
    main_window.idle.set_interval_ms(200)
    main_window.idle.start()
    qtbot.waitUntil(lambda: main_window.desk.session is None, timeout=3000)
    assert main_window.model.rowCount() == 0
    assert main_window.pages.currentIndex() == 1
    image = main_window.grab().toImage()
    assert not image.isNull()
    assert main_window.table.isVisible() is False
    assert _audit_after_lock(main_window.desk) == ["lock"]
    form = main_window.sign_in_form
    form.username.clear()
    qtbot.keyClicks(form.username, "femi")
    qtbot.keyClicks(form.password, password)
    qtbot.mouseClick(form.sign_in_button, Qt.MouseButton.LeftButton)
    assert main_window.desk.username == "femi"
    assert main_window.search.text() == ""  # the previous person's search is not shown
    assert main_window.model.rowCount() == 5
    assert [d for d in _profiles() if d.isVisible()] == []  # nor their open profile
    assert main_window.user_label.text() == "Femi Front (frontdesk)"


def _audit_after_lock(desk: DeskContext) -> list[str]:
    # the database is closed while locked; read the chain through a fresh sign-in
    desk.sign_in(ADMIN, ADMIN_PASSWORD)
    actions = [e.action for e in _audit(desk, "lock")]
    desk.lock()
    return actions


def test_wrong_password_on_the_lock_screen(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    main_window.lock()
    form = main_window.sign_in_form
    qtbot.keyClicks(form.password, "wrong password for sure")
    qtbot.keyClick(form.password, Qt.Key.Key_Return)
    assert form.error.isVisible()
    assert form.error.text() == "Wrong username or password. Check both and try again."
    assert form.password.text() == ""
    assert main_window.desk.session is None


def test_lock_keeps_unsaved_form_input_for_the_same_person(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from pharmdesk.ui.customer_form.form import CustomerForm

    main_window.start()
    main_window.show()
    main_window.new_customer()
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, CustomerForm))
    qtbot.keyClicks(form.name, "Half Typed Name")
    main_window.lock()
    assert not form.isVisible()
    form_visible_for_other = []
    password = "femi likes long walks 2026"
    # someone else signs in and out: they never see the form
    main_window.desk.sign_in(ADMIN, ADMIN_PASSWORD)
    main_window.desk.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": password},
    )
    main_window.desk.lock()
    form_visible_for_other.append(form.isVisible())
    main_window.sign_in_form.username.setText("femi")
    qtbot.keyClicks(main_window.sign_in_form.password, password)
    qtbot.keyClick(main_window.sign_in_form.password, Qt.Key.Key_Return)
    form_visible_for_other.append(form.isVisible())
    main_window.lock()
    assert form_visible_for_other == [False, False]
    main_window.sign_in_form.username.setText(ADMIN)
    qtbot.keyClicks(main_window.sign_in_form.password, ADMIN_PASSWORD)
    qtbot.keyClick(main_window.sign_in_form.password, Qt.Key.Key_Return)
    assert form.isVisible()
    assert form.name.text() == "Half Typed Name"
    form.done(0)


def test_customer_count_shows_only_on_the_customers_tab(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    main_window.start()
    main_window.show()
    assert main_window.count_label.isVisible()
    main_window.tabs.setCurrentIndex(1)
    assert not main_window.count_label.isVisible()
    main_window.tabs.setCurrentIndex(0)
    assert main_window.count_label.isVisible()


def test_a_clock_behind_the_audit_log_is_pointed_out(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    desk = main_window.desk
    desk.lock()
    desk.clock.advance(days=-2)  # type: ignore[attr-defined]
    desk.sign_in(ADMIN, ADMIN_PASSWORD)
    main_window.start()
    assert "clock is earlier" in main_window.statusBar().currentMessage()


def test_the_status_bar_names_this_pcs_database_file(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    files = main_window.desk.files
    main_window.start()
    main_window.show()
    label = main_window.status.store_label
    assert label.text() == f"This PC: {files.db}"
    assert label.toolTip().startswith("Single-PC mode: the customer list is kept in")
    assert main_window.windowTitle() == "PharmDesk"
    main_window.lock()
    assert main_window.sign_in_form.where.text() == f"This PC: {files.db}"
    assert label.isVisible()  # still there on the lock page: which database to sign in to
