"""Shared fixtures: a fresh encrypted database per test, signed-in sessions, a still clock.

Tests run headless (Qt offscreen) in the branch's time zone (Lagos).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["TZ"] = "Africa/Lagos"
if hasattr(time, "tzset"):
    time.tzset()

import pytest
from sqlalchemy.orm import Session

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.session import DeskSession, create_database, sign_in
from pharmdesk.paths import APP_NAME, DatabaseFiles, server_files
from pharmdesk.store.vault import KdfParams
from tests import pg_server


@contextmanager
def inspection(desk: DeskSession) -> Iterator[Session]:
    """A transaction on a desk's database as the tests' own inspector sees it: on a file
    the desk's (it holds the whole key); on a branch server the owner's login, since a
    staff login may not read the audit log nor change anything behind PharmDesk."""
    if desk.files.server is None:
        with desk.db.transaction() as tx:
            yield tx
        return
    from pharmdesk.store.server import make_server_engine

    engine = make_server_engine(desk.files.server)
    try:
        with Session(engine, expire_on_commit=False) as tx, tx.begin():
            yield tx
    finally:
        engine.dispose()


ADMIN = "admin"
ADMIN_PASSWORD = "correct horse staple battery 42"
# Key slots store their own Argon2id cost. The shared test database uses a cheap one so
# that hundreds of sign-ins stay fast; tests/unit/test_vault.py checks the real defaults.
TEST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
DESK_DATA = "db"


@pytest.fixture(autouse=True)
def short_rekey_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rekey waits for other processes to close the database (15 s in the product);
    tests that keep a second session open get their "pending" answer quickly."""
    from pharmdesk.controllers import revocation

    monkeypatch.setattr(revocation, "REKEY_WAIT", 0.3)


@pytest.fixture(scope="session")
def pg() -> Iterator[pg_server.PgServer]:
    """A PostgreSQL server for this test run (started once, stopped at the end).

    Skipped only when PostgreSQL is not installed and the run does not require it
    (CI sets PHARMDESK_REQUIRE_PG=1); a server that is installed but fails to start is
    always an error.
    """
    try:
        server = pg_server.start_server()
    except pg_server.ServerUnavailable as exc:
        if pg_server.required():
            pytest.fail(f"{exc} ({pg_server.REQUIRE_ENV} is set)", pytrace=False)
        pytest.skip(str(exc))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    pg_server.stop_server(server)


def _first_database(files: DatabaseFiles) -> DatabaseFiles:
    """The branch every test starts from: its first admin and nothing else."""
    create_database(
        files,
        admin=ADMIN,
        full_name="Ada Admin",
        password=ADMIN_PASSWORD,
        branch_name="Lekki Branch",
        clock=FixedClock(),
        kdf=TEST_KDF,
    )
    return files


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> DatabaseFiles:
    """One freshly initialised database; each test gets its own copy of it."""
    folder = tmp_path_factory.mktemp("template")
    files = DatabaseFiles(folder / "pharmdesk.db")
    return _first_database(files)


@pytest.fixture(scope="session")
def pg_template(pg: pg_server.PgServer, tmp_path_factory: pytest.TempPathFactory) -> DatabaseFiles:
    """The same first database on the test server: a migrated template database (each
    test's database is made from it) and its side files at this desk."""
    pg_server.create_database(pg, pg_server.TEMPLATE)
    folder = tmp_path_factory.mktemp("pg-template")
    files = DatabaseFiles(folder / "pharmdesk.db", server=pg.url(pg_server.TEMPLATE))
    return _first_database(files)


@pytest.fixture(scope="session")
def pg_databases(
    pg: pg_server.PgServer, pg_template: DatabaseFiles
) -> Iterator[pg_server.DatabaseSupply]:
    """Fresh copies of the template database, made ahead while tests run."""
    supply = pg_server.DatabaseSupply(pg)
    yield supply
    supply.close()


@pytest.fixture
def store() -> str:
    """Which store the database fixtures make: single-PC SQLCipher unless a folder's
    conftest runs its tests on both ("sqlcipher", "postgresql")."""
    return "sqlcipher"


def _copy_side_files(source: DatabaseFiles, target: DatabaseFiles) -> None:
    target.db.parent.mkdir(parents=True)
    for src, dest in zip(source.all_files(), target.all_files(), strict=True):
        if src.exists():
            shutil.copy2(src, dest)


@pytest.fixture
def db_files(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseFiles]:
    if store == "sqlcipher":
        template: DatabaseFiles = request.getfixturevalue("template_db")
        target = DatabaseFiles(tmp_path / "db" / "pharmdesk.db")
        _copy_side_files(template, target)
        yield target
        return
    pg: pg_server.PgServer = request.getfixturevalue("pg")
    pg_template: DatabaseFiles = request.getfixturevalue("pg_template")
    databases: pg_server.DatabaseSupply = request.getfixturevalue("pg_databases")
    name = databases.take()
    # Where the command line looks for this server's side files when XDG_DATA_HOME is
    # DESK_DATA under the test's folder (tests/cli).
    target = server_files(pg.url(name), base=tmp_path / DESK_DATA / APP_NAME)
    _copy_side_files(pg_template, target)
    yield target
    databases.give_back(name)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def no_sleep() -> list[float]:
    """Collects the sign-in failure delays instead of sleeping them."""
    return []


@pytest.fixture
def login(
    db_files: DatabaseFiles, clock: FixedClock, no_sleep: list[float]
) -> Iterator[Callable[[str, str], DeskSession]]:
    opened: list[DeskSession] = []

    def _login(username: str = ADMIN, password: str = ADMIN_PASSWORD) -> DeskSession:
        desk = sign_in(
            db_files, username, password, clock=clock, sleep=no_sleep.append, kdf=TEST_KDF
        )
        opened.append(desk)
        return desk

    yield _login
    for desk in opened:
        desk.close()


@pytest.fixture
def admin(login: Callable[..., DeskSession]) -> DeskSession:
    return login()


@pytest.fixture
def make_staff(
    admin: DeskSession, login: Callable[..., DeskSession]
) -> Callable[[str, str], DeskSession]:
    """Create a staff member with the given role and return their signed-in session."""

    def _make(username: str, role: str) -> DeskSession:
        password = f"{username} likes long walks 2026"
        admin.call(
            "addStaff",
            {
                "username": username,
                "fullName": username.title(),
                "role": role,
                "password": password,
            },
        )
        return login(username, password)

    return _make


@pytest.fixture
def frontdesk(make_staff: Callable[[str, str], DeskSession]) -> DeskSession:
    return make_staff("femi", "frontdesk")


@pytest.fixture
def pharmacist(make_staff: Callable[[str, str], DeskSession]) -> DeskSession:
    return make_staff("ngozi", "pharmacist")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``single_pc`` (about the SQLCipher file itself) runs on the file only,
    in whichever folder runs its tests on both stores."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_server = callspec is not None and callspec.params.get("store") == "postgresql"
        if on_server and item.get_closest_marker("single_pc") is not None:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
