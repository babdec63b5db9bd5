"""The first-run connection test (controllers/server_join.check_connection) against a real
PostgreSQL with the branch's TLS: verified with the branch CA, refused with another CA,
encrypted but unverified without one; it pins nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pharmdesk.controllers.server_join import check_connection, server_url
from pharmdesk.store import tls
from tests import pg_server
from tests.server.test_tls import DESK, DESK_PASSWORD, _tls_server


@pytest.fixture(scope="module")
def branch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    server, certs = _tls_server(tmp_path_factory.mktemp("branch-ca"), ["localhost", "127.0.0.1"])
    yield server, certs
    pg_server.stop_server(server)


@pytest.fixture(autouse=True)
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This desk's data folder, and the login's password as a desk's PGPASSWORD gives it."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "desk"))
    monkeypatch.setenv("PGPASSWORD", DESK_PASSWORD)
    return tmp_path / "desk"


def _url(server: pg_server.PgServer) -> str:
    return server_url("127.0.0.1", server.port, "postgres", DESK)


def test_with_the_branch_ca_the_connection_is_verified(branch: tuple, desk: Path) -> None:
    server, certs = branch
    check = check_connection(_url(server), certs.ca_cert, certs.fingerprint.lower())
    assert (check.reached.state, check.reached.text) == ("ok", "The server answers.")
    assert check.secure.state == "ok"
    assert check.secure.text.startswith("Verified: the server's certificate is from your branch")
    assert check.database.state == "warn"  # postgres holds no PharmDesk data
    assert "holds no PharmDesk data yet" in check.database.text
    assert check.can_save
    assert not desk.exists()  # a test pins nothing


def test_another_ca_is_refused_before_any_password(branch: tuple, tmp_path: Path) -> None:
    server, _certs = branch
    other = tls.make_certificates(tmp_path / "other-ca", ["127.0.0.1"], "Another Branch")
    check = check_connection(_url(server), other.ca_cert, other.fingerprint)
    assert check.secure.state == "bad"
    assert "not from your branch's CA" in check.secure.text
    assert check.database.state == "unknown"
    assert not check.can_save


def test_without_a_ca_the_connection_is_encrypted_but_not_verified(branch: tuple) -> None:
    server, _certs = branch
    check = check_connection(_url(server))
    assert check.secure.state == "warn"
    assert check.secure.text.startswith("Encrypted, but not verified: no branch CA was given")
    assert check.can_save


def test_the_addresses_a_desk_saves() -> None:
    assert server_url("192.168.1.10", "5432", "pharmdesk_lekki") == (
        "postgresql://192.168.1.10:5432/pharmdesk_lekki"
    )
    assert server_url(" pharmacy-server ", 5433, "lekki", "desk one") == (
        "postgresql://desk%20one@pharmacy-server:5433/lekki"
    )
    assert server_url("fe80::1", 5432, "lekki") == "postgresql://[fe80::1]:5432/lekki"
    assert server_url("/run/postgresql", 5432, "lekki", "owner") == (
        "postgresql://owner@/lekki?host=/run/postgresql&port=5432"
    )
