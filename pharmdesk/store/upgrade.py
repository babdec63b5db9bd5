"""Upgrading a database's schema when it is opened: a verified backup first, then the
chain (``store.migrate``).

On a branch server several desks share one schema, checked at every sign-in: a desk
whose PharmDesk is older than the schema refuses ("update this PC"), and the first newer
desk upgrades it while holding a session-level advisory lock (``MIGRATION_LOCK``), so two
new desks never migrate at once: the second waits, then finds the work done.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import ProgrammingError

from pharmdesk import __version__
from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup, migrate

# pg_advisory_lock's key for "a desk is upgrading this server database's schema".
MIGRATION_LOCK = 0x5048_4D44_5550_4752  # "PHMDUPGR"
UPGRADED = "upgraded"
UPGRADED_ELSEWHERE = "upgradedElsewhere"
WAITING = (
    "Another desk is upgrading the branch server's database for a newer PharmDesk; "
    "waiting for it to finish."
)
DONE_ELSEWHERE = "Another desk upgraded the branch server's database meanwhile; nothing to do."
SERVER_SAFETY_COPY = (
    "Upgrading the branch server's database from schema {current} to {head}, after a "
    "verified backup of it: {file}"
)
SERVER_UPGRADE_NEEDS_DESK = (
    "The branch server's database must be upgraded for this PharmDesk, and first backed "
    "up; that backup is made when a desk signs in. Sign in at a desk joined to the server "
    "(with this PharmDesk version). Nothing was changed."
)
log = logging.getLogger(__name__)


def upgrade(engine: Engine, files: DatabaseFiles | None = None) -> str:
    """Bring the schema to the newest revision, in one transaction.

    An existing database file at an older revision first gets a verified backup beside
    it, named with that revision (``backup.pre_upgrade_backup``); when that fails,
    nothing is upgraded and the person is told why (an older PharmDesk still opens the
    file). A server database is upgraded under ``MIGRATION_LOCK`` (``_upgrade_server``),
    after a verified server backup in the desk's folder for it (``files``: the desk's
    side files for the server; without them an existing schema is not upgraded).
    """
    if engine.dialect.name == "postgresql":
        return _upgrade_server(engine, files)
    current = migrate.current_revision(engine)
    if current is not None and current != migrate.SCHEMA_HEAD:
        _backup_before_upgrade(engine, current)
    migrate.run_chain(engine)
    return UPGRADED


def _upgrade_server(engine: Engine, files: DatabaseFiles | None) -> str:
    """Upgrade while holding the session-level migration lock; a desk that had to wait
    reads the revision again and finds the schema already upgraded. An existing schema
    is first backed up and the backup verified, under the lock (so once)."""
    # Autocommit: the lock is held by the session, outside any transaction, so the
    # upgrade's own transaction (on another connection) is not queued behind it.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        _take_migration_lock(conn)
        try:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except ProgrammingError:  # a brand-new database: no schema yet
            current = None
        try:
            if current == migrate.SCHEMA_HEAD:
                log.warning(DONE_ELSEWHERE)
                return UPGRADED_ELSEWHERE
            if current is not None and migrate.is_newer_than_this_pharmdesk(current):
                raise migrate.refuse_newer(engine, current)
            if current is not None:
                copy = _backup_server_before_upgrade(engine, files, current)
                log.warning(
                    SERVER_SAFETY_COPY.format(current=current, head=migrate.SCHEMA_HEAD, file=copy)
                )
            migrate.run_chain(engine)
            return UPGRADED
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})


def _take_migration_lock(conn: Connection) -> None:
    taken = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
    if taken.scalar():
        return
    log.warning(WAITING)
    # An upgrade may take longer than an operation's lock wait: wait for it to end.
    conn.exec_driver_sql("SET lock_timeout = 0")
    try:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
    finally:
        conn.exec_driver_sql("RESET lock_timeout")


def _backup_server_before_upgrade(
    engine: Engine, files: DatabaseFiles | None, revision: str
) -> Path:
    if files is None or files.server is None:
        raise PharmDeskError(DATABASE_ERROR, SERVER_UPGRADE_NEEDS_DESK)
    try:
        return backup.pre_upgrade_server_backup(files, engine, revision, app_version=__version__)
    except PharmDeskError as exc:
        raise PharmDeskError(
            exc.code,
            "This version of PharmDesk must upgrade the branch server's database, and first "
            f"makes a verified backup of it, which failed: {exc.message} The server's "
            "database was not changed; the desks with the older PharmDesk keep working.",
        ) from None


def _backup_before_upgrade(engine: Engine, revision: str) -> None:
    try:
        backup.pre_upgrade_backup(engine, revision, app_version=__version__)
    except PharmDeskError as exc:
        raise PharmDeskError(
            exc.code,
            "This version of PharmDesk must upgrade the database, and first writes a "
            f"safety backup beside it, which failed: {exc.message} The database was not "
            "changed. Free some space on the drive (or make its folder writable) and open "
            "PharmDesk again.",
        ) from None
