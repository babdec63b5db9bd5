"""Escape closes every dialog wherever the focus is (a scroll area, a table, a field), and
no dialog makes Cancel its default button (Enter must never throw typing away).

Walks the same windows as the screen-size probe (tests/ui/keyboard_probe.py, in a
child process).
"""

from __future__ import annotations

from pathlib import Path

from tests.ui.child_screen import run_probe


def _walk(tmp_path: Path, mode: str) -> dict[str, list[str]]:
    return run_probe(tmp_path, "tests.ui.keyboard_probe", mode)


def test_escape_closes_every_dialog(tmp_path: Path) -> None:
    result = _walk(tmp_path, "escape")
    assert result["problems"] == [], "\n".join(result["problems"])
    seen = set(result["seen"])
    assert {"ProfileDialog", "CustomerForm", "EnrollmentWizard", "AuditLogWindow"} <= seen
    assert "profile with plans and orders/QScrollArea profileScroll" in seen
    assert len(seen) > 150  # every focusable control of every dialog was tried
