"""Files PharmDesk writes: private to their owner, and whole or not at all.

Everything PharmDesk writes holds patient data or keys (the database and its sidecars,
backups, reports, exports, PDFs), so every file is created readable by its owner only
(0600 on POSIX, whatever the umask; on Windows the per-machine folder's ACL does it).

``write_file_atomic`` is the one way to write a file: a temp file beside the target,
fsync, then into place, so a crash leaves the old file or the new one, never half of one.
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

# A temp file this old belongs to a write that died: live writes take milliseconds.
STALE_TEMP_SECONDS = 60.0
PRIVATE_MODE = 0o600
# Fills a (private, empty) temp file at the given path: a PDF printer, a CSV writer.
Fill = Callable[[Path], None]


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


def _make_private(fd: int) -> None:
    if os.name != "nt":
        os.fchmod(fd, PRIVATE_MODE)  # an existing file, or a umask that kept group bits


def create_private(path: Path) -> None:
    """Create ``path`` empty and owner-only if it does not exist (SQLite then keeps the
    mode, and gives its -wal and -shm files the same)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:
        return
    try:
        _make_private(fd)
    finally:
        os.close(fd)


def make_private(*paths: Path) -> None:
    """Take group and world access away from files this account owns (files an older
    PharmDesk created with the umask). Missing files and others' files are left alone."""
    if os.name == "nt":
        return
    for path in paths:
        with contextlib.suppress(OSError):
            info = path.stat()
            if info.st_mode & 0o077 and info.st_uid == os.getuid():
                os.chmod(path, info.st_mode & 0o700 | PRIVATE_MODE)


@contextlib.contextmanager
def open_private(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened for writing bytes (truncated), owner-only whatever the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, PRIVATE_MODE)
    try:
        _make_private(fd)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "wb") as handle:
        yield handle


def _place(tmp: Path, path: Path, replace: bool) -> None:
    if replace:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic, and refuses to overwrite
    except FileExistsError:
        raise
    except OSError:
        # Some drives (FAT USB sticks) have no hard links.
        if path.exists():
            raise FileExistsError(str(path)) from None
        os.replace(tmp, path)


def write_file_atomic(path: Path, data: bytes | Fill, *, replace: bool = True) -> None:
    """Write ``data`` (bytes, or a function that fills a temp file given its path) to a
    private temp file beside ``path``, fsync, then put it in place and fsync the folder.

    Without ``replace`` an existing file is never touched (``FileExistsError``), even
    one that appeared a moment ago.
    """
    remove_stale_temps(path)
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            _make_private(handle.fileno())
            if isinstance(data, bytes):
                handle.write(data)
        if not isinstance(data, bytes):
            data(tmp)  # fills the private temp file in place
        with tmp.open("rb+") as handle:
            _make_private(handle.fileno())  # whatever the filler did to the file
            os.fsync(handle.fileno())
        _place(tmp, path, replace)
        fsync_dir(path.parent)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_json_atomic(path: Path, value: Any) -> None:
    write_file_atomic(path, json.dumps(value, indent=1, sort_keys=True).encode("utf-8"))


def read_json(path: Path) -> Any:
    with path.open("rb") as handle:
        return json.loads(handle.read().decode("utf-8"))
