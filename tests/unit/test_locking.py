"""The side-file lock: one process at a time across processes, on any path."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from pathlib import Path

import pytest
from filelock import UnixFileLock, WindowsFileLock

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.store.attempts import SignInAttempts
from pharmdesk.store.locking import SideFileLock, lock_path, native_lock_class
from pharmdesk.store.vault import Vault

ODD_FOLDER = "Adébáyọ̀ Test/Pharmacy Désk"


def _hold(path: str, ready, release) -> None:  # runs in a child process
    with SideFileLock(Path(path)):
        ready.set()
        release.wait(30)


@pytest.fixture
def holder(tmp_path: Path):
    """Starts a process that holds the lock of a file until told to let go."""
    context = multiprocessing.get_context("spawn")
    started = []

    def start(path: Path):
        ready, release = context.Event(), context.Event()
        process = context.Process(target=_hold, args=(str(path), ready, release))
        process.start()
        assert ready.wait(60), "the child process never took the lock"
        started.append((process, release))
        return process, release

    yield start
    for process, release in started:
        release.set()
        process.join(30)


def test_the_lock_file_sits_beside_the_file(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "pharmdesk.db.vault") == tmp_path / "pharmdesk.db.vault.lock"
    assert SideFileLock(tmp_path / "x.attempts").path == tmp_path / "x.attempts.lock"


def test_windows_uses_its_own_lock_and_posix_fcntl() -> None:
    assert native_lock_class("nt") is WindowsFileLock
    assert native_lock_class("posix") is UnixFileLock
    # The lock actually taken here is the one for this system.
    assert isinstance(SideFileLock(Path("x"))._lock, native_lock_class(os.name))


def test_a_second_process_waits_then_gets_a_message(tmp_path: Path, holder) -> None:
    target = tmp_path / "pharmdesk.db.vault"
    _, release = holder(target)
    with pytest.raises(PharmDeskError) as caught, SideFileLock(target, wait=0.3):
        pytest.fail("took a lock another process holds")
    assert caught.value.code == DATABASE_ERROR
    assert "Another PharmDesk" in caught.value.message
    release.set()
    # Once let go, it can be taken.
    with SideFileLock(target, wait=30):
        pass


def test_the_lock_is_released_when_the_block_fails(tmp_path: Path, holder) -> None:
    target = tmp_path / "pharmdesk.db.attempts"
    with pytest.raises(ValueError), SideFileLock(target):
        raise ValueError("inside")
    # Another process can take it at once.
    process, release = holder(target)
    release.set()
    process.join(30)
    assert process.exitcode == 0


def test_reentrant_within_one_thread(tmp_path: Path) -> None:
    lock = SideFileLock(tmp_path / "f")
    with lock, lock:
        pass


def test_paths_with_spaces_and_non_ascii_letters(tmp_path: Path) -> None:
    folder = tmp_path / ODD_FOLDER
    folder.mkdir(parents=True)
    vault_file = folder / "pharmdesk.db.vault"
    vault = Vault(vault_file)
    with vault._lock:
        assert (folder / "pharmdesk.db.vault.lock").exists()
    attempts = SignInAttempts(folder / "pharmdesk.db.attempts")
    now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    attempts.record_failure("adébáyọ̀", now)
    attempts.record_failure("adébáyọ̀", now)
    assert attempts.state("adébáyọ̀", now).failures == 2


def test_a_folder_that_refuses_the_lock_file_says_what_to_do(tmp_path: Path) -> None:
    # A file where the folder should be: creating the lock file fails, as it does for an
    # account without rights to the data folder.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(PharmDeskError) as caught, SideFileLock(blocker / "pharmdesk.db.vault"):
        pytest.fail("locked inside a file")
    assert caught.value.code == DATABASE_ERROR
    assert "PharmDesk Users" in caught.value.message
