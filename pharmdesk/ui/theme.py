"""The colours that Python code paints itself: model brushes, charts, rich text.

Widgets take their look from ``resources/style.qss`` (object names and properties); only
what a style sheet cannot reach (a model's ``ForegroundRole``, a chart's bars, an inline
HTML span) reads a colour here, so each colour is written once. They meet WCAG AA
contrast on the light background the style sheet assumes.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QBrush, QColor

DANGER = "#b3261e"  # allergies, overdue deliveries, denied or failed entries, bad cells
DANGER_BACKGROUND = "#fde8e6"  # the row or cell behind a danger colour
MUTED = "#4a4f55"  # secondary text: counts, hints, field names
CHART_BAR = "#2f6db5"
CHART_HIGHLIGHT = "#e07b00"
CHART_LABEL = "#1f2328"


@cache
def brush(colour: str) -> QBrush:
    """One brush per colour, for a model's ``data()`` (called for every visible cell)."""
    return QBrush(QColor(colour))
