"""Admin ▸ Settings…: typed changes are saved (and audited), refusals show next to their
field, and the window applies the idle lock and branch label at once."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from pharmdesk.controllers.reminders.sender_settings import DEFAULTS as MESSAGE_DEFAULTS
from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.settings_dialog import SettingsDialog


def _dialog(qtbot, desk: DeskContext, **kw) -> SettingsDialog:
    dialog = SettingsDialog(desk, **kw)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def _retype(qtbot, widget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def test_shows_the_current_settings(qtbot, signed_in_desk: DeskContext) -> None:
    dialog = _dialog(qtbot, signed_in_desk)
    assert dialog.branch_name.text() == "Lekki Branch"
    assert dialog.region.text() == "NG"
    assert dialog.currency.text() == "NGN"
    assert dialog.idle_minutes.value() == 5
    assert dialog.folder.text() == ""
    assert dialog.every_hours.value() == 24
    assert [dialog.keep[k].value() for k in ("daily", "weekly", "monthly")] == [7, 4, 12]
    assert dialog.reminder_days.value() == 7


def test_changes_are_saved_and_audited(qtbot, signed_in_desk: DeskContext, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    dialog = _dialog(qtbot, signed_in_desk, choose=lambda _parent, _current: str(usb))
    _retype(qtbot, dialog.branch_name, "Ikeja Branch")
    _retype(qtbot, dialog.region, "gh")
    _retype(qtbot, dialog.currency, "ghs")
    _retype(qtbot, dialog.idle_minutes, "12")
    qtbot.mouseClick(dialog.folder_button, Qt.MouseButton.LeftButton)
    _retype(qtbot, dialog.every_hours, "6")
    _retype(qtbot, dialog.keep["weekly"], "8")
    _retype(qtbot, dialog.reminder_days, "3")
    with qtbot.waitSignal(dialog.saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    expected = {
        "branchName": "Ikeja Branch",
        "defaultRegion": "GH",
        "currency": "GHS",
        "idleLockMinutes": 12,
        "backupFolder": str(usb),
        "backupEveryHours": 6,
        "backupKeep": {"daily": 7, "weekly": 8, "monthly": 12},
        "backupReminderDays": 3,
    }
    # The message-sending settings are set from the Outbox tab; here they keep their values.
    everything = {**expected, **MESSAGE_DEFAULTS}
    assert saved.args[0] == everything
    assert signed_in_desk.call("getSettings")["settings"] == everything
    assert not dialog.isVisible()
    with signed_in_desk.session.db.transaction() as tx:  # type: ignore[union-attr]
        (entry,) = tx.scalars(select(AuditEntry).where(AuditEntry.action == "settings"))
        assert set(json.loads(entry.detail)["changes"]) == set(expected)


def test_nothing_changed_saves_nothing(qtbot, signed_in_desk: DeskContext) -> None:
    dialog = _dialog(qtbot, signed_in_desk)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    with signed_in_desk.session.db.transaction() as tx:  # type: ignore[union-attr]
        assert list(tx.scalars(select(AuditEntry).where(AuditEntry.action == "settings"))) == []


def test_refusals_show_next_to_their_field(qtbot, signed_in_desk: DeskContext) -> None:
    dialog = _dialog(qtbot, signed_in_desk)
    _retype(qtbot, dialog.currency, "ZZZ")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.errors["currency"].isVisible()
    assert "ISO 4217" in dialog.errors["currency"].text()
    assert not dialog.errors["branchName"].isVisible()
    _retype(qtbot, dialog.currency, "NGN")
    _retype(qtbot, dialog.branch_name, "   ")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.errors["currency"].isVisible()
    assert dialog.errors["branchName"].isVisible()
    _retype(qtbot, dialog.branch_name, "Lekki Branch")
    _retype(qtbot, dialog.folder, "backups")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "full path" in dialog.errors["backupFolder"].text()
    assert signed_in_desk.call("getSettings")["settings"]["currency"] == "NGN"


def test_a_folder_that_is_not_there_is_allowed_with_a_note(
    qtbot, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, signed_in_desk)
    _retype(qtbot, dialog.folder, str(tmp_path / "usb-unplugged"))
    assert dialog.folder_note.isVisible()
    assert "not there right now" in dialog.folder_note.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settings = signed_in_desk.call("getSettings")["settings"]
    assert settings["backupFolder"] == str(tmp_path / "usb-unplugged")


def test_the_window_applies_changes_at_once(qtbot, main_window: MainWindow) -> None:
    main_window.show()
    main_window.settings_action.trigger()
    dialog = main_window.settings_dialog
    assert dialog is not None
    _retype(qtbot, dialog.branch_name, "Ikeja Branch")
    _retype(qtbot, dialog.idle_minutes, "9")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert main_window.branch_label.text() == "Ikeja Branch"
    assert main_window.idle._timer.interval() == 9 * 60 * 1000
