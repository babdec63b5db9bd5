"""Wizard pages: Next follows ``is_complete``, and asking costs Python nothing."""

from __future__ import annotations

import gc
import sys

from PySide6.QtWidgets import QWizard

from pharmdesk.ui.wizard_page import CompletablePage


class _Page(CompletablePage):
    done = False

    def is_complete(self) -> bool:
        return self.done


def test_next_follows_is_complete(qtbot) -> None:  # type: ignore[no-untyped-def]
    wizard = QWizard()
    qtbot.addWidget(wizard)
    page = _Page()
    wizard.addPage(page)
    wizard.addPage(_Page())
    wizard.show()
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()
    page.done = True
    page.completeChanged.emit()
    assert next_button.isEnabled()


def test_thousands_of_completeness_checks_keep_true_alive(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Each check through Qt used to drop a reference to True; 5,000 of them would
    free it and abort the interpreter."""
    wizard = QWizard()
    qtbot.addWidget(wizard)
    page = _Page()
    wizard.addPage(page)
    page.completeChanged.emit()  # the first check runs the one-time probe
    gc.collect()
    before = sys.getrefcount(True)
    for i in range(5000):
        page.done = bool(i % 2)
        page.completeChanged.emit()
    gc.collect()
    assert sys.getrefcount(True) >= before - 50
