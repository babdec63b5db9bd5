"""The fast up-to-date check agrees with Alembic, and a newer file is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.store import migrate


def test_schema_head_is_the_chains_only_head() -> None:
    assert migrate.head_revision() == migrate.SCHEMA_HEAD


def test_a_current_database_needs_nothing(admin: DeskSession) -> None:
    assert migrate.current_revision(admin.db.engine) == migrate.SCHEMA_HEAD
    assert migrate.needs_upgrade(admin.db.engine) is False


def test_a_database_from_a_newer_version_is_refused(admin: DeskSession) -> None:
    with admin.db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(PharmDeskError) as info:
        migrate.needs_upgrade(admin.db.engine)
    assert "newer version of PharmDesk" in info.value.message
