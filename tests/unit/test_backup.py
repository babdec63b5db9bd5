"""store/backup.py: the encrypted copy, its checks, the archive, putting files in place."""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pharmdesk.controllers import audit
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup
from pharmdesk.store.engine import DatabaseOpenError, open_engine
from tests.conftest import ADMIN, ADMIN_PASSWORD

STAMP = dt.datetime(2026, 4, 18, 12, 0, tzinfo=dt.UTC)


def chain_ok(tx: Session, checkpoint: dict[str, Any] | None) -> str | None:
    stored = audit.Checkpoint.from_json(checkpoint) if checkpoint else None
    report = audit.verify_chain(tx, stored)
    return None if report.ok else report.reason


@pytest.fixture
def desk(admin: DeskSession) -> DeskSession:
    admin.call("addProviderCustomer", {"name": "Bisi Alabi", "phone": "08031234567"})
    return admin


def make_backup(desk: DeskSession, target: Path, **kwargs: Any) -> backup.Manifest:
    stored = audit.read_checkpoint(desk.files.checkpoint)
    return backup.create_backup(
        desk.db.engine,
        desk.files,
        desk.key,
        target,
        created_at="2026-04-18T12:00:00Z",
        app_version="0.1.0",
        chain_check=chain_ok,
        stored_checkpoint=stored.to_json() if stored else None,
        **kwargs,
    )


def test_copy_is_encrypted_with_the_same_key_and_counts(desk: DeskSession, tmp_path: Path):
    copy = tmp_path / "copy.db"
    counts = backup.copy_database(desk.db.engine, desk.key, copy)
    assert counts["customer"] == 1
    assert not copy.read_bytes().startswith(backup.SQLITE_PLAINTEXT_HEADER)
    assert b"Bisi" not in copy.read_bytes()
    verified = backup.verify_copy(
        copy, desk.key, expected_counts=counts, checkpoint=None, chain_check=chain_ok
    )
    assert verified.row_counts == counts
    assert verified.head is not None and verified.head["id"] >= 3
    assert verified.schema_revision
    assert not DatabaseFiles(copy).wal.exists()


def test_copy_does_not_open_with_another_key(desk: DeskSession, tmp_path: Path):
    copy = tmp_path / "copy.db"
    backup.copy_database(desk.db.engine, desk.key, copy)
    with pytest.raises(DatabaseOpenError):
        open_engine(copy, os.urandom(32)).dispose()


def test_copy_reports_progress(desk: DeskSession, tmp_path: Path):
    seen: list[tuple[str, int, int]] = []
    backup.copy_database(desk.db.engine, desk.key, tmp_path / "c.db", lambda *a: seen.append(a))
    assert seen and seen[-1][1] == seen[-1][2] > 0


def test_verify_notices_different_counts(desk: DeskSession, tmp_path: Path):
    copy = tmp_path / "copy.db"
    counts = backup.copy_database(desk.db.engine, desk.key, copy)
    with pytest.raises(PharmDeskError, match="same number of rows"):
        backup.verify_copy(
            copy,
            desk.key,
            expected_counts={**counts, "customer": 2},
            checkpoint=None,
            chain_check=chain_ok,
        )


def test_verify_runs_the_chain_check_with_the_checkpoint(desk: DeskSession, tmp_path: Path):
    copy = tmp_path / "copy.db"
    backup.copy_database(desk.db.engine, desk.key, copy)
    given: list[Any] = []

    def failing(tx: Session, checkpoint: dict[str, Any] | None) -> str | None:
        given.append(checkpoint)
        return "the chain was rewritten"

    with pytest.raises(PharmDeskError, match="audit log in the copy does not verify"):
        backup.verify_copy(
            copy, desk.key, expected_counts=None, checkpoint={"id": 1, "hash": "x"},
            chain_check=failing,
        )  # fmt: skip
    assert given == [{"id": 1, "hash": "x"}]


def test_verify_catches_a_changed_page(desk: DeskSession, tmp_path: Path):
    copy = tmp_path / "copy.db"
    backup.copy_database(desk.db.engine, desk.key, copy)
    data = bytearray(copy.read_bytes())
    data[4096 * 2 + 100] ^= 0x01  # one bit in the third page
    copy.write_bytes(bytes(data))
    with pytest.raises(PharmDeskError) as caught:
        backup.verify_copy(
            copy, desk.key, expected_counts=None, checkpoint=None, chain_check=chain_ok
        )
    assert caught.value.code == "DATABASE_ERROR"


def test_verify_refuses_a_plaintext_file(tmp_path: Path):
    plain = tmp_path / "plain.db"
    plain.write_bytes(backup.SQLITE_PLAINTEXT_HEADER + b"\x00" * 100)
    with pytest.raises(PharmDeskError, match="not encrypted"):
        backup.verify_copy(
            plain, os.urandom(32), expected_counts=None, checkpoint=None, chain_check=chain_ok
        )


def test_create_backup_writes_one_archive_atomically(desk: DeskSession, tmp_path: Path):
    target = tmp_path / "b.pdbak"
    stages: list[str] = []
    manifest = make_backup(desk, target, progress=lambda stage, _d, _t: stages.append(stage))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.pdbak", "db"]
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
        stored = json.loads(zf.read(backup.MANIFEST))
    assert stored == manifest.to_json()
    assert manifest.checkpoint is not None
    assert "Copying the encrypted database" in stages and "Checking the copy" in stages


def test_create_backup_refuses_an_existing_file(desk: DeskSession, tmp_path: Path):
    target = tmp_path / "b.pdbak"
    target.write_bytes(b"keep me")
    with pytest.raises(PharmDeskError) as caught:
        make_backup(desk, target)
    assert caught.value.field == "file"
    assert target.read_bytes() == b"keep me"


def test_create_backup_leaves_nothing_when_verification_fails(desk: DeskSession, tmp_path):
    def failing(tx: Session, checkpoint: dict[str, Any] | None) -> str | None:
        return "broken"

    target = tmp_path / "out" / "b.pdbak"
    target.parent.mkdir()
    stored = audit.read_checkpoint(desk.files.checkpoint)
    with pytest.raises(PharmDeskError):
        backup.create_backup(
            desk.db.engine,
            desk.files,
            desk.key,
            target,
            created_at="2026-04-18T12:00:00Z",
            app_version="0.1.0",
            chain_check=failing,
            stored_checkpoint=stored.to_json() if stored else None,
        )
    assert list(target.parent.iterdir()) == []


def test_place_new_file_never_overwrites(tmp_path: Path):
    source, target = tmp_path / "new", tmp_path / "old"
    source.write_bytes(b"new")
    target.write_bytes(b"old")
    with pytest.raises(PharmDeskError):
        backup.place_new_file(source, target)
    assert target.read_bytes() == b"old"
    target.unlink()
    backup.place_new_file(source, target)
    assert target.read_bytes() == b"new" and not source.exists()


def test_place_new_file_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def no_links(_src: Any, _dst: Any) -> None:
        raise PermissionError("this file system has no hard links")

    monkeypatch.setattr(os, "link", no_links)
    source, target = tmp_path / "new", tmp_path / "old"
    source.write_bytes(b"new")
    target.write_bytes(b"old")
    with pytest.raises(PharmDeskError):
        backup.place_new_file(source, target)
    assert target.read_bytes() == b"old"
    target.unlink()
    backup.place_new_file(source, target)
    assert target.read_bytes() == b"new"


def test_manifest_round_trip_and_refusals():
    manifest = backup.Manifest("0.1.0", "0001", "2026-04-18T12:00:00Z", {"customer": 3}, 10,
                               "ab" * 32, {"id": 4, "hash": "cd" * 32})  # fmt: skip
    assert backup.Manifest.from_json(manifest.to_json()) == manifest
    with pytest.raises(PharmDeskError, match="not a PharmDesk backup"):
        backup.Manifest.from_json({"format": "zip"})
    with pytest.raises(PharmDeskError, match="newer PharmDesk"):
        backup.Manifest.from_json({**manifest.to_json(), "formatVersion": 2})
    incomplete = manifest.to_json()
    del incomplete["rowCounts"]
    with pytest.raises(PharmDeskError, match="incomplete"):
        backup.Manifest.from_json(incomplete)


def test_archive_unlock_extract_verify(desk: DeskSession, tmp_path: Path):
    target = tmp_path / "b.pdbak"
    make_backup(desk, target)
    staging = tmp_path / "staging"
    staging.mkdir()
    archive = backup.BackupArchive(target, staging)
    assert archive.unlock(ADMIN, "wrong password, surely not") is None
    key = archive.unlock(ADMIN, ADMIN_PASSWORD)
    assert key == desk.key
    archive.extract_database()
    verified = archive.verify(key, chain_ok)
    assert verified.row_counts["customer"] == 1


def test_archive_with_a_missing_member(desk: DeskSession, tmp_path: Path):
    target = tmp_path / "b.pdbak"
    make_backup(desk, target)
    partial = tmp_path / "partial.pdbak"
    with zipfile.ZipFile(target) as src, zipfile.ZipFile(partial, "w") as dst:
        for name in src.namelist():
            if name != backup.VAULT:
                dst.writestr(name, src.read(name))
    with pytest.raises(PharmDeskError, match="missing"):
        backup.BackupArchive(partial, tmp_path)


def test_archive_checksum_failure(desk: DeskSession, tmp_path: Path):
    target = tmp_path / "b.pdbak"
    make_backup(desk, target)
    data = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as zf:
        info = zf.getinfo(backup.VAULT)
    data[info.header_offset + 30 + len(info.filename) + 5] ^= 0x20
    target.write_bytes(bytes(data))
    with pytest.raises(PharmDeskError) as caught:
        backup.BackupArchive(target, tmp_path)
    assert caught.value.code == "DATABASE_ERROR"


def test_extract_checks_the_manifest_digest(desk: DeskSession, tmp_path: Path):
    target = tmp_path / "b.pdbak"
    make_backup(desk, target)
    with zipfile.ZipFile(target) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(members[backup.MANIFEST])
    manifest["databaseSha256"] = "0" * 64
    members[backup.MANIFEST] = json.dumps(manifest).encode()
    forged = tmp_path / "forged.pdbak"
    with zipfile.ZipFile(forged, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    staging = tmp_path / "s"
    staging.mkdir()
    archive = backup.BackupArchive(forged, staging)
    with pytest.raises(PharmDeskError, match="does not match its manifest"):
        archive.extract_database()


def test_aside_name_keeps_sidecars_paired_and_never_collides(tmp_path: Path):
    db = tmp_path / "pharmdesk.db"
    first = backup.aside_name(db, STAMP)
    assert first.db.name == "pharmdesk.replaced-20260418T120000Z.db"
    assert first.wal.name == "pharmdesk.replaced-20260418T120000Z.db-wal"
    first.vault.write_text("{}")
    second = backup.aside_name(db, STAMP)
    assert second.db.name == "pharmdesk.replaced-20260418T120000Z-2.db"


def staged_files(folder: Path) -> DatabaseFiles:
    folder.mkdir()
    staged = DatabaseFiles(folder / "restored.db")
    staged.db.write_bytes(b"new db")
    staged.vault.write_bytes(b"new vault")
    staged.checkpoint.write_bytes(b"new checkpoint")
    return staged


def current_files(folder: Path) -> DatabaseFiles:
    folder.mkdir()
    current = DatabaseFiles(folder / "pharmdesk.db")
    for path in (current.db, current.wal, current.shm, current.vault, current.checkpoint):
        path.write_bytes(f"old {path.name}".encode())
    return current


def test_install_refuses_without_replace(tmp_path: Path):
    staged = staged_files(tmp_path / "staged")
    current = current_files(tmp_path / "live")
    with pytest.raises(PharmDeskError) as caught:
        backup.install(staged, current, replace=False, now=STAMP)
    assert caught.value.field == "db"
    assert current.db.read_bytes() == b"old pharmdesk.db"


def test_install_with_replace_moves_aside_then_places(tmp_path: Path):
    staged = staged_files(tmp_path / "staged")
    current = current_files(tmp_path / "live")
    moved = backup.install(staged, current, replace=True, now=STAMP)
    assert len(moved) == 5
    assert current.db.read_bytes() == b"new db"
    assert not current.wal.exists() and not current.shm.exists()
    aside = backup.aside_name(current.db, STAMP)  # the next free name now has "-2"
    assert all("replaced-20260418T120000Z" in p.name for p in moved)
    assert aside.db.name.endswith("-2.db")
    assert (tmp_path / "live" / "pharmdesk.replaced-20260418T120000Z.db-wal").read_bytes() == (
        b"old pharmdesk.db-wal"
    )


def test_install_rolls_back_when_a_rename_fails(tmp_path: Path, monkeypatch):
    staged = staged_files(tmp_path / "staged")
    current = current_files(tmp_path / "live")
    before = {p.name: p.read_bytes() for p in (tmp_path / "live").iterdir()}
    real_replace = os.replace
    calls: list[Any] = []

    def flaky(src: Any, dst: Any) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(PharmDeskError) as caught:
        backup.install(staged, current, replace=True, now=STAMP)
    assert caught.value.code == "DATABASE_ERROR"
    assert {p.name: p.read_bytes() for p in (tmp_path / "live").iterdir()} == before
