"""The fast up-to-date check agrees with Alembic, and a newer file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import migrate, upgrade
from tests.conftest import ADMIN_PASSWORD, TEST_KDF


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
    """Autogenerate finds nothing to do: every index of the schema is made by a migration
    (0003's included) and no migration made one that the schema does not declare."""
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
    upgrade.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.SCHEMA_HEAD
    assert {"ix_customer_condition_key", "ix_customer_birth"} <= index_names()
    found = admin.call("getCustomersByCondition", {"condition": "asthma"})
    assert [row["name"] for row in found["customers"]] == ["Kelechi Amadi"]
    assert _search(admin, "amadi") == ["Kelechi Amadi"]


def _database_at_0004(folder: Path) -> tuple[DatabaseFiles, bytes]:
    """A database as the previous version left it: schema 0004, a format-1 audit chain
    (one entry viewing CUST-7), an admin and a front-desk account, its checkpoint."""
    import datetime as dt
    import os

    from alembic import command as alembic_command

    from pharmdesk.controllers import audit
    from pharmdesk.store.engine import KEY_BYTES, make_engine
    from pharmdesk.store.vault import Vault

    files = DatabaseFiles(folder / "pharmdesk.db")
    key = os.urandom(KEY_BYTES)
    engine = make_engine(files.db, key)
    config = migrate._config()
    at = dt.datetime(2026, 4, 18, 11, 0, 0)
    prev = audit.GENESIS
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        alembic_command.upgrade(config, "0004")
        for name, role in (("admin", "admin"), ("femi", "frontdesk")):
            conn.execute(
                text(
                    "INSERT INTO staff (username, full_name, role, disabled, "
                    "must_change_password, created_at) VALUES (:u, :u, :r, 0, 0, :at)"
                ),
                {"u": name, "r": role, "at": at},
            )
        for entry_id, action, entity in ((1, "staff", None), (2, "view", "CUST-7")):
            kind = "customer" if entity else "staff"
            digest = audit.entry_hash(
                entry_id, at, "admin", action, kind, entity, "success", "{}", prev
            )
            conn.execute(
                text(
                    "INSERT INTO audit_entry (id, at, user, action, entity_type, entity_id, "
                    "outcome, detail, prev_hash, hash) VALUES "
                    "(:id, :at, 'admin', :action, :kind, :entity, 'success', '{}', :prev, :hash)"
                ),
                {"id": entry_id, "at": at, "action": action, "kind": kind, "entity": entity,
                 "prev": prev, "hash": digest},
            )  # fmt: skip
            prev = digest
    engine.dispose()
    vault = Vault(files.vault, TEST_KDF)
    vault.create(key, "admin", ADMIN_PASSWORD)
    vault.set_staff_password("femi", "femi likes long walks 2026", key)
    audit.write_checkpoint(files.checkpoint, audit.Checkpoint(2, prev))
    return files, key


def test_a_0004_database_upgrades_its_audit_log(tmp_path: Path) -> None:
    """Old entries verify as before; entries from the upgrade on are format 2, sealed
    from the first admin sign-in; "who has seen" covers the old entries too."""
    from pharmdesk.clock import FixedClock
    from pharmdesk.controllers.session import sign_in
    from pharmdesk.store.schema import AuditEntry

    files, _key = _database_at_0004(tmp_path)
    clock = FixedClock()
    femi = sign_in(files, "femi", "femi likes long walks 2026", clock=clock, kdf=TEST_KDF)
    femi.call("fetchCustomers")
    assert femi.seal is None
    femi.sign_out()
    admin = sign_in(files, "admin", ADMIN_PASSWORD, clock=clock, kdf=TEST_KDF)
    try:
        with admin.db.transaction() as tx:
            rows = tx.execute(
                select(AuditEntry.id, AuditEntry.action, AuditEntry.detail_hash, AuditEntry.epoch)
            ).all()
        assert [(r.detail_hash is None, r.epoch is None) for r in rows[:2]] == [(True, True)] * 2
        assert all(r.detail_hash is not None for r in rows[2:])  # format 2 from the upgrade
        unsealed = [r.action for r in rows[2:] if r.epoch is None]
        assert unsealed == ["signIn", "list", "signOut"]  # femi's, before an admin came
        assert admin.seal is not None and admin.seal.start == rows[-1].id
        answer = admin.call("verifyAuditLog")
        assert (answer["ok"], answer["checked"], answer["sealed"]) == (True, len(rows), 1)
        seen = admin.call("fetchAuditLog", {"customerId": "CUST-7"})["entries"]
        assert [(e["id"], e["action"]) for e in seen] == [("AUD-2", "view")]
    finally:
        admin.close()
