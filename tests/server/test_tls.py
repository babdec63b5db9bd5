"""TLS on the branch LAN against real PostgreSQL servers: a desk with the pinned branch
CA connects over TLS; the same desk refuses an impostor server (another CA) and a
certificate that does not name the host dialled; the server refuses plaintext."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography import x509

from pharmdesk.errors import PharmDeskError
from pharmdesk.store import tls
from tests import pg_server
from tests.cli.conftest import run_process, subprocess_env

DESK = "desk_tls"
DESK_PASSWORD = "a branch desk password 2026"


def _start() -> pg_server.PgServer:
    try:
        return pg_server.start_server()
    except pg_server.ServerUnavailable as exc:
        if pg_server.required():
            pytest.fail(f"{exc} ({pg_server.REQUIRE_ENV} is set)", pytrace=False)
        pytest.skip(str(exc))


def _reload(server: pg_server.PgServer) -> None:
    """Apply the new settings and wait until a fresh connection sees TLS on."""
    done = server._run("pg_ctl", "-D", str(server.data), "reload")
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with psycopg.connect(server.url()) as conn:
            if conn.execute("SHOW ssl").fetchone() == ("on",):
                return
        time.sleep(0.1)
    raise AssertionError(f"ssl stayed off:\n{server.log.read_text(errors='replace')}")


def _tls_server(
    folder: Path, hosts: list[str]
) -> tuple[pg_server.PgServer, tls.BranchCertificates]:
    server = _start()
    certs = tls.make_certificates(folder, hosts, "Lekki Branch")
    tls.apply_to_server(certs, server.data)
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {DESK} LOGIN PASSWORD '{DESK_PASSWORD}'")
    _reload(server)
    return server, certs


@pytest.fixture(scope="module")
def branch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    server, certs = _tls_server(tmp_path_factory.mktemp("branch-ca"), ["localhost", "127.0.0.1"])
    yield server, certs
    pg_server.stop_server(server)


@pytest.fixture(scope="module")
def impostor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    server, certs = _tls_server(tmp_path_factory.mktemp("other-ca"), ["localhost", "127.0.0.1"])
    yield server, certs
    pg_server.stop_server(server)


def _url(server: pg_server.PgServer, host: str = "127.0.0.1") -> str:
    return f"postgresql://{DESK}:{DESK_PASSWORD.replace(' ', '%20')}@{host}:{server.port}/postgres"


def _pinned(certs: tls.BranchCertificates, desk_folder: Path) -> Path:
    return tls.pin_ca(certs.ca_cert, certs.fingerprint, desk_folder)


def test_a_desk_with_the_pinned_ca_connects_over_tls(branch: tuple, tmp_path: Path) -> None:
    server, certs = branch
    url = tls.desk_url(_url(server), _pinned(certs, tmp_path))
    assert "sslmode=verify-full" in url
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
    assert row is not None and row[0] is True and row[1] in ("TLSv1.2", "TLSv1.3")


def test_a_desk_refuses_an_impostor_server(branch: tuple, impostor: tuple, tmp_path: Path) -> None:
    _server, certs = branch
    other, _other_certs = impostor
    url = tls.desk_url(_url(other), _pinned(certs, tmp_path))
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(url).close()
    message = tls.explain_connect_error(str(caught.value))
    assert message is not None and "not from your branch's CA" in message


def test_a_desk_refuses_a_certificate_for_another_name(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    server, certs = _tls_server(tmp_path_factory.mktemp("named"), ["pharmacy-server.local"])
    try:
        url = tls.desk_url(_url(server, "127.0.0.1"), _pinned(certs, tmp_path))
        with pytest.raises(psycopg.OperationalError) as caught:
            psycopg.connect(url).close()
    finally:
        pg_server.stop_server(server)
    message = tls.explain_connect_error(str(caught.value))
    assert message is not None and "does not name the address" in message


def test_the_server_refuses_plaintext(branch: tuple) -> None:
    server, _certs = branch
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(_url(server) + "?sslmode=disable").close()
    # The server itself says no: PharmDesk's block in pg_hba.conf rejects it.
    assert "pg_hba.conf rejects connection" in str(caught.value)
    assert "no encryption" in str(caught.value)
    message = tls.explain_connect_error(str(caught.value))
    assert message is not None and "only secure (TLS) connections" in message


def test_the_ca_is_kept_and_desks_stay_pinned_when_the_server_gets_a_new_name(
    tmp_path: Path,
) -> None:
    first = tls.make_certificates(tmp_path, ["pharmacy-server"], "Lekki Branch")
    assert first.new_ca
    again = tls.make_certificates(tmp_path, ["pharmacy-server", "192.168.1.10"], "Lekki Branch")
    assert not again.new_ca and again.fingerprint == first.fingerprint
    cert = x509.load_pem_x509_certificate(again.server_cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(v) for v in names.get_values_for_type(x509.IPAddress)] == ["192.168.1.10"]
    assert names.get_values_for_type(x509.DNSName) == ["pharmacy-server"]
    for key in (tmp_path / tls.CA_KEY, again.server_key):
        assert key.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("host", ["", "pharmacy server", "-bad.local", "a" * 64, "bad_name"])
def test_a_host_that_is_no_name_or_address_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(PharmDeskError) as caught:
        tls.make_certificates(tmp_path, [host])
    assert caught.value.field == "host" and "computer name or an IP address" in caught.value.message
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_a_wrong_fingerprint_pins_nothing(tmp_path: Path) -> None:
    certs = tls.make_certificates(tmp_path / "server", ["localhost"])
    desk = tmp_path / "desk"
    wrong = certs.fingerprint[:-2] + ("00" if not certs.fingerprint.endswith("00") else "11")
    with pytest.raises(PharmDeskError) as caught:
        tls.pin_ca(certs.ca_cert, wrong, desk)
    assert caught.value.field == "fingerprint" and not desk.exists()
    # Read out in lower case, with spaces instead of colons, it still matches.
    spoken = certs.fingerprint.replace(":", " ").lower()
    assert tls.pin_ca(certs.ca_cert, spoken, desk).read_bytes().startswith(b"-----BEGIN")


def test_the_hba_block_goes_first_and_is_replaced_not_repeated() -> None:
    original = "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
    once = tls._hba_with_block(original)
    twice = tls._hba_with_block(once)
    assert once == twice and once.count(tls.HBA_BEGIN) == 1
    lines = once.splitlines()
    assert lines[0] == "local all all trust" and lines[1] == tls.HBA_BEGIN
    assert lines[-1] == "host all all 127.0.0.1/32 scram-sha-256"


# -- the commands: pharmdesk server certs / server join, as real processes ----------------
def _desk_env(tmp_path: Path) -> dict[str, str]:
    return subprocess_env(XDG_DATA_HOME=str(tmp_path / "desk"), PGPASSWORD=DESK_PASSWORD)


def _plain_url(server: pg_server.PgServer) -> str:
    return f"postgresql://{DESK}@127.0.0.1:{server.port}/postgres"


def test_certs_then_join_then_every_connection_is_verified(tmp_path: Path) -> None:
    server = _start()
    try:
        made = run_process(
            "server", "certs", "--host", "localhost", "--host", "127.0.0.1",
            "--folder", str(tmp_path / "ca"), "--data-dir", str(server.data),
            "--branch-name", "Lekki Branch",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        answer = json.loads(made.stdout)
        assert answer["newCa"] is True and answer["hosts"] == ["localhost", "127.0.0.1"]
        assert "pharmdesk server join" in made.stderr
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {DESK} LOGIN PASSWORD '{DESK_PASSWORD}'")
        _reload(server)

        joined = run_process(
            "server", "join", "--db", _plain_url(server), "--ca", answer["caCertificate"],
            "--fingerprint", answer["caFingerprint"].lower(), env=_desk_env(tmp_path),
        )  # fmt: skip
        assert joined.returncode == 0, joined.stdout + joined.stderr
        assert json.loads(joined.stdout)["connection"] == "ok"
        # From now on this desk dials that server with verify-full against the pin.
        pins = list((tmp_path / "desk" / "PharmDesk" / "servers").glob(f"*/{tls.CA_CERT}"))
        assert len(pins) == 1
    finally:
        pg_server.stop_server(server)


def test_join_refuses_a_wrong_fingerprint_and_an_impostor(
    branch: tuple, impostor: tuple, tmp_path: Path
) -> None:
    _server, certs = branch
    other, _other_certs = impostor
    servers = tmp_path / "desk" / "PharmDesk" / "servers"
    wrong = run_process(
        "server", "join", "--db", _plain_url(other), "--ca", str(certs.ca_cert),
        "--fingerprint", "AB:" * 31 + "AB", env=_desk_env(tmp_path),
    )  # fmt: skip
    assert wrong.returncode == 1
    assert json.loads(wrong.stdout)["error"]["field"] == "fingerprint"
    assert not list(servers.glob(f"*/{tls.CA_CERT}"))

    impostor_join = run_process(
        "server", "join", "--db", _plain_url(other), "--ca", str(certs.ca_cert),
        "--fingerprint", certs.fingerprint, env=_desk_env(tmp_path),
    )  # fmt: skip
    assert impostor_join.returncode == 1
    assert "not from your branch's CA" in json.loads(impostor_join.stdout)["error"]["message"]
    assert not list(servers.glob(f"*/{tls.CA_CERT}"))  # no pin that does not work is kept
