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


def _search(desk: DeskSession, text_: str) -> list[str]:
    return [row["name"] for row in desk.call("fetchCustomers", {"search": text_})["customers"]]


def test_the_orm_and_the_migrations_declare_the_same_schema(admin: DeskSession) -> None:
    """Autogenerate finds nothing to do: every index of schema.py is made by a migration
    (0003's included) and no migration made one that schema.py does not declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from pharmdesk.store.schema import Base

    def include(_obj: object, name: str | None, kind: str, _r: bool, _c: object) -> bool:
        return not (kind == "table" and (name or "").startswith("customer_search"))

    with admin.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        assert compare_metadata(context, Base.metadata) == []


def test_0003_and_0004_indexes_exist_and_the_search_triggers_survive(
    admin: DeskSession,
) -> None:
    """0003 and 0004 only add and drop indexes, so the customer table keeps 0002's
    triggers."""
    with admin.db.engine.connect() as conn:
        names = set(
            conn.execute(text("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')"))
            .scalars()
            .all()
        )
    assert {"ix_customer_condition_key", "ix_customer_birth", "ix_subscription_resume"} <= names
    assert "ix_customer_condition_label_key" not in names
    assert {"customer_search_insert", "customer_search_update", "customer_search_delete"} <= names
    admin.call("addProviderCustomer", {"name": "Zainab Oyelaran", "phone": "08031112222"})
    assert _search(admin, "oyelaran") == ["Zainab Oyelaran"]


def test_upgrading_a_0002_database_to_the_head(admin: DeskSession) -> None:
    """A database made at 0002 (old index, data in it) upgrades in place: indexes swapped,
    data and search kept; and 0003 downgrades back to 0002's indexes."""
    from alembic import command

    admin.call(
        "addProviderCustomer",
        {"name": "Kelechi Amadi", "phone": "08035550000", "medicalConditions": ["Asthma"]},
    )
    engine = admin.db.engine

    def index_names() -> set[str]:
        with engine.connect() as conn:
            return set(
                conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
                .scalars()
                .all()
            )

    config = migrate._config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    assert migrate.current_revision(engine) == "0002"
    assert "ix_customer_condition_label_key" in index_names()
    assert not {"ix_customer_condition_key", "ix_customer_birth"} & index_names()
    assert migrate.needs_upgrade(engine) is True
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.SCHEMA_HEAD
    assert {"ix_customer_condition_key", "ix_customer_birth"} <= index_names()
    found = admin.call("getCustomersByCondition", {"condition": "asthma"})
    assert [row["name"] for row in found["customers"]] == ["Kelechi Amadi"]
    assert _search(admin, "amadi") == ["Kelechi Amadi"]
