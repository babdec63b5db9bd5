"""The one Alembic chain in ``migrations/``: which revision a database is at, whether
this PharmDesk knows it, and running the chain. ``store.upgrade`` decides when (after
which backup) the chain runs; backups read revisions here and never upgrade.

Opening an up-to-date database (every sign-in, every ``pharmdesk call``) only reads the
stored revision and compares it with ``SCHEMA_HEAD``; Alembic itself is imported only
when there is something to upgrade or a revision to recognise.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError

if TYPE_CHECKING:
    from alembic.config import Config


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (tests/unit/test_migrate.py keeps it honest).
SCHEMA_HEAD = "0011"
FILE_TOO_NEW = (
    "This database was written by a newer version of PharmDesk. Install that "
    "version (or newer) on this PC; nothing was changed."
)
UPDATE_THIS_PC = (
    "The branch server's database was upgraded by a newer PharmDesk (schema {current}; "
    "the PharmDesk on this PC knows schema {head}). Update this PC: install the PharmDesk "
    "version the other desks use, then sign in again. Nothing was changed."
)
log = logging.getLogger(__name__)


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


def chain() -> list[str]:
    """Every known revision, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def is_newer_than_this_pharmdesk(revision: str) -> bool:
    """A schema this PharmDesk's code (``SCHEMA_HEAD``) does not know how to work with."""
    known = chain()
    return revision not in known or known.index(revision) > known.index(SCHEMA_HEAD)


def refuse_newer(engine: Engine, revision: str) -> PharmDeskError:
    if engine.dialect.name == "postgresql":
        return PharmDeskError(
            DATABASE_ERROR, UPDATE_THIS_PC.format(current=revision, head=SCHEMA_HEAD)
        )
    return PharmDeskError(DATABASE_ERROR, FILE_TOO_NEW)


def needs_upgrade(engine: Engine) -> bool:
    """False when the schema is this PharmDesk's; refuses one newer than it."""
    current = current_revision(engine)
    if current == SCHEMA_HEAD:
        return False
    if current is not None and is_newer_than_this_pharmdesk(current):
        raise refuse_newer(engine, current)
    return True


def run_chain(engine: Engine) -> None:
    """Every revision this database lacks, in one transaction (no backup first: the
    callers that need one are in ``store.upgrade``)."""
    from alembic import command

    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
