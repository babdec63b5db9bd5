"""Where the database and its sidecar files live.

The default database sits in a machine-wide folder shared by every OS account of the PC
(front-desk PCs are shared), falling back to the user's own data folder where the
machine-wide one is not writable. ``--db`` and ``PHARMDESK_DB`` override it. The machine-wide
folder is platformdirs' site data folder: ``C:\\ProgramData\\PharmDesk`` on Windows (made by the
installer, for Administrators and the "PharmDesk Users" group), ``/usr/local/share/PharmDesk``
on Linux. Paths are ``pathlib.Path`` throughout, so spaces and non-ASCII letters in a
folder or user name need nothing special.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "PharmDesk"
DB_FILENAME = "pharmdesk.db"
DEMO_FILENAME = "pharmdesk-demo.db"


@dataclass(frozen=True)
class DatabaseFiles:
    """The database file and everything PharmDesk keeps beside it."""

    db: Path

    @property
    def vault(self) -> Path:
        return self.db.with_name(self.db.name + ".vault")

    @property
    def checkpoint(self) -> Path:
        return self.db.with_name(self.db.name + ".checkpoint")

    @property
    def attempts(self) -> Path:
        return self.db.with_name(self.db.name + ".attempts")

    @property
    def wal(self) -> Path:
        return self.db.with_name(self.db.name + "-wal")

    @property
    def shm(self) -> Path:
        return self.db.with_name(self.db.name + "-shm")

    def lock_files(self) -> list[Path]:
        """The empty files that coordinate processes over the attempts and the key file."""
        return [p.with_name(p.name + ".lock") for p in (self.attempts, self.vault)]

    def all_files(self) -> list[Path]:
        return [self.db, self.wal, self.shm, self.vault, self.checkpoint, self.attempts]

    def exists(self) -> bool:
        return self.db.exists() or self.vault.exists()


def _writable_dir(folder: Path, os_name: str = os.name) -> bool:
    probe = folder
    while not _exists(probe):
        if probe.parent == probe:
            return False
        probe = probe.parent
    if os_name == "nt":
        # Windows' os.access looks only at the read-only flag, not at the folder's
        # permissions (C:\ProgramData\PharmDesk allows the "PharmDesk Users" group only).
        return _can_create_file(probe)
    return os.access(probe, os.W_OK)


def _can_create_file(folder: Path) -> bool:
    """Whether this account can create (and delete) a file in ``folder``."""
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".pharmdesk-probe-"):
            return True
    except OSError:
        return False


def _exists(path: Path) -> bool:
    """``path.exists()``, but a path the account may not even look at counts as absent
    (Windows raises PermissionError there instead of answering)."""
    try:
        return path.exists()
    except OSError:
        return False


def machine_data_dir() -> Path:
    return Path(platformdirs.site_data_dir(APP_NAME, appauthor=False))


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    shared = machine_data_dir() / DB_FILENAME
    if _exists(shared) or _writable_dir(shared.parent):
        return shared
    return user_data_dir() / DB_FILENAME


def resolve_db_path(cli_value: str | None) -> Path:
    """``--db`` first, then ``PHARMDESK_DB``, then the default location."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("PHARMDESK_DB")
    if env:
        return Path(env).expanduser()
    return default_db_path()


def demo_db_path() -> Path:
    return user_data_dir() / DEMO_FILENAME
