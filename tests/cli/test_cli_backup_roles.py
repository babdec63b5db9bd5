"""``pharmdesk backup`` goes through the registered ``backup`` / ``scheduledBackup`` jobs:
a front-desk account is refused (audited), whatever the form of the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmdesk.controllers.session import DeskSession
from pharmdesk.paths import DatabaseFiles
from tests.cli.conftest import Run

FEMI_PASSWORD = "femi likes long walks 2026"


@pytest.fixture
def as_frontdesk(admin: DeskSession, monkeypatch: pytest.MonkeyPatch, cli_env: None) -> None:
    admin.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Front",
            "role": "frontdesk",
            "password": FEMI_PASSWORD,
            "mustChangePassword": False,
        },
    )
    folder = admin.files.db.parent / "usb"
    folder.mkdir()
    admin.call("updateSettings", {"backupFolder": str(folder)})
    monkeypatch.setenv("PHARMDESK_USER", "femi")
    monkeypatch.setenv("PHARMDESK_PASSWORD", FEMI_PASSWORD)


@pytest.mark.parametrize(
    "argv",
    [["backup", "{target}"], ["backup", "--scheduled"], ["backup", "--scheduled", "--now"]],
    ids=["file", "scheduled", "scheduled-now"],
)
def test_front_desk_cannot_back_up_from_the_command_line(
    run: Run, as_frontdesk: None, db_files: DatabaseFiles, tmp_path: Path, argv: list[str]
) -> None:
    target = tmp_path / "copy.pdbak"
    result = run(*[a.format(target=target) for a in argv], f"--db={db_files.db}")
    assert result.code == 1
    assert result.error["code"] == "PERMISSION_DENIED"
    assert "frontdesk" in result.error["message"]
    assert list(tmp_path.rglob("*.pdbak")) == []


def test_call_has_no_backup_operation(
    run: Run, as_frontdesk: None, db_files: DatabaseFiles
) -> None:
    result = run("call", "backup", '{"file": "/tmp/x.pdbak"}', f"--db={db_files.db}")
    assert result.code == 1
    assert result.error["code"] == "VALIDATION_ERROR"
    assert "Unknown operation" in result.error["message"]
