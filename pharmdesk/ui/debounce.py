"""Waiting for typing (or a spin box's arrows) to pause before asking the database."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


def debounce_timer(parent: QObject, milliseconds: int, then: Callable[[], object]) -> QTimer:
    """A single-shot timer that calls ``then`` once ``milliseconds`` pass without another
    ``start()``: start it on every change, stop it when the answer is asked for at once."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(milliseconds)
    timer.timeout.connect(then)
    return timer
