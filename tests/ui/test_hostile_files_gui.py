"""Hostile and damaged files in the window: the Import wizard and the Restore dialog show
what is wrong with the file (a person can act on it) and write nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard
from sqlalchemy import func, select

from pharmdesk.store.schema import Customer
from pharmdesk.ui.backup.restore_dialog import RestoreDialog
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.import_wizard import ImportWizard
from pharmdesk.ui.import_wizard.common import FILE_PAGE
from tests.conftest import ADMIN_PASSWORD
from tests.reliability.hostile import (
    broken_xml_workbook,
    manifest_bomb_backup,
    sheet_bomb_workbook,
)

WAIT_MS = 30_000


def _count(desk: DeskContext) -> int:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        return int(tx.scalar(select(func.count()).select_from(Customer)) or 0)


def _random_bytes(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 16)
    return path


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (broken_xml_workbook, "cannot be opened as an Excel workbook"),
        (sheet_bomb_workbook, "expands"),
        (_random_bytes, "not a complete zip archive"),
    ],
    ids=["broken-xml", "zip-bomb", "random-bytes"],
)
def test_the_import_wizard_says_what_is_wrong_with_the_file(
    qtbot: Any,
    signed_in_desk: DeskContext,
    tmp_path: Path,
    build: Callable[[Path], Path],
    words: str,
) -> None:
    path = build(tmp_path / "customers.xlsx")
    wizard = ImportWizard(signed_in_desk)
    qtbot.addWidget(wizard)
    wizard.show()
    edit = wizard.file_page.path_edit
    edit.setFocus()
    qtbot.keyClicks(edit, str(path))
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == FILE_PAGE  # stays, with the reason
    error = wizard.file_page.error
    assert error.isVisible()
    assert words in error.text() and "Nothing was imported" in error.text()
    assert "internal error" not in error.text().lower()
    assert _count(signed_in_desk) == 0


@pytest.mark.parametrize("action", ["check", "restore"])
@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda p: manifest_bomb_backup(p, 64 << 20), "manifest.json"),
        (_random_bytes, "is not a PharmDesk backup"),
        (lambda p: (p.write_bytes(b""), p)[1], "is not a PharmDesk backup"),
    ],
    ids=["manifest-bomb", "random-bytes", "empty"],
)
def test_the_restore_dialog_says_what_is_wrong_with_the_file(
    qtbot: Any,
    signed_in_desk: DeskContext,
    tmp_path: Path,
    action: str,
    build: Callable[[Path], Path],
    words: str,
) -> None:
    source = build(tmp_path / "backup.pdbak")
    dialog = RestoreDialog(signed_in_desk, choose_file=lambda _p, _s: str(source))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    target = tmp_path / "restored" / "pharmdesk.db"
    dialog.target_edit.setText(str(target))
    qtbot.mouseClick(dialog.browse, Qt.MouseButton.LeftButton)
    dialog.password.setFocus()
    qtbot.keyClicks(dialog.password, ADMIN_PASSWORD)
    button = dialog.check_button if action == "check" else dialog.restore_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is None and dialog.error.isVisible(), timeout=WAIT_MS)
    assert words in dialog.error.text()
    assert "internal error" not in dialog.error.text().lower()
    assert "stopped unexpectedly" not in dialog.error.text()
    assert not dialog.report.isVisible() and not dialog.outcome.isVisible()
    assert not target.parent.exists()  # nothing half-written
    assert signed_in_desk.session is not None  # the current database is untouched
