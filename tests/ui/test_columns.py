"""The one header rule every table model answers with (ui/models/columns.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from pharmdesk.ui.models.columns import header_data

H, V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
DISPLAY, TIP, EDIT = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.EditRole,
)
TITLES = ("ID", "Name", "Phone")


def test_titles_across_the_top() -> None:
    assert [header_data(TITLES, s, H, DISPLAY) for s in range(3)] == list(TITLES)


def test_nothing_for_rows_other_roles_or_sections_out_of_range() -> None:
    assert header_data(TITLES, 0, V, DISPLAY) is None
    assert header_data(TITLES, 1, H, EDIT) is None
    assert header_data(TITLES, 3, H, DISPLAY) is None
    assert header_data(TITLES, -1, H, DISPLAY) is None


def test_tooltips_where_given() -> None:
    tips = ("Click to sort", None)
    assert header_data(TITLES, 0, H, TIP, tips) == "Click to sort"
    assert header_data(TITLES, 1, H, TIP, tips) is None
    assert header_data(TITLES, 2, H, TIP, tips) is None  # more titles than tips
    assert header_data(TITLES, 0, H, TIP) is None
