"""GUI fixtures: a window on a fresh encrypted database, window settings in tmp."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings

from pharmdesk.clock import FixedClock
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF


@pytest.fixture
def window_settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def desk_context(db_files: DatabaseFiles, clock: FixedClock) -> Iterator[DeskContext]:
    desk = DeskContext(db_files, clock, kdf=TEST_KDF)
    yield desk
    desk.close()


@pytest.fixture
def signed_in_desk(desk_context: DeskContext) -> DeskContext:
    desk_context.sign_in(ADMIN, ADMIN_PASSWORD)
    return desk_context


def add_customers(desk: DeskContext, names: list[str]) -> list[str]:
    ids = []
    for i, name in enumerate(names):
        answer = desk.call("addProviderCustomer", {"name": name, "phone": f"0803{i:07d}"})
        ids.append(answer["customerId"])
    return ids


@pytest.fixture
def main_window(qtbot, signed_in_desk: DeskContext, window_settings: QSettings) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(signed_in_desk, window_settings)
    qtbot.addWidget(window)
    window.resize(1100, 650)
    return window


@pytest.fixture(autouse=True)
def _screen_fit(qapp) -> None:  # type: ignore[no-untyped-def]
    """Windows in tests follow the app's screen-fit rule, as they do in the app."""
    from pharmdesk.ui import screen_fit

    screen_fit.install(qapp)


@pytest.fixture(autouse=True)
def no_window_outlives_its_test(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Every test starts and ends with no top-level window of its own: a dialog one test
    left open must not be found by the next (tests pass in any order and any subset)."""
    before = set(qapp.topLevelWidgets())
    yield
    for widget in qapp.topLevelWidgets():
        if widget not in before:
            widget.close()
            widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()
