"""Start-up pieces of the desktop app."""

from __future__ import annotations

from pathlib import Path

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.app import create_demo_with_progress


def test_demo_is_built_behind_a_progress_dialog(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The worker thread reports progress; only the GUI thread touches the dialog."""
    files = DatabaseFiles(tmp_path / "demo.db")
    assert create_demo_with_progress(files, customers=40) == ""
    desk = sign_in(files, DEMO_USER, DEMO_PASSWORD, clock=FixedClock())
    assert desk.call("fetchCustomers", {})["total"] == 40
    desk.close()


def test_demo_refusal_is_returned_as_a_message(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = DatabaseFiles(tmp_path / "demo.db")
    files.db.write_bytes(b"already here")
    message = create_demo_with_progress(files, customers=40)
    assert "already exists" in message
    assert files.db.read_bytes() == b"already here"
