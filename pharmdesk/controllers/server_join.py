"""A desk joins the branch server: its address, a connection test, and the pinned CA.

The IT person gives the server's address (host, port, database, and the desk's login
when the branch uses one) and, once the server has its branch CA (``pharmdesk server
certs``), the CA file and the fingerprint the server printed. ``check_connection``
answers the three questions they have before saving: does the server answer, is the
connection verified against the branch CA, and does the database hold PharmDesk data of
a version this PharmDesk works with. It writes nothing. ``join`` keeps the CA for this
desk (``tls.pin_ca``) and checks the secure connection works; ``pharmdesk server join``
and the first-run screen both join through it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError, validation
from pharmdesk.paths import server_files, server_where
from pharmdesk.store import migrate, server, tls

DEFAULT_PORT = 5432
UNREACHABLE_HINTS = (
    "connection refused",
    "could not connect",
    "could not translate host name",
    "name or service not known",
    "no route to host",
    "network is unreachable",
    "timeout expired",
    "timed out",
    "no such file or directory",  # a local socket folder with no server in it
)
NEEDS_LOGIN_HINTS = ("password", "authentication failed", "no pg_hba.conf entry", "role ")


def server_url(host: str, port: int | str, database: str, login: str = "") -> str:
    """The ``postgresql://`` URL this desk saves (no password, ever).

    ``host`` is a name or an address; a folder (``/run/postgresql``) means the server's
    local socket on this very PC.
    """
    host = host.strip()
    database = database.strip()
    login = login.strip()
    if not host:
        raise validation("Enter the branch server's name or address (e.g. 192.168.1.10).", "host")
    if any(c.isspace() for c in host) or any(c in host for c in "@?#&"):
        raise validation(f"'{host}' is not a server name or address.", "host")
    try:
        number = int(str(port).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise validation(
            f"The port must be a number from 1 to 65535 (PostgreSQL's is usually {DEFAULT_PORT}).",
            "port",
        )
    if not database:
        raise validation("Enter the database's name (e.g. pharmdesk_lekki).", "database")
    who = f"{quote(login, safe='')}@" if login else ""
    name = quote(database, safe="")
    if host.startswith("/"):
        return f"postgresql://{who}/{name}?host={quote(host, safe='/')}&port={number}"
    where = f"[{host}]" if ":" in host else host
    return f"postgresql://{who}{where}:{number}/{name}"


def _database(url: str) -> str:
    return server_where(url).rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Answer:
    """One answer of the connection test: ``ok``, ``warn`` (works, but read this),
    ``bad`` (this must be fixed first) or ``unknown`` (not checked), and what to say."""

    state: str
    text: str


NOT_CHECKED = Answer("unknown", "Not checked.")
ANSWERS = Answer("ok", "The server answers.")


@dataclass(frozen=True)
class ConnectionCheck:
    """What the connection test found, one answer per question."""

    reached: Answer  # does the server answer?
    secure: Answer  # is the connection encrypted, and verified against the branch CA?
    database: Answer  # PharmDesk data present, and of which schema version?

    @property
    def can_save(self) -> bool:
        """The address works well enough to be kept for this desk."""
        answers = (self.reached, self.secure, self.database)
        return self.reached.state == "ok" and all(a.state != "bad" for a in answers)


def _schema_answer(revision: str | None, database: str) -> Answer:
    head = migrate.SCHEMA_HEAD
    if revision is None:
        return Answer(
            "warn",
            f"The database '{database}' holds no PharmDesk data yet. Create it with "
            "'pharmdesk init' (see the server guide) before the desks sign in.",
        )
    if revision == head:
        return Answer("ok", f"PharmDesk data found, schema {revision}: the same as this PharmDesk.")
    if migrate.is_newer_than_this_pharmdesk(revision):
        return Answer(
            "bad",
            f"PharmDesk data found, schema {revision}, from a newer PharmDesk than this "
            f"PC's (schema {head}). Update PharmDesk on this PC before signing in.",
        )
    return Answer(
        "warn",
        f"PharmDesk data found, schema {revision}, older than this PharmDesk's ({head}). "
        "The first sign-in from this PC upgrades it: back up the server first.",
    )


def check_connection(
    url: str, ca_file: Path | None = None, fingerprint: str = ""
) -> ConnectionCheck:
    """Dial ``url`` as this desk would once joined (against ``ca_file`` when given, else
    against the CA this desk already keeps for it). Writes nothing; a CA whose
    fingerprint does not match raises a ``VALIDATION_ERROR``."""
    with tempfile.TemporaryDirectory(prefix="pharmdesk-join-") as folder:
        dial = url
        if ca_file is not None:
            dial = tls.desk_url(url, tls.pin_ca(ca_file, fingerprint, Path(folder)))
        pinned = "sslmode=verify-full" in server.connection_url(dial)
        verified = Answer("ok", "Verified: the server's certificate is from your branch CA.")
        unverified = (
            "no branch CA was given, so this PC cannot tell your server from another one "
            "on the network. Add the CA file and its fingerprint."
        )
        engine = server.make_server_engine(dial)
        try:
            with engine.connect() as conn:
                encrypted = conn.execute(
                    text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                ).scalar()
            revision = migrate.current_revision(engine)
        except DBAPIError as exc:
            detail = str(getattr(exc, "orig", exc)).lower()
            secure = verified if pinned else Answer("warn", f"Not verified: {unverified}")
            return _failed(detail, url, secure)
        finally:
            engine.dispose()
    if pinned:
        secure = verified
    elif encrypted:
        secure = Answer("warn", f"Encrypted, but not verified: {unverified}")
    elif "host=/" in url:
        secure = Answer("ok", "Not needed: the server runs on this PC (a local connection).")
    else:
        secure = Answer(
            "warn",
            "Not encrypted: this server accepts plain connections. On the server PC run "
            "'pharmdesk server certs' (see the server guide), then join with its CA.",
        )
    return ConnectionCheck(ANSWERS, secure, _schema_answer(revision, _database(url)))


def _failed(detail: str, url: str, secure: Answer) -> ConnectionCheck:
    where = server_where(url)
    about_tls = tls.explain_connect_error(detail)
    if about_tls is not None:
        return ConnectionCheck(ANSWERS, Answer("bad", about_tls), NOT_CHECKED)
    if any(hint in detail for hint in UNREACHABLE_HINTS) and "password" not in detail:
        reached = Answer(
            "bad",
            f"Nothing answers at {where.rsplit('/', 1)[0]}. Check the address and the port "
            f"(PostgreSQL's is usually {DEFAULT_PORT}), that the server PC is on, and that "
            "PostgreSQL there accepts connections from the network (listen_addresses).",
        )
        return ConnectionCheck(reached, NOT_CHECKED, NOT_CHECKED)
    if "does not exist" in detail and "database" in detail:
        missing = Answer(
            "bad",
            f"The server has no database named '{_database(url)}'. Check the name (the "
            "server guide's step 2), or create it there.",
        )
        return ConnectionCheck(ANSWERS, secure, missing)
    if any(hint in detail for hint in NEEDS_LOGIN_HINTS):
        later = Answer(
            "unknown",
            "Not checked: the server asks for a login and password first. The database is "
            "checked at every sign-in: sign in on the next screen to finish.",
        )
        return ConnectionCheck(ANSWERS, secure, later)
    reached = Answer("bad", server.SERVER_UNREACHABLE.format(where=where))
    return ConnectionCheck(reached, NOT_CHECKED, NOT_CHECKED)


@dataclass(frozen=True)
class Joined:
    pinned: Path
    connection: str  # "ok", or that the secure connection works and sign-in is personal


def join(url: str, ca_file: Path, fingerprint: str) -> Joined:
    """Keep the branch CA for this desk's ``url`` once its fingerprint matches, then dial
    the server with ``sslmode=verify-full``. A certificate refusal keeps no pin."""
    pinned = tls.pin_ca(ca_file, fingerprint, server_files(url).db.parent)
    engine = server.make_server_engine(url)
    try:
        with engine.connect():
            pass
        return Joined(pinned, "ok")
    except DBAPIError as exc:
        detail = str(getattr(exc, "orig", exc))
        explained = tls.explain_connect_error(detail)
        if explained is not None:
            pinned.unlink(missing_ok=True)
            raise PharmDeskError(DATABASE_ERROR, explained) from None
        # The secure connection was made; the login is the person's own at sign-in.
        return Joined(pinned, "secure; sign in with your own login")
    finally:
        engine.dispose()
