"""The idle lock: notice when nobody has touched the PC for N minutes, and lock.

On lock the ``LockCoordinator`` hides every other window (remembering who had it open);
after sign-in only that person's windows come back, with whatever they had typed.
Another person's windows stay hidden until they return, and are closed when they sign
out.
"""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
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
class _Hidden:
    widget: QWidget
    owner: str


class LockCoordinator(QObject):
    """On lock, hides every other PharmDesk window (profiles, forms, wizards) and
    remembers whose it was; after sign-in only that person's windows come back.

    Working on all top-level windows makes it a rule for every screen: a new dialog
    needs no registration to be covered by the lock.
    """

    def __init__(self, keep: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._keep = keep  # the main window, which shows its own lock page
        self._hidden: list[_Hidden] = []

    def _alive(self) -> list[_Hidden]:
        self._hidden = [h for h in self._hidden if shiboken6.isValid(h.widget)]
        return self._hidden

    def hide_all(self, owner: str) -> None:
        for widget in QApplication.topLevelWidgets():
            if widget is self._keep or not widget.isVisible():
                continue
            if widget.windowType() in (Qt.WindowType.Popup, Qt.WindowType.ToolTip):
                widget.hide()
                continue
            self._hidden.append(_Hidden(widget, owner))
            widget.hide()

    def restore_for(self, username: str) -> None:
        keep = []
        for hidden in self._alive():
            if hidden.owner == username:
                hidden.widget.show()
                hidden.widget.raise_()
            else:
                keep.append(hidden)
        self._hidden = keep

    def close_for(self, username: str) -> None:
        """Sign-out: that person's hidden windows are closed, their input discarded."""
        keep = []
        for hidden in self._alive():
            if hidden.owner == username:
                hidden.widget.close()
            else:
                keep.append(hidden)
        self._hidden = keep
        for widget in QApplication.topLevelWidgets():
            if widget is not self._keep and widget.isVisible():
                widget.close()
