"""Signals emitted from Python cost ``True`` nothing (PySide6 6.12's ``emit`` drops a
reference to it each time; see pharmdesk/ui/signal_refs.py)."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance

from pharmdesk.ui import signal_refs
from pharmdesk.ui.chips import ChipsEdit


class _Source(QObject):
    changed = Signal()
    named = Signal(str)


def test_emit_is_wrapped_exactly_when_this_pyside6_drops_a_reference() -> None:
    drops = signal_refs.emit_drops_a_reference()  # measured on the unwrapped emit
    assert signal_refs.install() is drops
    assert (SignalInstance.emit is not signal_refs._original_emit) is drops


def test_thousands_of_emits_keep_true_alive() -> None:
    """5,000 emits used to take 5,000 references from True; at exit that aborted the
    interpreter (bool_dealloc)."""
    source = _Source()
    heard: list[str] = []
    source.named.connect(heard.append)
    gc.collect()
    before = sys.getrefcount(True)
    for i in range(5000):
        assert source.changed.emit() is True
        source.named.emit(str(i % 3))
    gc.collect()
    assert sys.getrefcount(True) >= before - 50
    assert len(heard) == 5000


def test_a_label_entry_changed_thousands_of_times_keeps_true_alive(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The label entry's ``changed`` (one emit per chip added or removed), as a long day
    at the desk would emit it."""
    chips = ChipsEdit("Allergies")
    qtbot.addWidget(chips)
    changes: list[int] = []
    chips.changed.connect(lambda: changes.append(1))
    gc.collect()
    before = sys.getrefcount(True)
    for _ in range(5000):
        chips.changed.emit()
    gc.collect()
    assert sys.getrefcount(True) >= before - 50
    assert len(changes) == 5000


def test_qt_calls_from_python_keep_none_alive(qtbot) -> None:  # type: ignore[no-untyped-def]
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None on every call of a void
    Qt method from Python; a day at the desk freed None and aborted the interpreter. The
    project excludes that release; this keeps any other from bringing the bug back."""
    from PySide6.QtWidgets import QLineEdit

    edit = QLineEdit()
    qtbot.addWidget(edit)
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(5000):
        edit.clear()
    gc.collect()
    assert sys.getrefcount(None) >= before - 100
