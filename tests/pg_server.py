"""A throwaway PostgreSQL server for the tests: Debian's PostgreSQL 15 in a temp folder.

The server runs on a free local port with its unix socket in the same temp folder, as an
unprivileged OS user (``initdb`` refuses root; as root the tools run through ``runuser``
as ``pharmdesk-ci``). Fast rather than durable: no fsync, no synchronous commit. Each test
gets its own database, copied from a migrated template (``CREATE DATABASE ... TEMPLATE``).

``PHARMDESK_REQUIRE_PG=1`` (set by CI) turns "PostgreSQL is not installed" from a skip
into an error, so a CI run can never pass without the server tests.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import pwd
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import LiteralString, cast

from sqlalchemy.pool import NullPool

CI_USER = "pharmdesk-ci"
SUPERUSER = "pharmdesk_owner"
REQUIRE_ENV = "PHARMDESK_REQUIRE_PG"
BIN_ENV = "PHARMDESK_PG_BIN"
EXTENSIONS = ("pg_trgm", "pgcrypto")
TEMPLATE = "pharmdesk_template"


class ServerUnavailable(RuntimeError):
    """PostgreSQL's programs are not on this machine (a skip, unless CI requires them)."""


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def find_bin() -> Path:
    """The folder with initdb and pg_ctl: PHARMDESK_PG_BIN, else Debian's newest."""
    configured = os.environ.get(BIN_ENV)
    candidates = [configured] if configured else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    raise ServerUnavailable(
        "PostgreSQL's server programs (initdb, pg_ctl) are not installed; install the "
        "'postgresql' package (Debian) to run the server-mode tests."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_ci_user() -> None:
    """As root, the server runs as CI_USER; create it (no home, no shell) when missing."""
    try:
        pwd.getpwnam(CI_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", CI_USER],
            check=True,
            capture_output=True,
        )


@dataclass
class PgServer:
    """A running server; ``url(db)`` is the SQLAlchemy URL of one of its databases."""

    bindir: Path
    folder: Path
    port: int
    as_user: str | None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "server.log"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def sockets(self) -> Path:
        return self.folder / "sockets"

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self.as_user is not None:
            command = ["runuser", "-u", self.as_user, "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=120, cwd=self.folder
        )

    def url(self, database: str = "postgres", *, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@/{database}?host={self.sockets}&port={self.port}"

    def start(self) -> None:
        self.sockets.mkdir()
        if self.as_user is not None:
            entry = pwd.getpwnam(self.as_user)
            for path in (self.folder, self.sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        done = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        # The socket trusts the owner only (the tests' own connections); staff logins
        # sign in with their SCRAM passwords there too, as at a desk on the LAN.
        (self.data / "pg_hba.conf").write_text(
            f"local all {SUPERUSER} trust\n"
            "local all all scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
            "host all all ::1/128 scram-sha-256\n"
        )
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.sockets}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
                "-c shared_buffers=64MB",
            ]
        )
        done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                         "-t", "60", "start")  # fmt: skip
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{log}")

    def stop(self) -> None:
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        # pg_ctl may give up on a busy machine: the immediate shutdown by its signal.
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGQUIT)
            for _ in range(100):
                os.kill(pid, 0)  # raises once the server is gone
                time.sleep(0.1)


def start_server() -> PgServer:
    """Start a server in a new temp folder; raises ServerUnavailable or RuntimeError."""
    bindir = find_bin()
    as_user = None
    if os.geteuid() == 0:
        ensure_ci_user()
        as_user = CI_USER
    last: Exception | None = None
    for _attempt in range(3):  # another process may take the free port first
        folder = Path(tempfile.mkdtemp(prefix="pharmdesk-pg-"))
        folder.chmod(0o755)
        server = PgServer(bindir, folder, free_port(), as_user)
        try:
            server.start()
        except RuntimeError as exc:
            last = exc
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)
            time.sleep(0.2)
            continue
        # Also when the test run ends without its fixtures' teardown (an interrupt).
        atexit.register(stop_server, server)
        return server
    raise RuntimeError(f"PostgreSQL could not be started: {last}")


def stop_server(server: PgServer) -> None:
    with contextlib.suppress(Exception):
        server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)


_numbers = itertools.count(1)


def _admin(server: PgServer, sql: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE), as the superuser."""
    import psycopg

    with psycopg.connect(
        host=str(server.sockets), port=server.port, user=SUPERUSER, dbname="postgres",
        autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(cast(LiteralString, sql))  # test-made statements, no user text


def create_database(server: PgServer, name: str) -> None:
    _admin(server, f'CREATE DATABASE "{name}"')


def copy_template(server: PgServer) -> str:
    """A new database copied from the migrated template, with its own group roles,
    GRANTs and audit functions (they are named from the database: a copy has the
    template's, which name the template's roles); its name."""
    name = f"pharmdesk_test_{os.getpid()}_{next(_numbers)}"
    _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}" STRATEGY FILE_COPY')
    apply_privileges(server, name)
    return name


def apply_privileges(server: PgServer, name: str) -> None:
    from sqlalchemy import create_engine, text

    from pharmdesk.store import pg_roles
    from pharmdesk.store import server as server_store

    engine = create_engine(server_store.sqlalchemy_url(server.url(name)), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            pg_roles.apply_privileges(conn)
            # Each person's login role, with the password they have in the template (a
            # SCRAM verifier does not depend on the role's name).
            for username in conn.execute(text("SELECT username FROM staff")).scalars():
                verifier = conn.execute(
                    text("SELECT rolpassword FROM pg_authid WHERE rolname = :role"),
                    {"role": pg_roles.login_role(TEMPLATE, str(username))},
                ).scalar()
                conn.execute(
                    text("SELECT pharmdesk_staff_login(:username, :verifier)"),
                    {"username": username, "verifier": verifier},
                )
    finally:
        engine.dispose()


def drop_database(server: PgServer, name: str) -> None:
    """Drop a test database and the roles named from it (roles are the server's, not
    the database's: they would outlive it)."""
    import psycopg

    from pharmdesk.store.pg_roles import role_prefixes

    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with psycopg.connect(
        host=str(server.sockets), port=server.port, user=SUPERUSER, dbname="postgres",
        autocommit=True,
    ) as conn:  # fmt: skip
        for prefix in role_prefixes(name):
            roles = conn.execute(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (prefix,)
            ).fetchall()
            for (role,) in roles:
                conn.execute(cast(LiteralString, f'DROP ROLE IF EXISTS "{role}"'))


class DatabaseSupply:
    """Per-test databases made and dropped by a worker thread, while tests run: a test
    takes one that is ready (copied from the template) and hands it back to be dropped.

    The copy (a checkpoint and a file copy, ~50 ms) and the drop then cost the tests
    nothing on a machine with a second core.
    """

    AHEAD = 2

    def __init__(self, server: PgServer) -> None:
        self.server = server
        self.ready: queue.Queue[str | BaseException] = queue.Queue()
        self.tasks: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.worker = threading.Thread(target=self._work, name="pg-databases", daemon=True)
        self.worker.start()
        for _ in range(self.AHEAD):
            self.tasks.put(("make", ""))

    def _work(self) -> None:
        while (task := self.tasks.get()) is not None:
            action, name = task
            try:
                if action == "make":
                    self.ready.put(copy_template(self.server))
                else:
                    drop_database(self.server, name)
            except BaseException as exc:  # handed to the test that waits for a database
                if action == "make":
                    self.ready.put(exc)

    def take(self) -> str:
        self.tasks.put(("make", ""))
        got = self.ready.get(timeout=120)
        if isinstance(got, BaseException):
            raise RuntimeError(f"a test database could not be made: {got}")
        return got

    def give_back(self, name: str) -> None:
        self.tasks.put(("drop", name))

    def close(self) -> None:
        self.tasks.put(None)
        self.worker.join(timeout=60)
