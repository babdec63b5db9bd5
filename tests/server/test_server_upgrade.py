"""Upgrades with several desks on one branch server: the schema is checked at every
sign-in, the first newer desk backs the server up (verified) and then upgrades under the
migration lock, a second one waits and finds it done, and an older desk refuses with
"update this PC"."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text

from pharmdesk.controllers import backups
from pharmdesk.controllers.session import sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import migrate, upgrade
from pharmdesk.store.backup import pgtools
from pharmdesk.store.schema import AuditEntry
from pharmdesk.store.server import open_server_engine
from tests import pg_server
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF, FixedClock


def _previous() -> str:
    known = migrate.chain()
    return known[known.index(migrate.SCHEMA_HEAD) - 1]


@pytest.fixture
def store() -> str:
    return "postgresql"


def _downgrade(engine: Engine, revision: str) -> None:
    config = migrate._config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def _waiting_for_migration_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND NOT granted AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                )
            ).scalar()
        )


def test_two_new_desks_upgrade_the_server_once(
    db_files: DatabaseFiles, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert db_files.server is not None
    url = db_files.server
    desk_a, desk_b, watcher = (open_server_engine(url) for _ in range(3))
    try:
        _downgrade(desk_a, _previous())
        assert migrate.needs_upgrade(desk_a) and migrate.needs_upgrade(desk_b)

        runs: list[str] = []
        inside, release = threading.Event(), threading.Event()
        real_run = migrate.run_chain

        def paused_run(engine: Engine) -> None:
            runs.append("run")
            inside.set()
            assert release.wait(30)
            real_run(engine)

        monkeypatch.setattr(migrate, "run_chain", paused_run)
        outcomes: dict[str, Any] = {}

        def upgrade_desk(name: str, engine: Engine) -> None:
            try:
                outcomes[name] = upgrade.upgrade(engine, db_files)
            except BaseException as exc:  # reported below
                outcomes[name] = exc

        caplog.set_level(logging.WARNING, logger=migrate.__name__)
        first = threading.Thread(target=upgrade_desk, args=("a", desk_a))
        first.start()
        assert inside.wait(30)
        second = threading.Thread(target=upgrade_desk, args=("b", desk_b))
        second.start()
        deadline = time.monotonic() + 20
        while not _waiting_for_migration_lock(watcher):
            assert time.monotonic() < deadline, "the second desk did not wait for the lock"
            time.sleep(0.05)
        assert second.is_alive()
        release.set()
        first.join(60)
        second.join(60)
        assert outcomes == {"a": upgrade.UPGRADED, "b": upgrade.UPGRADED_ELSEWHERE}
        assert runs == ["run"]  # the chain ran once
        assert migrate.current_revision(watcher) == migrate.SCHEMA_HEAD
        said = [record.getMessage() for record in caplog.records]
        assert upgrade.WAITING in said and upgrade.DONE_ELSEWHERE in said
        # One verified backup, made before the chain ran, by the desk that upgraded.
        (copy,) = db_files.db.parent.glob(f"*before-upgrade-from-schema-{_previous()}-*.pdbak")
        assert any(f"after a verified backup of it: {copy}" in line for line in said)
        assert not _waiting_for_migration_lock(watcher)
    finally:
        for engine in (desk_a, desk_b, watcher):
            engine.dispose()


def test_a_newer_desk_backs_up_then_upgrades_the_server_at_sign_in(
    db_files: DatabaseFiles, pg: pg_server.PgServer
) -> None:
    assert db_files.server is not None
    engine = open_server_engine(db_files.server)
    try:
        _downgrade(engine, _previous())
        before = _audit_count(engine)
        desk = sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
        try:
            assert desk.call("verifyAuditLog", {})["ok"] is True
        finally:
            desk.close()
        assert migrate.current_revision(engine) == migrate.SCHEMA_HEAD
    finally:
        engine.dispose()
    # The backup holds the server as it was before the upgrade, and opens and verifies.
    (copy,) = db_files.db.parent.glob("*.before-upgrade-from-schema-*.pdbak")
    report = backups.check_server_backup(copy, pg.url("postgres"), ADMIN, ADMIN_PASSWORD)
    assert report["schemaRevision"] == _previous()
    assert report["auditEntries"] == before


def test_no_server_upgrade_without_a_verified_backup(
    db_files: DatabaseFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert db_files.server is not None
    engine = open_server_engine(db_files.server)
    try:
        _downgrade(engine, _previous())
        entries = _audit_count(engine)
        monkeypatch.setattr(pgtools, "_candidates", lambda _tool, _major: iter(()))
        with pytest.raises(PharmDeskError) as refused:
            sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
        assert "first makes a verified backup of it, which failed" in refused.value.message
        assert "pg_dump" in refused.value.message
        assert migrate.current_revision(engine) == _previous()
        assert _audit_count(engine) == entries
        assert not list(db_files.db.parent.glob("*.pdbak"))
        # A bare connection (no desk's files) never upgrades an existing schema.
        with pytest.raises(PharmDeskError) as bare:
            upgrade.upgrade(engine)
        assert bare.value.message == upgrade.SERVER_UPGRADE_NEEDS_DESK
        assert migrate.current_revision(engine) == _previous()
    finally:
        engine.dispose()


def test_an_older_desk_refuses_with_update_this_pc(
    db_files: DatabaseFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert db_files.server is not None
    engine = open_server_engine(db_files.server)
    try:
        entries = _audit_count(engine)
        monkeypatch.setattr(migrate, "SCHEMA_HEAD", _previous())  # this desk's code is older
        with pytest.raises(PharmDeskError) as refused:
            sign_in(db_files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
        assert refused.value.code == "DATABASE_ERROR"
        assert "Update this PC" in refused.value.message
        assert "Nothing was changed" in refused.value.message
        monkeypatch.undo()
        assert migrate.current_revision(engine) == migrate.SCHEMA_HEAD
        assert _audit_count(engine) == entries  # no sign-in was recorded
    finally:
        engine.dispose()
