"""The store on a branch server: URLs, the schema on PostgreSQL, setup refusals."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import create_database, sign_in
from pharmdesk.errors import (
    AUTH_FAILED,
    DATABASE_ERROR,
    VALIDATION_ERROR,
    PharmDeskError,
)
from pharmdesk.paths import DatabaseFiles, is_server_url, resolve_db_files, server_files
from pharmdesk.store import migrate, server
from tests import pg_server
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF


def test_db_names_a_server_by_its_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert is_server_url("postgresql://desk@10.0.0.5:5432/lekki")
    assert is_server_url("postgres://10.0.0.5/lekki?sslmode=require")
    assert not is_server_url(str(tmp_path / "pharmdesk.db"))
    assert not is_server_url("C:\\PharmDesk\\pharmdesk.db")
    monkeypatch.setenv("PHARMDESK_DB", "postgresql://10.0.0.5/lekki")
    files = resolve_db_files(None)
    assert files.server == "postgresql://10.0.0.5/lekki"
    assert files.db.parent.name.startswith("10.0.0.5-5432-lekki-")
    assert resolve_db_files(str(tmp_path / "x.db")) == DatabaseFiles(tmp_path / "x.db")


def test_each_server_database_has_its_own_folder_at_the_desk(tmp_path: Path) -> None:
    one = server_files("postgresql://10.0.0.5/lekki", tmp_path)
    other = server_files("postgresql://10.0.0.5/ikeja", tmp_path)
    assert one.db.parent != other.db.parent
    assert server.describe("postgresql://ada:secret@10.0.0.5:5433/lekki") == "10.0.0.5:5433/lekki"


def _new_files(pg: pg_server.PgServer, tmp_path: Path, name: str) -> DatabaseFiles:
    pg_server.create_database(pg, name)
    return DatabaseFiles(tmp_path / name / "pharmdesk.db", server=pg.url(name))


def _create(files: DatabaseFiles) -> str:
    return create_database(
        files,
        admin=ADMIN,
        full_name="Ada Admin",
        password=ADMIN_PASSWORD,
        clock=FixedClock(),
        kdf=TEST_KDF,
    )


def test_the_one_migration_chain_builds_the_schema_with_trigram_indexes(
    pg: pg_server.PgServer, tmp_path: Path
) -> None:
    files = _new_files(pg, tmp_path, "chain")
    _create(files)
    engine = create_engine(server.sqlalchemy_url(pg.url("chain")))
    try:
        assert migrate.current_revision(engine) == migrate.SCHEMA_HEAD
        with engine.begin() as conn:
            indexes = dict(
                conn.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'customer'")
                ).all()
            )
            assert "gin_trgm_ops" in indexes["ix_customer_name_trgm"]
            assert "gin_trgm_ops" in indexes["ix_customer_phone_trgm"]
            conn.execute(
                text(
                    "INSERT INTO customer (name, name_key, phone, phone_search, "
                    "allergy_status, language, marketing_consent, archived, version, "
                    "total_orders, total_spent, active_plans, created_at, updated_at) "
                    "SELECT 'C ' || n, 'customer ' || md5(n::text), '+234' || n, "
                    "'234' || n, 'unknown', 'en', false, false, 1, 0, 0, 0, now(), now() "
                    "FROM generate_series(1, 20000) AS n"
                )
            )
            conn.execute(text("ANALYZE customer"))
            # The planner picks by cost; what matters is that the index can answer.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(
                conn.execute(
                    text(
                        "EXPLAIN SELECT id FROM customer "
                        "WHERE name_key LIKE '%okek%' OR phone_search LIKE '%8031%'"
                    )
                ).scalars()
            )
            assert "ix_customer_name_trgm" in plan
            assert "ix_customer_phone_trgm" in plan
    finally:
        engine.dispose()


def test_setup_refuses_a_database_that_already_holds_the_schema(
    pg: pg_server.PgServer, tmp_path: Path
) -> None:
    files = _new_files(pg, tmp_path, "twice")
    _create(files)
    again = DatabaseFiles(tmp_path / "other-desk" / "pharmdesk.db", server=files.server)
    with pytest.raises(PharmDeskError) as refused:
        _create(again)
    assert refused.value.code == VALIDATION_ERROR
    assert "already holds" in refused.value.message
    assert not again.vault.exists()


def test_setup_refuses_a_database_sorting_by_language_rules(
    pg: pg_server.PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _new_files(pg, tmp_path, "sorting")
    monkeypatch.setattr(server, "BYTE_ORDER_COLLATIONS", ("posix",))
    with pytest.raises(PharmDeskError) as refused:
        _create(files)
    assert refused.value.code == DATABASE_ERROR
    assert "LC_COLLATE" in refused.value.message
    engine = create_engine(server.sqlalchemy_url(pg.url("sorting")))
    try:
        assert migrate.current_revision(engine) is None
    finally:
        engine.dispose()


def test_an_unreachable_server_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    port = pg_server.free_port()
    url = f"postgresql://ada:hunter2-secret@127.0.0.1:{port}/lekki?connect_timeout=2"
    files = DatabaseFiles(tmp_path / "d" / "pharmdesk.db", server=url)
    with pytest.raises(PharmDeskError) as refused:
        _create(files)
    assert refused.value.code == DATABASE_ERROR
    assert f"127.0.0.1:{port}/lekki" in refused.value.message
    assert "hunter2" not in refused.value.message
    assert not files.vault.exists()


def test_a_desk_with_the_url_only_signs_the_first_admin_in_as_their_own_login(
    pg: pg_server.PgServer, tmp_path: Path
) -> None:
    """init makes the first admin's login role with their password: any desk that knows
    the server's URL signs them in, without key slots (tests/server/test_pg_signin)."""
    files = _new_files(pg, tmp_path, "keys")
    _create(files)
    elsewhere = DatabaseFiles(tmp_path / "new-desk" / "pharmdesk.db", server=files.server)
    desk = sign_in(elsewhere, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        assert desk.own_server_login and desk.staff.role == "admin"
        assert not elsewhere.vault.exists()
    finally:
        desk.close()
    with pytest.raises(PharmDeskError) as refused:
        sign_in(elsewhere, ADMIN, "not the admin's password 1", clock=FixedClock(), kdf=TEST_KDF)
    assert refused.value.code == AUTH_FAILED


def test_setup_creates_a_missing_database_sorting_byte_by_byte(
    pg: pg_server.PgServer, tmp_path: Path
) -> None:
    files = DatabaseFiles(tmp_path / "new" / "pharmdesk.db", server=pg.url("Lekki Branch"))
    _create(files)
    engine = create_engine(server.sqlalchemy_url(pg.url("Lekki Branch")))
    try:
        assert migrate.current_revision(engine) == migrate.SCHEMA_HEAD
        with engine.connect() as conn:
            collate = conn.execute(
                text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            ).scalar_one()
        assert collate == "C"
    finally:
        engine.dispose()
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        assert desk.call("fetchCustomers", {})["total"] == 0
    finally:
        desk.close()


def test_opening_does_not_wait_for_a_desk_in_the_middle_of_a_transaction(
    pg: pg_server.PgServer, tmp_path: Path
) -> None:
    """Connecting checks that the server answers, without a transaction: a desk holding
    the desks' transaction lock (a long import, say) must not make another desk's
    sign-in wait out the lock timeout and then say the server could not be reached."""
    files = _new_files(pg, tmp_path, "busydesk")
    _create(files)
    assert files.server is not None
    busy = server.make_server_engine(files.server)
    try:
        with busy.begin() as held:  # takes the lock until the block ends
            held.execute(text("SELECT 1"))
            began = time.monotonic()
            engine = server.open_server_engine(files.server)
            engine.dispose()
            assert time.monotonic() - began < 5
    finally:
        busy.dispose()
