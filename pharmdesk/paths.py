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

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

APP_NAME = "PharmDesk"
DB_FILENAME = "pharmdesk.db"
DEMO_FILENAME = "pharmdesk-demo.db"
SERVER_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


@dataclass(frozen=True)
class DatabaseFiles:
    """The database file and everything PharmDesk keeps beside it.

    In branch server mode ``server`` is the PostgreSQL URL and ``db`` a name in this
    desk's own folder for that server (``server_files``): the side files live there, the
    data on the server.
    """

    db: Path
    server: str | None = None

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

    @property
    def where(self) -> str:
        """What to tell a person: the file, or the server and database (no password)."""
        return str(self.db) if self.server is None else server_where(self.server)


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


def is_server_url(value: str | None) -> bool:
    """Whether ``--db`` names a branch server (a ``postgresql://`` URL) rather than a file."""
    if not value:
        return False
    scheme, sep, _rest = value.partition("://")
    return bool(sep) and scheme.lower() in SERVER_SCHEMES


def _server_parts(url: str) -> tuple[str, str, str]:
    """Host, port and database of a server URL (libpq's ``host=``/``port=`` too)."""
    parts = urlsplit(url)
    query = dict(pair.partition("=")[::2] for pair in parts.query.split("&") if pair)
    host = parts.hostname or query.get("host") or "localhost"
    port = str(parts.port or query.get("port") or 5432)
    return host, port, parts.path.lstrip("/")


def server_where(url: str) -> str:
    host, port, database = _server_parts(url)
    return f"{host}:{port}/{database}"


def server_files(url: str, base: Path | None = None) -> DatabaseFiles:
    """A server database's files at this desk: a folder per server and database, named
    readably (host, port, database) plus a short digest of the whole URL."""
    host, port, database = _server_parts(url)
    name = f"{host}-{port}-{database}"
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-60:].strip("_.")
    digest = hashlib.sha256(url.encode()).hexdigest()[:10]
    folder = (base or user_data_dir()) / "servers" / f"{readable}-{digest}"
    return DatabaseFiles(folder / DB_FILENAME, server=url)


def resolve_db_files(cli_value: str | None) -> DatabaseFiles:
    """``--db`` first, then ``PHARMDESK_DB``, then the default file: a file or a server."""
    value = cli_value or os.environ.get("PHARMDESK_DB")
    if is_server_url(value):
        assert value is not None
        return server_files(value)
    return DatabaseFiles(resolve_db_path(cli_value).absolute())


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
