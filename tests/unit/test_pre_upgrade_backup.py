"""Before a schema upgrade, a verified backup beside the database, named with the old
revision; when it cannot be written, no upgrade (the file stays at its old revision)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from pharmdesk.controllers.backups import chain_check
from pharmdesk.controllers.session import open_database
from pharmdesk.errors import DISK_FULL, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup, migrate, upgrade
from pharmdesk.store.backup import pre_upgrade
from pharmdesk.store.engine import KEY_BYTES, make_engine, open_engine
from pharmdesk.store.vault import Vault
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF


def old_database(folder: Path) -> tuple[DatabaseFiles, bytes]:
    """A database at revision 0001 (the first head) with its vault and a row in it."""
    files = DatabaseFiles(folder / "pharmdesk.db")
    key = os.urandom(KEY_BYTES)
    engine = make_engine(files.db, key)
    config = migrate._config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            text("INSERT INTO setting (key, value) VALUES ('branchName', :value)"),
            {"value": '"Old Branch"'},
        )
    engine.dispose()
    Vault(files.vault, TEST_KDF).create(key, ADMIN, ADMIN_PASSWORD)
    return files, key


def revision_of(files: DatabaseFiles, key: bytes) -> str | None:
    engine = open_engine(files.db, key)
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


def safety_copies(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{backup.PRE_UPGRADE_MARK}*"))


def test_opening_an_old_database_writes_a_verified_backup_first(tmp_path: Path) -> None:
    files, key = old_database(tmp_path)
    db = open_database(files, key)
    try:
        assert migrate.current_revision(db.engine) == migrate.SCHEMA_HEAD
    finally:
        db.close()
    (copy,) = safety_copies(tmp_path)
    assert copy.name.startswith("pharmdesk.db.before-upgrade-from-schema-0001-")
    assert copy.suffix == ".pdbak"
    checked = backup.verify_archive(copy, key, chain_check)
    assert checked.manifest.schema_revision == "0001"
    assert checked.verified.schema_revision == "0001"
    assert checked.manifest.row_counts["setting"] == 1
    # A normal backup file: the vault inside still opens it with the same password.
    archive_dir = tmp_path / "unpack"
    archive_dir.mkdir()
    assert backup.BackupArchive(copy, archive_dir).unlock(ADMIN, ADMIN_PASSWORD, TEST_KDF) == key
    # Opening again (now current) writes nothing more.
    open_database(files, key).close()
    assert safety_copies(tmp_path) == [copy]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_failing_safety_backup_refuses_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, key = old_database(tmp_path)

    def full_drive(_raw: object, _copy: Path) -> dict[str, int]:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pre_upgrade, "_export_copy", full_drive)
    with pytest.raises(PharmDeskError) as info:
        open_database(files, key)
    assert info.value.code == DISK_FULL
    assert "safety backup" in info.value.message
    assert "was not changed" in info.value.message
    assert revision_of(files, key) == "0001"
    assert safety_copies(tmp_path) == []
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_unwritable_folder_refuses_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, key = old_database(tmp_path)

    def refused(_beside: Path) -> object:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(pre_upgrade, "staging_folder", refused)
    with pytest.raises(PharmDeskError) as info:
        open_database(files, key)
    assert "safety backup" in info.value.message
    assert revision_of(files, key) == "0001"
    assert safety_copies(tmp_path) == []


def test_a_missing_key_file_refuses_the_upgrade(tmp_path: Path) -> None:
    files, key = old_database(tmp_path)
    files.vault.unlink()
    with pytest.raises(PharmDeskError) as info:
        open_database(files, key)
    assert "key file" in info.value.message
    assert revision_of(files, key) == "0001"


def test_a_new_database_needs_no_safety_backup(db_files: DatabaseFiles) -> None:
    # The shared template was created through upgrade.upgrade from nothing.
    assert safety_copies(db_files.db.parent) == []


def test_the_safety_copy_keeps_the_search_index(admin, tmp_path: Path) -> None:
    """A database at 0002 (with the FTS5 search index and data) is copied whole: the
    restored copy still finds the customer by a piece of the name."""
    if migrate.SCHEMA_HEAD == "0002":
        pytest.skip("needs a migration after 0002")
    admin.call("addProviderCustomer", {"name": "Kelechi Amadi", "phone": "08035550000"})
    engine = admin.db.engine
    config = migrate._config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    upgrade.upgrade(engine)
    folder = admin.files.db.parent
    (copy,) = safety_copies(folder)
    assert "-from-schema-0002-" in copy.name
    checked = backup.verify_archive(copy, admin.key, chain_check)
    assert checked.manifest.row_counts["customer"] == 1
    unpack = tmp_path / "unpack"
    unpack.mkdir()
    archive = backup.BackupArchive(copy, unpack)
    archive.extract_database()
    restored = open_engine(archive.files.db, admin.key)
    try:
        with restored.connect() as conn:
            found = conn.execute(
                text("SELECT rowid FROM customer_search WHERE customer_search MATCH :q"),
                {"q": '"amadi"'},
            ).all()
    finally:
        restored.dispose()
    assert len(found) == 1
