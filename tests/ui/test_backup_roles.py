"""The window asks the session what the signed-in person may run (``may``) and runs
backups as registered jobs: a front-desk person sees no backup entry, and a backup dialog
reached anyway refuses (audited) and writes nothing; the background backup still runs
for them, into the folder an admin chose, when one is due."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from sqlalchemy import select

from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui.backup.backup_dialog import BackupDialog
from pharmdesk.ui.backup.restore_dialog import RestoreDialog
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from tests.conftest import ADMIN_PASSWORD

FEMI_PASSWORD = "femi likes long walks 2026"
WAIT_MS = 30_000


def _as_frontdesk(desk: DeskContext, usb: Path) -> None:
    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Front",
            "role": "frontdesk",
            "password": FEMI_PASSWORD,
            "mustChangePassword": False,
        },
    )
    usb.mkdir()
    desk.call("updateSettings", {"backupFolder": str(usb)})
    desk.sign_out()
    desk.sign_in("femi", FEMI_PASSWORD)


def _denied(desk: DeskContext) -> list[str]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        rows = tx.scalars(select(AuditEntry).where(AuditEntry.action == "denied")).all()
    return [json.loads(row.detail)["operation"] for row in rows]


def test_front_desk_cannot_back_up_from_the_window(
    qtbot, signed_in_desk: DeskContext, window_settings: QSettings, tmp_path: Path
) -> None:
    usb = tmp_path / "usb"
    _as_frontdesk(signed_in_desk, usb)
    window = MainWindow(signed_in_desk, window_settings)
    qtbot.addWidget(window)
    assert not window.backup_action.isVisible() and not window.restore_action.isVisible()
    assert not signed_in_desk.may("backup") and not signed_in_desk.may("restoreBackup")

    target = tmp_path / "copy.pdbak"
    dialog = BackupDialog(signed_in_desk, choose_file=lambda _p, _s: str(target))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.browse, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.job is None
    assert dialog.error.isVisible() and "may not use backup" in dialog.error.text()

    restore = RestoreDialog(signed_in_desk, choose_file=lambda _p, _s: str(target))
    qtbot.addWidget(restore)
    restore.show()
    assert not restore.replace.isEnabled()
    target.write_bytes(b"PK")  # any file: the refusal comes before it is read
    qtbot.mouseClick(restore.browse, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(restore.password, ADMIN_PASSWORD)
    qtbot.mouseClick(restore.check_button, Qt.MouseButton.LeftButton)
    assert restore.job is None
    assert "may not use checkBackup" in restore.error.text()
    target.unlink()

    assert _denied(signed_in_desk) == ["backup", "checkBackup"]
    assert list(tmp_path.rglob("*.pdbak")) == []

    # The scheduled copy is not theirs to choose, but it happens on their watch.
    with qtbot.waitSignal(window.backups.finished, timeout=WAIT_MS) as done:
        assert window.backups.check() is True
    assert done.args[0].status == "success"
    assert len(list(usb.glob("*.pdbak"))) == 1


def test_an_admin_sees_the_entries_the_session_allows(qtbot, main_window: MainWindow) -> None:
    desk = main_window.desk
    assert desk.may("backup") and desk.may("restoreBackup")
    assert main_window.backup_action.isVisible() and main_window.restore_action.isVisible()
