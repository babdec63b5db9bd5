"""Where the database lives: the machine-wide folder, its write check, odd folder names."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from pharmdesk import paths
from pharmdesk.paths import DatabaseFiles, resolve_db_path

ODD = "Adébáyọ̀ Test/My Documents"


def test_windows_asks_the_folder_itself_not_the_read_only_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On Windows os.access says "writable" for a folder whose permissions refuse this
    # account; creating a file there is the real answer.
    assert paths._writable_dir(tmp_path, os_name="nt")

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Access is denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    assert not paths._writable_dir(tmp_path, os_name="nt")
    assert paths._writable_dir(tmp_path, os_name="posix")  # os.access, as before


def test_the_probe_leaves_nothing_behind(tmp_path: Path) -> None:
    assert paths._can_create_file(tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert not paths._can_create_file(tmp_path / "missing")


def test_a_folder_not_made_yet_is_judged_by_its_nearest_parent(tmp_path: Path) -> None:
    assert paths._writable_dir(tmp_path / "PharmDesk" / "deeper", os_name="nt")


def test_an_unreadable_machine_folder_falls_back_to_the_users_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = tmp_path / "ProgramData" / "PharmDesk"
    machine.mkdir(parents=True)
    user = tmp_path / "users" / ODD / "AppData"
    monkeypatch.setattr(paths, "machine_data_dir", lambda: machine)
    monkeypatch.setattr(paths, "user_data_dir", lambda: user)
    assert paths.default_db_path() == machine / "pharmdesk.db"

    # Windows answers "access denied" instead of "no" for a folder the account may not
    # look into, and refuses the write probe there.
    monkeypatch.setattr(paths, "_exists", lambda path: False)
    monkeypatch.setattr(paths, "_writable_dir", lambda folder: False)
    assert paths.default_db_path() == user / "pharmdesk.db"


def test_exists_treats_refused_as_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(self: Path) -> bool:
        raise PermissionError(13, "Access is denied")

    monkeypatch.setattr(Path, "exists", refused)
    assert paths._exists(tmp_path) is False


def test_side_files_keep_spaces_and_non_ascii_letters(tmp_path: Path) -> None:
    db = tmp_path / ODD / "pharmdesk.db"
    files = DatabaseFiles(resolve_db_path(str(db)))
    assert files.vault == tmp_path / ODD / "pharmdesk.db.vault"
    assert files.attempts.parent == db.parent
    assert {f.parent for f in files.all_files()} == {db.parent}
