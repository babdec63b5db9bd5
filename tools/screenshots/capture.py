"""Saving a widget as a PNG, and waiting for a dialog's background work."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget


def save(widget: QWidget, out: Path, name: str) -> Path:
    QApplication.processEvents()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(path)
    return path


def wait_for(dialog: Any) -> None:
    """Let a dialog's worker thread finish (its answer arrives through the event loop)."""
    deadline = time.monotonic() + 120
    while dialog.job is not None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    QApplication.processEvents()
