"""The idle lock: notice when nobody has touched the PC for N minutes, and lock.

Every window and dialog registers with the ``LockCoordinator``; on lock each is hidden
(remembering who had it open), and after sign-in only that person's windows come back,
with whatever they had typed. Another person's windows stay hidden until they return,
and are closed when they sign out.
"""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleWatcher(QObject):
    """Emits ``idle`` after ``minutes`` without keyboard, mouse or touch input."""

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle.emit)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: float) -> None:
        self._timer.setInterval(max(1, int(minutes * 60_000)))

    def set_interval_ms(self, milliseconds: int) -> None:
        """For tests and settings in seconds."""
        self._timer.setInterval(milliseconds)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY_EVENTS and self._timer.isActive():
            self._timer.start()
        return False


@dataclass
class _Registered:
    widget: QWidget
    owner: str
    was_visible: bool = False


class LockCoordinator(QObject):
    """Hides every registered window on lock and gives each back to its owner only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._windows: list[_Registered] = []

    def register(self, widget: QWidget, owner: str) -> None:
        entry = _Registered(widget, owner)
        self._windows.append(entry)
        widget.destroyed.connect(lambda *_: self._forget(entry))

    def _forget(self, entry: _Registered) -> None:
        self._windows = [e for e in self._windows if e is not entry]

    def _alive(self) -> list[tuple[_Registered, QWidget]]:
        self._windows = [e for e in self._windows if shiboken6.isValid(e.widget)]
        return [(entry, entry.widget) for entry in self._windows]

    def hide_all(self) -> None:
        for entry, widget in self._alive():
            entry.was_visible = entry.was_visible or widget.isVisible()
            widget.hide()

    def restore_for(self, username: str) -> None:
        for entry, widget in self._alive():
            if entry.owner == username and entry.was_visible:
                entry.was_visible = False
                widget.show()
                widget.raise_()

    def close_for(self, username: str) -> None:
        for entry, widget in self._alive():
            if entry.owner == username:
                entry.was_visible = False
                widget.close()

    def count_for(self, username: str) -> int:
        return sum(1 for entry, _ in self._alive() if entry.owner == username)
