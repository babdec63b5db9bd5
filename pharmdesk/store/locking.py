"""The one cross-process lock for the files kept beside the database.

The keyslot file and the sign-in counters are read, changed and written back by whichever
PharmDesk process needs them (the window, a command, a scheduled backup), so each change
happens under a lock on ``NAME.lock`` beside the file. ``filelock`` picks the operating
system's own lock: ``LockFileEx`` on Windows (what ``msvcrt.locking`` wraps), ``fcntl.flock``
on Linux and macOS. Both are dropped by the system when a process dies, so a crash never
leaves a stale lock behind. This module adds the lock file's name, how long to wait, and
messages a person can act on when the lock cannot be had.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from filelock import BaseFileLock, FileLock, Timeout, UnixFileLock, WindowsFileLock

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError

WAIT_SECONDS = 30.0


def lock_path(path: Path) -> Path:
    """The lock file of ``path``: ``pharmdesk.db.vault`` -> ``pharmdesk.db.vault.lock``."""
    return path.with_name(path.name + ".lock")


def native_lock_class(os_name: str = os.name) -> type[BaseFileLock]:
    """The system's lock for ``os_name`` (``os.name``): Windows' or POSIX's."""
    return WindowsFileLock if os_name == "nt" else UnixFileLock


class SideFileLock:
    """``with SideFileLock(path): ...`` holds the lock of ``path`` across processes.

    Re-entrant within a thread. Raises PharmDeskError (DATABASE_ERROR) when another
    process holds it for longer than ``wait`` seconds or when the folder refuses the
    lock file (an account without rights to the data folder).
    """

    def __init__(self, path: Path, wait: float = WAIT_SECONDS) -> None:
        self.path = lock_path(path)
        self._lock: BaseFileLock = FileLock(str(self.path), timeout=wait, mode=0o600)

    def __enter__(self) -> SideFileLock:
        try:
            self._lock.acquire()
        except Timeout:
            raise PharmDeskError(
                DATABASE_ERROR,
                "Another PharmDesk window or command on this PC is changing the sign-in "
                "files and has not finished. Wait a moment and try again; if it keeps "
                "happening, close PharmDesk everywhere on this PC and restart it.",
            ) from None
        except OSError:
            raise PharmDeskError(
                DATABASE_ERROR,
                f"PharmDesk cannot write in {self.path.parent}. Your account needs the right "
                "to change files there (on Windows: membership of the 'PharmDesk Users' "
                "group); ask your IT person.",
            ) from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()
