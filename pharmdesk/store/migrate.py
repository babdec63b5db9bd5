"""Schema upgrades on open, through the one Alembic chain in ``migrations/``.

Opening an up-to-date database (every sign-in, every ``pharmdesk call``) only reads the
stored revision and compares it with ``SCHEMA_HEAD``; Alembic itself is imported only
when there is something to upgrade or a revision to recognise.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (tests/unit/test_migrate.py keeps it honest).
SCHEMA_HEAD = "0008"


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migration chain must have one head, found {heads}")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError):  # no table yet: a brand-new database
            return None


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return {rev.revision for rev in script.walk_revisions()}


def needs_upgrade(engine: Engine) -> bool:
    current = current_revision(engine)
    if current == SCHEMA_HEAD:
        return False
    if current is not None and current not in known_revisions():
        raise PharmDeskError(
            DATABASE_ERROR,
            "This database was written by a newer version of PharmDesk. Install that "
            "version (or newer) on this PC; nothing was changed.",
        )
    return True


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision, in one transaction.

    An existing database at an older revision first gets a verified backup beside it,
    named with that revision (``backup.pre_upgrade_backup``); when that fails, nothing
    is upgraded and the person is told why (an older PharmDesk still opens the file).
    """
    from alembic import command

    current = current_revision(engine)
    if current is not None and current != SCHEMA_HEAD:
        _backup_before_upgrade(engine, current)
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _backup_before_upgrade(engine: Engine, revision: str) -> None:
    from pharmdesk import __version__
    from pharmdesk.store import backup

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
