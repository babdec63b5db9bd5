"""The base of every wizard page that decides when Next may be pressed.

PySide6 6.12 releases one reference to ``True`` each time Qt calls a Python override of
``QWizardPage.isComplete`` (whatever it returns). A few thousand calls, one per
``completeChanged``, free the ``True`` object itself and the interpreter aborts
("Fatal Python error: bool_dealloc"), at the latest when it exits. Pages therefore say
whether they are complete in ``is_complete``; ``isComplete`` gives the reference back
when this PySide6 is one that drops it (found once, by a probe, on first use).
"""

from __future__ import annotations

import ctypes
import gc
import sys
from functools import cache

from PySide6.QtWidgets import QWizard, QWizardPage

_PROBE_CALLS = 32


class _ProbePage(QWizardPage):
    def isComplete(self) -> bool:
        return True


@cache
def _isComplete_drops_a_reference() -> bool:
    """Let Qt call a plain Python ``isComplete`` a few times and see whether ``True``
    lost a reference for each call."""
    wizard = QWizard()
    page = _ProbePage()
    wizard.addPage(page)
    gc.collect()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_CALLS):
        page.completeChanged.emit()  # the wizard asks isComplete() to update its buttons
    lost = before - sys.getrefcount(True)
    if lost > 0:
        for _ in range(lost):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    wizard.deleteLater()
    return lost >= _PROBE_CALLS // 2


class CompletablePage(QWizardPage):
    """A wizard page whose Next button follows ``is_complete``."""

    def is_complete(self) -> bool:
        return True

    def isComplete(self) -> bool:
        if _isComplete_drops_a_reference():
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
        return self.is_complete()
