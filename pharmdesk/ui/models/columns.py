"""Column headers for every table model: one rule for what ``headerData`` answers.

Each model keeps its columns (titles, and what a cell shows) next to its data; the
header is then the same everywhere: the title across the top, an optional tooltip, and
nothing for the vertical header or a section out of range (``qtmodeltester`` asks).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt


def header_data(
    titles: Sequence[str],
    section: int,
    orientation: Qt.Orientation,
    role: int,
    tooltips: Sequence[str | None] = (),
) -> str | None:
    """What a table model's ``headerData`` returns for columns titled ``titles``."""
    if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(titles):
        return None
    if role == Qt.ItemDataRole.DisplayRole:
        return titles[section]
    if role == Qt.ItemDataRole.ToolTipRole and section < len(tooltips):
        return tooltips[section]
    return None
