"""Atomic small-file writes: a crash leaves the old file or the new one, never half of one.

A write killed before its rename leaves its temp file behind. For the key file that temp
file is a whole keyslot file (perhaps with a slot that was never committed, or one that
was revoked since), so the next write of the same file removes such leftovers.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

# A temp file this old belongs to a write that died: live writes take milliseconds.
STALE_TEMP_SECONDS = 60.0


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temps(path: Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Delete temp files left beside ``path`` by earlier, interrupted writes."""
    removed: list[Path] = []
    cutoff = time.time() - older_than
    try:
        candidates = list(path.parent.glob(f"{_temp_prefix(path)}*.tmp"))
    except OSError:
        return removed
    for leftover in candidates:
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime <= cutoff:
                leftover.unlink()
                removed.append(leftover)
    return removed


def fsync_file(path: Path) -> None:
    """Flush a finished file to the disk. Opened for writing: Windows flushes only a
    handle with write access (a read-only one fails with "Permission denied")."""
    with path.open("r+b") as handle:
        os.fsync(handle.fileno())


def fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory for fsync; rename is durable there.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file beside ``path``, fsync, rename over it, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_json_atomic(path: Path, value: Any) -> None:
    write_bytes_atomic(path, json.dumps(value, indent=1, sort_keys=True).encode("utf-8"))


def read_json(path: Path) -> Any:
    with path.open("rb") as handle:
        return json.loads(handle.read().decode("utf-8"))
