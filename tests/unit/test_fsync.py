"""Flushing finished files: with a handle Windows accepts (write access)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from pharmdesk.store import files
from pharmdesk.store.backup import copy as backup_copy
from pharmdesk.store.backup import pre_upgrade, restore


def test_fsync_file_flushes_through_a_writable_handle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows' FlushFileBuffers refuses a read-only handle ("Permission denied"), which
    # made every backup fail there; Linux accepts both, so the mode is checked here.
    target = tmp_path / "Adébáyọ̀ copy.pdbak"
    target.write_bytes(b"backup bytes")
    modes: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        modes.append(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    files.fsync_file(target)
    assert modes == [os.O_RDWR]
    assert target.read_bytes() == b"backup bytes"  # flushed, not truncated


def test_backups_use_the_one_fsync() -> None:
    parts = [backup_copy, pre_upgrade, restore]
    assert all(part.fsync_file is files.fsync_file for part in parts if hasattr(part, "fsync_file"))
    assert any(hasattr(part, "fsync_file") for part in parts)
