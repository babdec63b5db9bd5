"""Moving a branch's single-PC database onto its branch server, once.

An admin of the file unlocks it with their password (the file itself is only read); the
server URL names the database owner's login (``PGPASSWORD`` / ``~/.pgpass``). The server
database must be empty: either without a schema yet (it is made here with the one
Alembic chain) or made by that chain with no rows. See ``store/transfer.py`` for the copy.

The staff table moves with everything else, and in the same server transaction each
active person gets their own login role (``store/pg_roles``) with a fresh one-time
password and ``must_change_password`` set, so their first sign-in at a desk asks for
their own; a disabled person's role is made ``NOLOGIN`` without a password (as
``disableStaff`` leaves it). The passwords are in the answer only (``logins``), made for
the caller to show once: no log, audit entry or file holds them. Afterwards every desk,
this one included, signs people in with their own logins: the file's key slots are not
carried over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from pharmdesk.clock import Clock
from pharmdesk.controllers import audit
from pharmdesk.controllers.audit_verify import verify_chain
from pharmdesk.controllers.server_logins import Login, make_logins
from pharmdesk.errors import (
    AUTH_FAILED,
    DATABASE_ERROR,
    NOT_FOUND,
    PERMISSION_DENIED,
    PharmDeskError,
    validation,
)
from pharmdesk.paths import DatabaseFiles, server_files, server_where
from pharmdesk.store import migrate, transfer, upgrade
from pharmdesk.store.engine import new_engine
from pharmdesk.store.schema import AuditState
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams, Vault

WRONG_PASSWORD = "Wrong username or password for that file. Check both; nothing was changed."
ADMIN = "admin"


@dataclass
class ImportResult:
    counts: dict[str, int]
    audit_entries: int
    logins: list[Login]
    disabled: list[str]
    desk_files: DatabaseFiles
    created_schema: bool
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "success": True,
            "counts": self.counts,
            "auditEntriesVerified": self.audit_entries,
            "logins": [login.to_json() for login in self.logins],
            "disabledWithoutLogin": self.disabled,
            "deskFolder": str(self.desk_files.db.parent),
            "createdSchema": self.created_schema,
        }


def _file_key(source: DatabaseFiles, username: str, password: str, kdf: KdfParams) -> list[bytes]:
    if not source.db.is_file():
        raise PharmDeskError(NOT_FOUND, f"No file {source.db.name} there; nothing was changed.")
    if not source.vault.is_file():
        raise PharmDeskError(DATABASE_ERROR, transfer.NOT_A_DATABASE.format(name=source.db.name))
    vault = Vault(source.vault, kdf)
    try:
        opened = vault.open_staff(username, password)
    except PharmDeskError:
        raise PharmDeskError(
            DATABASE_ERROR, transfer.NOT_A_DATABASE.format(name=source.db.name)
        ) from None
    if opened is None:
        raise PharmDeskError(AUTH_FAILED, WRONG_PASSWORD)
    return [key for key in vault.keys(opened) if key is not None]


def _check_source(conn: Any, username: str, name: str) -> None:
    revision = transfer.file_revision(conn)
    if revision is None:
        raise PharmDeskError(DATABASE_ERROR, transfer.NOT_A_DATABASE.format(name=name))
    if revision != migrate.SCHEMA_HEAD:
        raise validation(
            f"{name} was last opened by another version of PharmDesk (schema {revision}, "
            f"this one is {migrate.SCHEMA_HEAD}). Sign in to it once with this version at "
            "its PC (that brings it up to date), then move it; nothing was changed.",
            "from",
        )
    staff = {user: (role, disabled) for user, role, disabled in transfer.file_staff(conn)}
    role, disabled = staff.get(username, ("", True))
    if disabled:
        raise PharmDeskError(AUTH_FAILED, WRONG_PASSWORD)
    if role != ADMIN:
        raise PharmDeskError(
            PERMISSION_DENIED,
            "Only an admin of the file may move it to the server; nothing was changed.",
        )


def _desk_side_files(url: str, base: Path | None) -> DatabaseFiles:
    """This PC's folder for the server (its sign-in counters). Key slots left there
    would make it sign people in the old way, not with their own logins."""
    target = server_files(url, base=base)
    if target.vault.exists():
        raise validation(
            f"This PC already keeps sign-in keys for {server_where(url)} in "
            f"{target.db.parent}. Move that folder away (it belongs to an earlier setup) "
            "and run the move again; nothing was changed.",
            "db",
        )
    return target


def import_file(
    source: DatabaseFiles,
    url: str,
    *,
    username: str,
    password: str,
    clock: Clock | None = None,
    kdf: KdfParams = DEFAULT_KDF,
    progress: transfer.Progress = lambda _s, _d, _t: None,
    desk_base: Path | None = None,
) -> ImportResult:
    """Copy ``source`` onto the empty server database at ``url``; refuse, changing
    nothing, when the file does not open or the server database holds data."""
    clock = clock or Clock()
    username = username.strip().lower()
    keys = _file_key(source, username, password, kdf)
    desk_files = _desk_side_files(url, desk_base)
    last_error: PharmDeskError | None = None
    for key in keys:  # the current key; the next one when a rekey was left pending
        try:
            with transfer.read_only_file(source.db, key) as conn:
                _check_source(conn, username, source.db.name)
                return _move(conn, url, username, clock, progress, desk_files)
        except PharmDeskError as exc:
            if transfer.NOT_A_DATABASE.format(name=source.db.name) != exc.message:
                raise
            last_error = exc
    assert last_error is not None
    raise last_error


def _move(
    source_conn: Any,
    url: str,
    username: str,
    clock: Clock,
    progress: transfer.Progress,
    desk_files: DatabaseFiles,
) -> ImportResult:
    progress("Counting the file's rows", 0, 1)
    totals = transfer.file_counts(source_conn)
    head = transfer.file_chain_head(source_conn)
    staff = transfer.file_staff(source_conn)
    progress("Counting the file's rows", 1, 1)
    engine = new_engine(DatabaseFiles(desk_files.db, server=url), b"")
    try:
        revision = migrate.current_revision(engine)
        if revision is not None and revision != migrate.SCHEMA_HEAD:
            raise validation(
                f"The server database ({server_where(url)}) was made by another version "
                f"of PharmDesk (schema {revision}, this one is {migrate.SCHEMA_HEAD}); "
                "nothing was changed.",
                "db",
            )
        if revision is not None:
            with engine.connect() as conn:
                if not transfer.server_is_empty(conn):
                    raise _not_empty(url)
        else:
            upgrade.upgrade(engine)
        with engine.connect() as conn, conn.begin():
            if not transfer.server_is_empty(conn):  # another desk got there first
                raise _not_empty(url)
            copied = transfer.copy_tables(source_conn, conn, totals, progress)
            progress("Verifying the audit chain", 0, 1)
            tx = Session(bind=conn)
            report = verify_chain(tx, head)
            if not report.ok:
                raise PharmDeskError(
                    DATABASE_ERROR,
                    "The audit log did not verify after the copy (entry "
                    f"{report.first_bad_entry}: {report.reason}); the server database was "
                    "left empty. Run 'pharmdesk audit verify' on the file's PC.",
                )
            logins = make_logins(conn, [(name, off) for name, _role, off in staff])
            # The server keeps its log append-only itself and does not seal it: the
            # file's entries keep their seals (checked on the file and its backups); the
            # current epoch key would be of no use in the server database. The row is
            # made here, as the owner, if the file never had one: staff logins may not.
            audit.ensure_state(conn)
            conn.execute(
                update(AuditState)
                .where(AuditState.id == 1)
                .values(seal_epoch=None, seal_key=None, sealed_at=None)
            )
            audit.append(
                tx,
                at=clock.now(),
                user=username,
                # API.md's fixed list of actions: the move is a restore from a file.
                action="restore",
                detail={
                    "kind": "serverImport",
                    "customers": copied.counts.get("customer", 0),
                    "auditEntries": report.checked,
                    "schema": migrate.SCHEMA_HEAD,
                    "logins": len(logins),  # how many; never a password
                },
            )
            tx.flush()
            progress("Verifying the audit chain", 1, 1)
            progress("Planner statistics", 0, 1)
            transfer.analyze(conn)
            progress("Planner statistics", 1, 1)
    finally:
        engine.dispose()
    return ImportResult(
        counts=copied.counts,
        audit_entries=report.checked,
        logins=logins,
        disabled=[name for name, _role, disabled in staff if disabled],
        desk_files=desk_files,
        created_schema=revision is None,
    )


def _not_empty(url: str) -> PharmDeskError:
    return validation(
        f"The server database ({server_where(url)}) already holds data: a database is "
        "moved only onto an empty one. Nothing was changed.",
        "db",
    )
