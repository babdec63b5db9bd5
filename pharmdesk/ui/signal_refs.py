"""Keeps ``True`` alive under PySide6 6.12, whose ``SignalInstance.emit`` drops it.

``emit()`` answers ``True`` without owning a reference to it, so every signal emitted
from Python (a custom ``changed``, a page's ``completeChanged``, a job's ``progress``)
takes one reference from ``True``. A few thousand emits free the ``True`` object itself
and the interpreter aborts ("Fatal Python error: bool_dealloc"), at the latest when it
exits. Which signal or which slot does not matter; the Python overrides Qt calls back
(``isComplete``, ``hasHeightForWidth``, ``eventFilter``...) do not lose references.

``install()`` (run when ``pharmdesk.ui`` is imported) emits a private signal a few times;
only if that costs ``True`` a reference each time is ``emit`` wrapped so the answer
keeps its reference. On a PySide6 without the fault nothing is changed.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

_PROBE_EMITS = 32
_original_emit = SignalInstance.emit


class _Probe(QObject):
    ping = Signal()


def _give_back(answer: object, times: int = 1) -> None:
    for _ in range(times):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(answer))


def emit_drops_a_reference() -> bool:
    """Emit a private signal a few times and see whether ``True`` lost a reference for
    each (the references lost here are given back)."""
    probe = _Probe()
    gc.collect()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        _original_emit(probe.ping)
    lost = before - sys.getrefcount(True)
    if lost > 0:
        _give_back(True, lost)
    return lost >= _PROBE_EMITS // 2


def _emit_keeping_the_answer(self: SignalInstance, *args: Any) -> Any:
    answer = _original_emit(self, *args)
    _give_back(answer)
    return answer


def install() -> bool:
    """Wrap ``emit`` if this PySide6 needs it (once); True when it is wrapped."""
    if SignalInstance.emit is not _original_emit:
        return True
    if not emit_drops_a_reference():
        return False
    setattr(SignalInstance, "emit", _emit_keeping_the_answer)  # noqa: B010
    return True
