"""The test server itself: it runs unprivileged, on its own port and socket folder."""

from __future__ import annotations

import os
import stat

import psycopg
import pytest
from sqlalchemy import create_engine, text

from tests import pg_server


def test_server_answers_through_sqlalchemy_with_the_contrib_extensions(
    pg: pg_server.PgServer,
) -> None:
    engine = create_engine(pg.url().replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW server_version_num")).scalar_one() >= "150000"
            available = set(
                conn.execute(text("SELECT name FROM pg_available_extensions")).scalars()
            )
            assert set(pg_server.EXTENSIONS) <= available
            assert conn.execute(text("SELECT current_user")).scalar_one() == pg_server.SUPERUSER
    finally:
        engine.dispose()


def test_server_runs_as_an_unprivileged_user_in_its_own_folder(pg: pg_server.PgServer) -> None:
    owner = os.stat(pg.data).st_uid
    assert owner != 0
    if os.geteuid() == 0:
        assert pg.as_user == pg_server.CI_USER
    assert stat.S_ISSOCK(os.stat(pg.sockets / f".s.PGSQL.{pg.port}").st_mode)


def test_tcp_logins_need_a_password(pg: pg_server.PgServer) -> None:
    """Only the socket in the test's own folder trusts; the local port asks for SCRAM."""
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(
            host="127.0.0.1", port=pg.port, user=pg_server.SUPERUSER, dbname="postgres"
        ).close()
