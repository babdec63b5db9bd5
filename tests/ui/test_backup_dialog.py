"""Admin ▸ Back up now… and Restore…: a backup → restore round trip through the dialogs,
into a new location and in place of the current database; the background backup in the
status bar (due, missing folder, reminder)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pharmdesk.controllers.session import sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.backup.backup_dialog import BackupDialog
from pharmdesk.ui.backup.restore_dialog import RestoreDialog
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF
from tests.ui.conftest import add_customers

WAIT_MS = 30_000


def _show(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def _back_up(qtbot, desk: DeskContext, target: Path) -> BackupDialog:
    dialog = _show(qtbot, BackupDialog(desk, choose_file=lambda _parent, _proposed: str(target)))
    assert "Last verified backup: none yet." in dialog.last_label.text()
    qtbot.mouseClick(dialog.browse, Qt.MouseButton.LeftButton)
    assert dialog.file_edit.text() == str(target)
    with qtbot.waitSignal(dialog.backed_up, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert target.is_file()
    assert dialog.outcome.isVisible()
    assert "Backup written and verified" in dialog.outcome.text()
    assert "the audit chain verifies" in dialog.outcome.text()
    assert not dialog.error.isVisible()
    assert str(target) in dialog.last_label.text().replace("\u200b", "")
    return dialog


def _fill_restore(qtbot, dialog: RestoreDialog, password: str = ADMIN_PASSWORD) -> None:
    qtbot.mouseClick(dialog.browse, Qt.MouseButton.LeftButton)
    dialog.password.setFocus()
    qtbot.keyClicks(dialog.password, password)


def test_default_backup_name_has_branch_and_date(qtbot, signed_in_desk: DeskContext) -> None:
    dialog = _show(qtbot, BackupDialog(signed_in_desk))
    assert Path(dialog.file_edit.text()).name == "pharmdesk-lekki-branch-2026-04-18.pdbak"


def test_backup_then_restore_into_a_new_location(
    qtbot, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    add_customers(signed_in_desk, ["Ngozi Eze"])
    target = tmp_path / "usb" / "monday.pdbak"
    target.parent.mkdir()
    _back_up(qtbot, signed_in_desk, target)

    new_db = tmp_path / "elsewhere" / "restored.db"
    dialog = _show(
        qtbot,
        RestoreDialog(
            signed_in_desk,
            choose_file=lambda _p, _s: str(target),
            choose_target=lambda _p, _s: str(new_db),
            ask=lambda *_a: False,
        ),
    )
    assert dialog.username.text() == ADMIN
    _fill_restore(qtbot, dialog)
    qtbot.mouseClick(dialog.target_browse, Qt.MouseButton.LeftButton)
    assert dialog.target_edit.text() == str(new_db)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report.isVisible() or dialog.error.isVisible(), timeout=WAIT_MS)
    assert not dialog.error.isVisible(), dialog.error.text()
    assert "The backup verifies" in dialog.report.text()
    assert "1 customer;" in dialog.report.text()
    with qtbot.waitSignal(dialog.restored, timeout=WAIT_MS) as restored:
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert restored.args[0]["restoredTo"] == str(new_db)
    assert restored.args[0]["movedAside"] == []
    assert f'pharmdesk --db "{new_db}"' in dialog.outcome.text()
    assert signed_in_desk.session is not None  # the current database stays open
    other = sign_in(DatabaseFiles(new_db), ADMIN, ADMIN_PASSWORD, kdf=TEST_KDF)
    try:
        names = [row["name"] for row in other.call("fetchCustomers", {})["customers"]]
    finally:
        other.close()
    assert names == ["Ngozi Eze"]


def test_restore_in_place_keeps_the_old_database_and_signs_in_again(
    qtbot, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    desk = signed_in_desk
    add_customers(desk, ["Ngozi Eze"])
    target = tmp_path / "backup.pdbak"
    _back_up(qtbot, desk, target)
    add_customers(desk, ["Bola Ahmed"])  # entered after the backup: not in the restore
    asked: list[str] = []
    signed_out: list[bool] = []

    def sign_out() -> None:
        signed_out.append(True)
        desk.sign_out()

    def confirm(title: str, _question: str) -> bool:
        asked.append(title)
        return True

    dialog = _show(
        qtbot,
        RestoreDialog(
            desk,
            sign_out=sign_out,
            ask=confirm,
            choose_file=lambda _p, _s: str(target),
        ),
    )
    _fill_restore(qtbot, dialog)
    dialog.replace.setChecked(True)
    assert not dialog.target_edit.isEnabled()
    with qtbot.waitSignal(dialog.restored, timeout=WAIT_MS) as restored:
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert asked == ["Replace the current database?"]
    assert signed_out == [True]
    assert desk.session is None
    (aside,) = restored.args[0]["movedAside"][:1]
    assert Path(aside).exists() and Path(aside).parent == desk.files.db.parent
    assert "Sign in again" in dialog.outcome.text()
    desk.sign_in(ADMIN, ADMIN_PASSWORD)
    names = [row["name"] for row in desk.call("fetchCustomers", {})["customers"]]
    assert names == ["Ngozi Eze"]
    # The old database is kept beside it and still opens, with both customers.
    old = sign_in(DatabaseFiles(Path(aside)), ADMIN, ADMIN_PASSWORD, kdf=TEST_KDF)
    try:
        assert old.call("fetchCustomers", {})["total"] == 2
    finally:
        old.close()


def test_restore_refused_when_not_confirmed(
    qtbot, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    target = tmp_path / "backup.pdbak"
    _back_up(qtbot, signed_in_desk, target)
    dialog = _show(
        qtbot,
        RestoreDialog(
            signed_in_desk, ask=lambda *_a: False, choose_file=lambda _p, _s: str(target)
        ),
    )
    _fill_restore(qtbot, dialog)
    dialog.replace.setChecked(True)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert dialog.job is None
    assert signed_in_desk.session is not None


def test_wrong_password_of_the_backup(qtbot, signed_in_desk: DeskContext, tmp_path: Path) -> None:
    target = tmp_path / "backup.pdbak"
    _back_up(qtbot, signed_in_desk, target)
    dialog = _show(qtbot, RestoreDialog(signed_in_desk, choose_file=lambda _p, _s: str(target)))
    _fill_restore(qtbot, dialog, password="not the right password at all")
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.error.isVisible, timeout=WAIT_MS)
    assert "Wrong username or password" in dialog.error.text()
    assert not dialog.report.isVisible()


def test_restore_needs_a_file_and_a_password(qtbot, signed_in_desk: DeskContext) -> None:
    dialog = _show(qtbot, RestoreDialog(signed_in_desk))
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert "Choose the backup file" in dialog.error.text()
    assert dialog.job is None


def test_backup_refuses_an_existing_file_or_missing_folder(
    qtbot, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    existing = tmp_path / "there.pdbak"
    existing.write_bytes(b"keep me")
    dialog = _show(qtbot, BackupDialog(signed_in_desk))
    dialog.file_edit.setText(str(existing))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert "never overwrites" in dialog.error.text()
    assert existing.read_bytes() == b"keep me"
    dialog.file_edit.setText(str(tmp_path / "no-usb" / "b.pdbak"))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert "Plug in the backup drive" in dialog.error.text()
    assert dialog.job is None


# -- the main window: menu entries, background backup, reminder ----------------------------
def test_admin_menu_has_the_backup_entries(main_window: MainWindow) -> None:
    texts = [act.text() for act in main_window.admin_menu.actions()]
    for wanted in ("&Back up now…", "&Restore…", "S&ettings…"):
        assert wanted in texts
    assert main_window.backup_action.isVisible()


def test_a_due_backup_runs_in_the_background(
    qtbot, main_window: MainWindow, tmp_path: Path
) -> None:
    desk = main_window.desk
    usb = tmp_path / "usb"
    usb.mkdir()
    desk.call("updateSettings", {"backupFolder": str(usb)})
    runner = main_window.backups
    main_window.show()
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS) as done:
        assert runner.check() is True
        assert runner.progress.isVisible()  # the status bar shows it is working
        assert main_window.isEnabled()  # never blocking the window
        desk.call("fetchCustomers", {})  # the desk keeps working meanwhile
    assert done.args[0].status == "success"
    assert len(list(usb.iterdir())) == 1
    assert not runner.progress.isVisible()
    assert not runner.warning.isVisible()
    assert not runner.reminder.isVisible()
    assert runner.check() is False  # not due again yet


def test_a_missing_folder_warns_without_blocking(
    qtbot, main_window: MainWindow, tmp_path: Path
) -> None:
    desk = main_window.desk
    desk.call("updateSettings", {"backupFolder": str(tmp_path / "unplugged")})
    runner = main_window.backups
    main_window.show()
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS) as done:
        runner.check()
    assert done.args[0].status == "failed"
    assert runner.warning.isVisible()
    assert "Plug in the backup drive" in runner.warning.toolTip()
    assert runner.check() is False  # waits a while before retrying
    desk.clock.advance(minutes=16)  # type: ignore[attr-defined]
    (tmp_path / "unplugged").mkdir()
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS) as again:
        assert runner.check() is True
    assert again.args[0].status == "success"
    assert not runner.warning.isVisible()


def test_reminder_when_the_last_backup_is_old(
    qtbot, main_window: MainWindow, tmp_path: Path
) -> None:
    runner = main_window.backups
    main_window.show()
    runner.refresh_reminder()
    assert runner.reminder.isVisible()
    assert runner.reminder.text() == "No verified backup yet"
    dialog = _back_up(qtbot, main_window.desk, tmp_path / "b.pdbak")
    runner.note_manual_backup()
    assert not runner.reminder.isVisible()
    main_window.desk.clock.advance(days=8)  # type: ignore[attr-defined]
    runner.refresh_reminder()
    assert runner.reminder.isVisible()
    assert runner.reminder.text() == "Last verified backup: 8 days ago"
    dialog.close()


def test_locking_stops_a_running_backup(
    qtbot, main_window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    from pharmdesk.ui import backup_runner

    desk = main_window.desk
    usb = tmp_path / "usb"
    usb.mkdir()
    desk.call("updateSettings", {"backupFolder": str(usb)})
    start = backup_runner.Job.start

    def locked_at_once(job: backup_runner.Job) -> None:
        job.cancel()  # what locking does, before the copy's first step
        start(job)

    monkeypatch.setattr(backup_runner.Job, "start", locked_at_once)
    runner = main_window.backups
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS) as done:
        assert runner.check() is True
    assert done.args[0].status == "failed"
    assert "stopped because PharmDesk was locked" in done.args[0].message
    assert not runner.warning.isVisible()  # nothing for the desk to fix
    assert runner.retry_after is None  # runs again after the next sign-in
    assert list(usb.iterdir()) == []
    with desk.session.db.transaction() as tx:  # type: ignore[union-attr]
        from sqlalchemy import select

        from pharmdesk.store.schema import AuditEntry

        outcomes = list(tx.scalars(select(AuditEntry.outcome).where(AuditEntry.action == "backup")))
    assert outcomes == ["failed"]


def test_saving_a_folder_starts_the_first_backup(
    qtbot, main_window: MainWindow, tmp_path: Path
) -> None:
    from pharmdesk.ui.settings_dialog import SettingsDialog

    usb = tmp_path / "usb"
    usb.mkdir()
    main_window.show()
    main_window.settings_action.trigger()
    dialog = main_window.settings_dialog
    assert isinstance(dialog, SettingsDialog)
    dialog.folder.setText(str(usb))
    with qtbot.waitSignal(main_window.backups.finished, timeout=WAIT_MS) as done:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert done.args[0].status == "success"
    assert len(list(usb.iterdir())) == 1


def test_restore_in_place_from_the_main_window(
    qtbot, main_window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    """Admin ▸ Restore…, replacing: the window signs out (closing other windows, but not
    the restore), restores, and the next sign-in sees the restored database."""
    from pharmdesk.ui.backup import restore_dialog

    desk = main_window.desk
    add_customers(desk, ["Ngozi Eze"])
    target = tmp_path / "backup.pdbak"
    _back_up(qtbot, desk, target)
    add_customers(desk, ["Bola Ahmed"])
    monkeypatch.setattr(restore_dialog, "asking", lambda *_a, **_k: lambda *_q: True)
    main_window.start()
    main_window.show()
    main_window.restore_action.trigger()
    dialog = main_window.restore_dialog
    assert dialog is not None
    dialog.file_edit.setText(str(target))
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.replace.setChecked(True)
    with qtbot.waitSignal(dialog.restored, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()  # survived the sign-out to show the outcome
    assert desk.session is None
    assert main_window.pages.currentIndex() == 1  # the sign-in page
    assert "The backup was restored" in main_window.sign_in_form.subtitle.text()
    form = main_window.sign_in_form
    form.username.setText(ADMIN)
    form.password.setText(ADMIN_PASSWORD)
    form.submit()
    qtbot.waitUntil(lambda: main_window.pages.currentIndex() == 0)
    assert [row["name"] for row in desk.call("fetchCustomers", {})["customers"]] == ["Ngozi Eze"]
    dialog.close()
