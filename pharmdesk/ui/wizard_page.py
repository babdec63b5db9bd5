"""The base of every wizard page that decides when Next may be pressed.

Pages say whether they are complete in ``is_complete``; Qt asks ``isComplete`` (on each
``completeChanged``). Emitting ``completeChanged`` thousands of times is safe: the
reference PySide6 6.12 drops on every emit is given back by ``signal_refs``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWizardPage


class CompletablePage(QWizardPage):
    """A wizard page whose Next button follows ``is_complete``."""

    def is_complete(self) -> bool:
        return True

    def isComplete(self) -> bool:
        return self.is_complete()
