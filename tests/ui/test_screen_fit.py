"""Every top-level window and dialog fits the screens the branches have.

Each screen size and scale factor runs in its own process (Qt fixes both at start):
1366×768 and 1280×720, at 100 %, 125 % and 150 %. The probe opens every window and
dialog (the profile of a customer with plans and orders included) and reports any
button, or any scroll area holding buttons, outside the screen's available geometry.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QMainWindow, QWidget

import pharmdesk.ui
from pharmdesk.ui import screen_fit
from tests.ui.child_screen import run_probe

SIZES = [(1366, 768), (1280, 720)]
SCALES = ["1", "1.25", "1.5"]
# Bases that are never shown on their own (their subclasses are).
ABSTRACT = {"FormDialog"}


def _probe(tmp_path: Path, width: int, height: int, scale: str) -> dict[str, list[str]]:
    return run_probe(tmp_path, "tests.ui.screen_probe", size=(width, height), scale=scale)


def _window_classes() -> set[str]:
    """Every dialog, wizard and main window class defined in pharmdesk.ui (and the
    packages of its screens)."""
    names = set()
    for module_info in pkgutil.walk_packages(pharmdesk.ui.__path__, "pharmdesk.ui."):
        module = importlib.import_module(module_info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or name in ABSTRACT:
                continue
            if issubclass(cls, QDialog | QMainWindow):
                names.add(name)
    return names


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_window_fits(tmp_path: Path, width: int, height: int, scale: str) -> None:
    result = _probe(tmp_path, width, height, scale)
    assert result["problems"] == []
    missing = _window_classes() - set(result["measured"])
    assert not missing, f"not measured by tests/ui/screen_probe.py: {sorted(missing)}"


def test_a_tall_dialog_scrolls_and_keeps_its_buttons(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A dialog taller than the screen gets a scroll area; its buttons stay outside it."""
    from PySide6.QtWidgets import QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout

    dialog = QDialog()
    qtbot.addWidget(dialog)
    layout = QVBoxLayout(dialog)
    limit = screen_fit.room(dialog)
    for row in range(limit.height() // 10):
        label = QLabel(f"Row {row}")
        label.setMinimumHeight(20)
        layout.addWidget(label)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    layout.addWidget(buttons)
    dialog.show()
    screen_fit.fit(dialog)
    scroll = dialog.findChild(QScrollArea)
    assert scroll is not None
    assert buttons.parentWidget() is dialog
    assert dialog.height() <= limit.height()
    assert dialog.minimumSizeHint().height() <= limit.height()
    area = screen_fit.available(dialog)
    close = buttons.button(QDialogButtonBox.StandardButton.Close)
    corner = close.mapToGlobal(close.rect().bottomRight())
    assert area.contains(corner)


def test_a_small_dialog_is_left_alone(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout

    dialog = QDialog()
    qtbot.addWidget(dialog)
    QVBoxLayout(dialog).addWidget(QLabel("Short"))
    dialog.show()
    screen_fit.fit(dialog)
    assert dialog.findChild(QScrollArea) is None


def test_every_window_class_is_a_widget() -> None:
    """The enumeration finds the windows (a guard against it silently finding none)."""
    names = _window_classes()
    assert {"ProfileDialog", "CustomerForm", "MainWindow", "ImportWizard"} <= names
    assert all(isinstance(name, str) for name in names)
    assert QWidget is not None


def _first_page_field(kind: str, desk, tmp_path: Path) -> tuple[QWidget, QWidget]:  # type: ignore[no-untyped-def]
    """A wizard of ``kind`` and a field on its first page."""
    from pharmdesk.paths import DatabaseFiles
    from pharmdesk.ui.enrollment_wizard import EnrollmentWizard
    from pharmdesk.ui.import_wizard import ImportWizard
    from pharmdesk.ui.setup_wizard import FirstRunWizard

    if kind == "import":
        imports = ImportWizard(desk)
        return imports, imports.file_page.path_edit
    if kind == "enrollment":
        enrollment = EnrollmentWizard(desk)
        return enrollment, enrollment.customer_page.search
    setup = FirstRunWizard(DatabaseFiles(tmp_path / "setup.db"))
    return setup, setup.branch_page.branch


@pytest.mark.parametrize("kind", ["import", "enrollment", "setup"])
def test_a_wizard_page_shows_its_content_as_the_wizard_appears(  # type: ignore[no-untyped-def]
    qtbot, signed_in_desk, tmp_path: Path, kind: str
) -> None:
    """Wrapping the pages in scroll areas as the wizard is shown leaves nothing hidden,
    not even before Qt's next event loop turn (a person may type or press Next at once)."""
    from PySide6.QtWidgets import QScrollArea, QWizard

    wizard, field = _first_page_field(kind, signed_in_desk, tmp_path)
    qtbot.addWidget(wizard)
    assert isinstance(wizard, QWizard)
    wizard.show()
    page = wizard.currentPage()
    scroll = page.findChild(QScrollArea, "screenFitScroll")
    assert scroll is not None, "the page was not wrapped"
    assert not scroll.isHidden()
    assert field.isVisible()
    for page_id in wizard.pageIds():
        other = wizard.page(page_id).findChild(QScrollArea, "screenFitScroll")
        assert other is not None and not other.isHidden(), page_id
