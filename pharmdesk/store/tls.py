"""TLS on the branch LAN: a branch CA, the server's certificate, and the desks' pin.

``make_certificates`` makes (or reuses) the branch CA in a folder on the server PC and
issues the PostgreSQL server a certificate for the names and addresses desks use to reach
it. ``apply_to_server`` puts the certificate into a PostgreSQL data folder: ``ssl = on``
through an included ``pharmdesk-tls.conf``, and a block at the top of ``pg_hba.conf`` that
refuses every network connection without TLS and asks SCRAM-SHA-256 of the rest (local
socket lines stay: the server PC's own administration). Desks pin the CA: ``pin_ca``
checks the fingerprint the IT person reads out from the server, and ``desk_url`` makes
every connection ``sslmode=verify-full`` against that CA, so a desk refuses a server
whose certificate does not chain to the branch CA or does not name the host it dialled.
``explain_connect_error`` turns libpq's refusals into messages a person can act on.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pharmdesk.errors import PharmDeskError, validation
from pharmdesk.store.files import write_file_atomic

CA_CERT = "branch-ca.crt"
CA_KEY = "branch-ca.key"
SERVER_CERT = "server.crt"
SERVER_KEY = "server.key"
CA_DAYS = 20 * 365
SERVER_DAYS = 5 * 365
# In the PostgreSQL data folder:
PG_CERT = "pharmdesk-server.crt"
PG_KEY = "pharmdesk-server.key"
PG_CONF = "pharmdesk-tls.conf"
INCLUDE_LINE = f"include_if_exists = '{PG_CONF}'"
HBA_BEGIN = "# BEGIN PharmDesk: network connections only over TLS (pharmdesk server certs)"
HBA_END = "# END PharmDesk"
HBA_BLOCK = "\n".join(
    [
        HBA_BEGIN,
        "hostnossl all all 0.0.0.0/0 reject",
        "hostnossl all all ::/0 reject",
        "hostssl all all 0.0.0.0/0 scram-sha-256",
        "hostssl all all ::/0 scram-sha-256",
        HBA_END,
    ]
)
_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class BranchCertificates:
    folder: Path
    fingerprint: str  # SHA-256 of the CA certificate, as desks compare it
    hosts: tuple[str, ...]
    new_ca: bool  # False: an existing branch CA issued this server certificate

    @property
    def ca_cert(self) -> Path:
        return self.folder / CA_CERT

    @property
    def server_cert(self) -> Path:
        return self.folder / SERVER_CERT

    @property
    def server_key(self) -> Path:
        return self.folder / SERVER_KEY


# -- names ------------------------------------------------------------------------------------
def check_host(host: str) -> x509.GeneralName:
    """A name or address desks use for the server: an IP address, or a DNS name."""
    text = host.strip().rstrip(".")
    try:
        return x509.IPAddress(ipaddress.ip_address(text))
    except ValueError:
        pass
    labels = text.split(".")
    if not text or len(text) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise validation(
            f"'{host}' is not a computer name or an IP address. Use the name desks type to "
            "reach the server (e.g. pharmacy-server or pharmacy-server.local) or its fixed "
            "address (e.g. 192.168.1.10).",
            "host",
        )
    return x509.DNSName(text.lower())


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate, in pairs: what the IT person reads out at each desk."""
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def normalize_fingerprint(text: str) -> str:
    digits = re.sub(r"[^0-9A-Fa-f]", "", text).upper()
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


# -- making them ----------------------------------------------------------------------------------
def _private_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _make_ca(branch: str, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, branch[:64] or "PharmDesk branch"),
            x509.NameAttribute(NameOID.COMMON_NAME, "PharmDesk branch CA"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _load_ca(folder: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
    cert_path, key_path = folder / CA_CERT, folder / CA_KEY
    if not cert_path.exists() and not key_path.exists():
        return None
    if not (cert_path.exists() and key_path.exists()):
        missing = key_path if not key_path.exists() else cert_path
        raise PharmDeskError(
            "VALIDATION_ERROR",
            f"The branch CA in {folder} is incomplete ({missing.name} is missing). Put the "
            "branch CA's two files back (from the USB copy), or use a new folder to make a "
            "new CA (then every desk must join again).",
        )
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PharmDeskError("VALIDATION_ERROR", f"{key_path} is not a branch CA key.")
    return key, cert


def make_certificates(
    folder: Path, hosts: list[str], branch: str = "", *, now: dt.datetime | None = None
) -> BranchCertificates:
    """The branch CA (made once, reused after) and a new server certificate for ``hosts``.

    Reusing the CA keeps every desk's pin valid when the server gets a new name or its
    certificate is renewed. Private keys are written owner-only (0600)."""
    if not hosts:
        raise validation("Name the server: --host with the name or address desks use.", "host")
    names = [check_host(host) for host in hosts]
    now = now or dt.datetime.now(dt.UTC)
    folder.mkdir(parents=True, exist_ok=True)
    existing = _load_ca(folder)
    if existing is None:
        ca_key, ca_cert = _make_ca(branch, now)
        write_file_atomic(folder / CA_KEY, _private_bytes(ca_key))
        write_file_atomic(folder / CA_CERT, _pem(ca_cert))
    else:
        ca_key, ca_cert = existing
    key = ec.generate_private_key(ec.SECP256R1())
    first = names[0].value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(first))]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    write_file_atomic(folder / SERVER_KEY, _private_bytes(key))
    write_file_atomic(folder / SERVER_CERT, _pem(cert) + _pem(ca_cert))
    return BranchCertificates(
        folder, fingerprint(ca_cert), tuple(str(n.value) for n in names), existing is None
    )


# -- the server side ------------------------------------------------------------------------------
def _hba_with_block(text: str) -> str:
    """``pg_hba.conf`` with PharmDesk's block first (PostgreSQL takes the first match);
    an earlier block is replaced, every other line kept."""
    lines = text.splitlines()
    if HBA_BEGIN in lines:
        start = lines.index(HBA_BEGIN)
        end = lines.index(HBA_END, start) if HBA_END in lines[start:] else start
        lines = lines[:start] + lines[end + 1 :]
    # After the "local" lines (the server PC's own administration), before any "host" line.
    at = next(
        (i for i, line in enumerate(lines) if line.split()[:1] in (["host"], ["hostssl"],
                                                                   ["hostnossl"])),
        len(lines),
    )  # fmt: skip
    return "\n".join([*lines[:at], HBA_BLOCK, *lines[at:]]) + "\n"


def apply_to_server(certs: BranchCertificates, data_dir: Path) -> list[Path]:
    """Write the certificate, the TLS settings and the pg_hba block into a PostgreSQL data
    folder; files get the data folder's owner (PostgreSQL refuses a key others can read).
    Returns the files written. PostgreSQL applies them at its next reload or restart."""
    conf, hba = data_dir / "postgresql.conf", data_dir / "pg_hba.conf"
    if not conf.exists() or not hba.exists():
        raise validation(
            f"{data_dir} is not a PostgreSQL data folder (no postgresql.conf and pg_hba.conf "
            "there). Give the folder PostgreSQL was initialised in (SHOW data_directory).",
            "dataDir",
        )
    owner = data_dir.stat()
    written = [data_dir / PG_CERT, data_dir / PG_KEY, data_dir / PG_CONF, hba]
    shutil.copyfile(certs.server_cert, written[0])
    write_file_atomic(written[1], certs.server_key.read_bytes())
    write_file_atomic(
        written[2],
        (
            "# Written by pharmdesk server certs: TLS for the desks on the branch LAN.\n"
            "ssl = on\n"
            f"ssl_cert_file = '{PG_CERT}'\n"
            f"ssl_key_file = '{PG_KEY}'\n"
            "ssl_min_protocol_version = 'TLSv1.2'\n"
            "password_encryption = 'scram-sha-256'\n"
        ).encode(),
    )
    write_file_atomic(hba, _hba_with_block(hba.read_text(encoding="utf-8")).encode())
    settings = conf.read_text(encoding="utf-8")
    if INCLUDE_LINE not in settings.splitlines():
        write_file_atomic(conf, (settings.rstrip("\n") + "\n" + INCLUDE_LINE + "\n").encode())
        written.append(conf)
    for path in written:
        if hasattr(os, "chown") and os.geteuid() == 0:
            os.chown(path, owner.st_uid, owner.st_gid)
    return written


# -- the desk side ---------------------------------------------------------------------------------
def pin_ca(ca_file: Path, expected: str, folder: Path) -> Path:
    """Keep the branch CA for this desk, once its fingerprint matches the one read out
    from the server (``pharmdesk server certs`` prints it). Returns the pinned copy."""
    try:
        cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
    except (OSError, ValueError):
        raise validation(
            f"{ca_file} is not the branch CA certificate. Copy {CA_CERT} from the server's "
            "certificate folder.",
            "caFile",
        ) from None
    actual = fingerprint(cert)
    if normalize_fingerprint(expected) != actual:
        raise validation(
            "The fingerprint does not match this CA certificate: this file may not come from "
            "your branch server. Compare it again with what the server printed; nothing was "
            "saved.",
            "fingerprint",
        )
    folder.mkdir(parents=True, exist_ok=True)
    pinned = folder / CA_CERT
    write_file_atomic(pinned, _pem(cert))
    return pinned


def desk_url(url: str, pinned_ca: Path) -> str:
    """``url`` checked against the pinned CA: ``sslmode=verify-full`` (the certificate
    chains to the branch CA and names the host dialled)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("sslmode", "sslrootcert")]
    query += [("sslmode", "verify-full"), ("sslrootcert", str(pinned_ca))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def explain_connect_error(message: str) -> str | None:
    """What a person can do about libpq's TLS refusals (None: not a TLS matter)."""
    text = message.lower()
    if "does not match host name" in text:
        return (
            "The branch server's certificate does not name the address this PC dialled. "
            "Use the server name the certificate was made for, or on the server run "
            "'pharmdesk server certs --host NAME' with this name too, then reload PostgreSQL."
        )
    if "certificate verify failed" in text or "self-signed certificate" in text:
        return (
            "This server's certificate is not from your branch's CA, so this PC did not "
            "connect: it may not be your branch server. Check the address; if the branch "
            "made a new CA, join this PC again with the new CA and its fingerprint."
        )
    if "server does not support ssl" in text:
        return (
            "The server does not accept secure connections yet. On the server PC run "
            "'pharmdesk server certs' and reload PostgreSQL."
        )
    if "pg_hba.conf" in text and "no encryption" in text:
        return (
            "The branch server accepts only secure (TLS) connections from the network. "
            "Join this PC with the branch CA (pharmdesk server join) instead of a plain URL."
        )
    if "root certificate file" in text and "does not exist" in text:
        return (
            "The branch CA this PC was joined with is missing. Join this PC to the branch "
            "server again."
        )
    return None
