"""``pharmdesk backup`` and ``pharmdesk restore``: one encrypted, verified file, and back."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup
from pharmdesk.store.schema import AuditEntry
from tests.cli.conftest import Run, digests
from tests.conftest import ADMIN, ADMIN_PASSWORD

CUSTOMER = {
    "name": "Ngozi Eze-Adebayo",
    "phone": "0803 123 4567",
    "address": "12 Admiralty Way, Lekki",
    "allergies": ["Sulfonamides"],
}


def entries(files: DatabaseFiles, action: str) -> list[AuditEntry]:
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD)
    try:
        with desk.db.transaction() as tx:
            return list(tx.scalars(select(AuditEntry).where(AuditEntry.action == action)))
    finally:
        desk.close()


@pytest.fixture
def with_customer(admin: DeskSession) -> DeskSession:
    admin.call("addProviderCustomer", CUSTOMER)
    return admin


@pytest.fixture
def made_backup(run: Run, db_files: DatabaseFiles, with_customer: DeskSession, tmp_path: Path):
    target = tmp_path / "backups" / "monday.pdbak"
    target.parent.mkdir()
    result = run("backup", str(target), f"--db={db_files.db}")
    assert result.code == 0, result.out
    return target


def test_backup_is_one_verified_encrypted_file(
    run: Run, db_files: DatabaseFiles, made_backup: Path
):
    with zipfile.ZipFile(made_backup) as zf:
        assert sorted(zf.namelist()) == sorted(backup.MEMBERS)
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())
        manifest = json.loads(zf.read(backup.MANIFEST))
        database = zf.read(backup.DATABASE)
        assert zf.read(backup.VAULT) == db_files.vault.read_bytes()
    assert manifest["format"] == "pharmdesk-backup"
    assert manifest["rowCounts"]["customer"] == 1
    assert manifest["rowCounts"]["customer_allergy"] == 1
    assert manifest["schemaRevision"]
    assert not database.startswith(b"SQLite format 3")
    raw = made_backup.read_bytes()
    for secret in (b"Ngozi", b"Eze-Adebayo", b"2348031234567", b"Admiralty", b"Sulfonamides"):
        assert secret not in raw
    assert list(made_backup.parent.iterdir()) == [made_backup]  # no temp files left


def test_backup_answer_and_audit_entry(run: Run, db_files: DatabaseFiles, made_backup: Path):
    written = entries(db_files, "backup")
    assert [(e.outcome, e.user) for e in written] == [("success", ADMIN)]
    detail = json.loads(written[0].detail)
    assert detail["file"] == str(made_backup)
    assert detail["rows"]["customer"] == 1


def test_backup_then_restore_round_trip(
    run: Run, db_files: DatabaseFiles, made_backup: Path, tmp_path: Path
):
    target = DatabaseFiles(tmp_path / "elsewhere" / "restored.db")
    result = run("restore", str(made_backup), f"--db={target.db}")
    assert result.code == 0, result.out
    assert result.json["restoredTo"] == str(target.db)
    assert result.json["movedAside"] == []
    found = run("call", "fetchCustomers", '{"search": "ngozi"}', f"--db={target.db}")
    assert found.json["customers"][0]["phone"] == "+2348031234567"
    restored = entries(target, "restore")
    assert [(e.user, e.outcome) for e in restored] == [(ADMIN, "success")]
    assert json.loads(restored[0].detail)["replace"] is False
    verify = run("audit", "verify", f"--db={target.db}")
    assert verify.code == 0
    assert verify.json["ok"] is True
    # (Lock files aside: every sign-in takes the key file's lock, see revocation.open_live.)
    kept = [p.name for p in target.db.parent.iterdir() if not p.name.endswith(".lock")]
    assert sorted(n for n in kept if "attempts" not in n) == [
        "restored.db",
        "restored.db.checkpoint",
        "restored.db.vault",
    ]


def test_pharmacist_may_back_up(run: Run, db_files, make_staff, tmp_path: Path, monkeypatch):
    make_staff("ngozi", "pharmacist").close()
    monkeypatch.setenv("PHARMDESK_USER", "ngozi")
    monkeypatch.setenv("PHARMDESK_PASSWORD", "ngozi likes long walks 2026")
    assert run("backup", str(tmp_path / "b.pdbak"), f"--db={db_files.db}").code == 0


def test_frontdesk_may_not_back_up(run: Run, db_files, make_staff, tmp_path: Path, monkeypatch):
    make_staff("femi", "frontdesk").close()
    monkeypatch.setenv("PHARMDESK_USER", "femi")
    monkeypatch.setenv("PHARMDESK_PASSWORD", "femi likes long walks 2026")
    result = run("backup", str(tmp_path / "b.pdbak"), f"--db={db_files.db}")
    assert result.code == 1
    assert result.error["code"] == "PERMISSION_DENIED"
    assert not (tmp_path / "b.pdbak").exists()
    denied = entries(db_files, "denied")
    assert [(e.user, json.loads(e.detail)["operation"]) for e in denied] == [("femi", "backup")]


def test_backup_never_overwrites(run: Run, db_files: DatabaseFiles, made_backup: Path):
    before = digests(made_backup.parent)
    result = run("backup", str(made_backup), f"--db={db_files.db}")
    assert result.code == 1
    assert result.error["field"] == "file"
    assert digests(made_backup.parent) == before


def test_backup_into_a_missing_folder_is_refused_and_audited(
    run: Run, db_files: DatabaseFiles, tmp_path: Path
):
    result = run("backup", str(tmp_path / "no-usb" / "b.pdbak"), f"--db={db_files.db}")
    assert result.code == 1
    assert result.error["field"] == "file"
    assert not (tmp_path / "no-usb").exists()
    assert [e.outcome for e in entries(db_files, "backup")] == ["failed"]


def test_restore_refuses_an_existing_database(run: Run, db_files: DatabaseFiles, made_backup: Path):
    before = digests(db_files.db.parent)
    result = run("restore", str(made_backup), f"--db={db_files.db}")
    assert result.code == 1
    assert result.error["field"] == "db"
    assert "--replace" in result.error["message"]
    assert digests(db_files.db.parent) == before


def copy_with_wal(source: DatabaseFiles, folder: Path) -> DatabaseFiles:
    """A copy of a database taken while a session holds it open (so -wal and -shm exist)."""
    target = DatabaseFiles(folder / source.db.name)
    folder.mkdir()
    for src, dst in zip(source.all_files(), target.all_files(), strict=True):
        if src.exists():
            shutil.copy2(src, dst)
    return target


def test_restore_replace_moves_every_current_file_aside(
    run: Run, db_files: DatabaseFiles, made_backup: Path, with_customer: DeskSession, tmp_path
):
    with_customer.call("addProviderCustomer", {"name": "Musa Bello", "phone": "08061112222"})
    live = copy_with_wal(db_files, tmp_path / "live")
    assert live.wal.exists() and live.shm.exists()
    before = digests(live.db.parent)

    result = run("restore", str(made_backup), f"--db={live.db}", "--replace")
    assert result.code == 0, result.out
    aside = DatabaseFiles(live.db.with_name("pharmdesk.replaced-20260418T120000Z.db"))
    pairs = {
        live.db: aside.db,
        live.wal: aside.wal,
        live.shm: aside.shm,
        live.vault: aside.vault,
        live.checkpoint: aside.checkpoint,
    }
    assert sorted(result.json["movedAside"]) == sorted(str(p) for p in pairs.values())
    after = digests(live.db.parent)
    for current, away in pairs.items():
        assert after[away.name] == before[current.name]  # moved, never changed or deleted
    # The restored database has the backup's one customer; the moved-aside one still has
    # both, read through its own WAL.
    restored = run("call", "fetchCustomers", f"--db={live.db}")
    assert restored.json["total"] == 1
    kept = run("call", "fetchCustomers", f"--db={aside.db}")
    assert kept.json["total"] == 2
    assert json.loads(entries(live, "restore")[0].detail)["replace"] is True


def test_restore_replace_into_an_empty_place_moves_nothing(
    run: Run, made_backup: Path, tmp_path: Path
):
    result = run("restore", str(made_backup), f"--db={tmp_path / 'new.db'}", "--replace")
    assert result.code == 0
    assert result.json["movedAside"] == []


@pytest.fixture
def live_target(db_files: DatabaseFiles, made_backup: Path) -> DatabaseFiles:
    return db_files


def assert_nothing_changed(before: dict[str, str], *folders: Path) -> None:
    after: dict[str, str] = {}
    for folder in folders:
        after.update({f"{folder}/{k}": v for k, v in digests(folder).items()})
    assert after == before


def snapshot(*folders: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in folders:
        found.update({f"{folder}/{k}": v for k, v in digests(folder).items()})
    return found


def test_damaged_backup_changes_nothing(run: Run, live_target: DatabaseFiles, made_backup: Path):
    data = bytearray(made_backup.read_bytes())
    with zipfile.ZipFile(made_backup) as zf:
        info = zf.getinfo(backup.DATABASE)
    middle = info.header_offset + len(info.filename) + 30 + info.file_size // 2
    data[middle] ^= 0xFF
    made_backup.write_bytes(bytes(data))
    folders = (made_backup.parent, live_target.db.parent)
    before = snapshot(*folders)
    result = run("restore", str(made_backup), f"--db={live_target.db}", "--replace")
    assert result.code == 1
    assert result.error["code"] == "DATABASE_ERROR"
    assert "damaged" in result.error["message"]
    assert_nothing_changed(before, *folders)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"PK\x03\x04" + b"\x00" * 200,
        lambda data: b"not a backup at all",
        lambda data: b"",
    ],
    ids=["truncated", "bad-zip", "text", "empty"],
)
def test_unreadable_backup_changes_nothing(
    run: Run, live_target: DatabaseFiles, made_backup: Path, damage
):
    made_backup.write_bytes(damage(made_backup.read_bytes()))
    folders = (made_backup.parent, live_target.db.parent)
    before = snapshot(*folders)
    result = run("restore", str(made_backup), f"--db={live_target.db}", "--replace")
    assert result.code == 1
    # API.md v3 (Files and hostile input): a file that is not a whole backup archive is a
    # VALIDATION_ERROR on the file, saying what is wrong and what to do.
    assert result.error["code"] == "VALIDATION_ERROR"
    assert result.error["field"] == "file"
    assert "is not a PharmDesk backup" in result.error["message"]
    assert "another copy of the backup" in result.error["message"]
    assert_nothing_changed(before, *folders)


def test_missing_backup_file(run: Run, live_target: DatabaseFiles, tmp_path: Path):
    folders = (live_target.db.parent,)
    before = snapshot(*folders)
    result = run("restore", str(tmp_path / "nowhere.pdbak"), f"--db={live_target.db}", "--replace")
    assert result.code == 1
    assert result.error["code"] == "NOT_FOUND"
    assert result.error["field"] == "file"
    assert_nothing_changed(before, *folders)


def test_wrong_password_changes_nothing(
    run: Run, live_target: DatabaseFiles, made_backup: Path, monkeypatch
):
    monkeypatch.setenv("PHARMDESK_PASSWORD", "not the password at all")
    folders = (made_backup.parent, live_target.db.parent)
    before = snapshot(*folders)
    result = run("restore", str(made_backup), f"--db={live_target.db}", "--replace")
    assert result.code == 1
    assert result.error["code"] == "AUTH_FAILED"
    assert_nothing_changed(before, *folders)


def test_only_an_admin_of_the_backup_may_restore(
    run: Run, db_files: DatabaseFiles, make_staff, tmp_path: Path, monkeypatch
):
    make_staff("ngozi", "pharmacist").close()
    target = tmp_path / "b.pdbak"
    assert run("backup", str(target), f"--db={db_files.db}").code == 0
    monkeypatch.setenv("PHARMDESK_USER", "ngozi")
    monkeypatch.setenv("PHARMDESK_PASSWORD", "ngozi likes long walks 2026")
    result = run("restore", str(target), f"--db={tmp_path / 'restored' / 'p.db'}")
    assert result.code == 1
    assert result.error["code"] == "PERMISSION_DENIED"
    assert not (tmp_path / "restored").exists()


def test_restore_refuses_a_backup_from_a_newer_version(run: Run, made_backup: Path, tmp_path: Path):
    with zipfile.ZipFile(made_backup) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(members[backup.MANIFEST])
    manifest["schemaRevision"] = "9999_from_the_future"
    members[backup.MANIFEST] = json.dumps(manifest).encode()
    newer = tmp_path / "newer.pdbak"
    with zipfile.ZipFile(newer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    result = run("restore", str(newer), f"--db={tmp_path / 'r' / 'p.db'}")
    assert result.code == 1
    assert "newer PharmDesk" in result.error["message"]
    assert not (tmp_path / "r").exists()


# -- the restore drill: restore --check ----------------------------------------------------------
def test_restore_check_reports_without_touching_the_database(
    run: Run, db_files: DatabaseFiles, made_backup: Path
):
    before = digests(db_files.db.parent)
    result = run("restore", str(made_backup), "--check", f"--db={db_files.db}")
    assert result.code == 0, result.out
    report = result.json
    assert report["ok"] is True
    assert report["customers"] == 1
    assert (
        report["schemaRevision"]
        == json.loads(zipfile.ZipFile(made_backup).read(backup.MANIFEST))["schemaRevision"]
    )
    assert report["rowCounts"]["customer"] == 1
    assert report["file"] == str(made_backup)
    # The newest entry in the copy is the backup's own sign-in (the backup entry comes after
    # the copy); the fixed test clock says when.
    assert report["lastAuditEntryAt"] == "2026-04-18T12:00:00Z"
    assert report["auditEntries"] >= 3
    assert "1 customers" in result.err and "nothing was restored" in result.err
    assert digests(db_files.db.parent) == before
    assert [e.action for e in entries(db_files, "restore")] == []


def test_restore_check_of_a_damaged_backup_fails(
    run: Run, db_files: DatabaseFiles, made_backup: Path
):
    data = bytearray(made_backup.read_bytes())
    with zipfile.ZipFile(made_backup) as zf:
        info = zf.getinfo(backup.DATABASE)
    start = info.header_offset + 30 + len(info.filename) + 4096 + 200
    data[start : start + 32] = bytes(32)
    made_backup.write_bytes(bytes(data))
    result = run("restore", str(made_backup), "--check", f"--db={db_files.db}")
    assert result.code == 1
    assert result.error["code"] == "DATABASE_ERROR"
    assert "damaged" in result.error["message"]


def test_restore_check_needs_an_account_of_the_backup(
    run: Run, made_backup: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PHARMDESK_PASSWORD", "not the password at all, sorry")
    result = run("restore", str(made_backup), "--check")
    assert result.code == 1
    assert result.error["code"] == "AUTH_FAILED"


def test_restore_check_with_replace_is_refused(run: Run, made_backup: Path):
    result = run("restore", str(made_backup), "--check", "--replace")
    assert result.code == 1
    assert result.error["field"] == "replace"


# -- backup --scheduled ----------------------------------------------------------------------------
def test_scheduled_backup_from_the_command_line(
    run: Run, db_files: DatabaseFiles, with_customer: DeskSession, tmp_path: Path, clock
):
    usb = tmp_path / "usb"
    usb.mkdir()
    with_customer.call("updateSettings", {"backupFolder": str(usb)})
    first = run("backup", "--scheduled", f"--db={db_files.db}")
    assert first.code == 0, first.out
    assert first.json["status"] == "success"
    (written,) = usb.iterdir()
    assert first.json["file"] == str(written)
    assert written.name == "pharmdesk-lekki-branch-20260418T120000Z.pdbak"
    again = run("backup", "--scheduled", f"--db={db_files.db}")
    assert again.code == 0
    assert again.json["status"] == "notDue"
    assert len(list(usb.iterdir())) == 1
    clock.advance(seconds=1)
    forced = run("backup", "--scheduled", "--now", f"--db={db_files.db}")
    assert forced.json["status"] == "success"
    # Two copies on one day: rotation keeps the day's newest only.
    assert forced.json["removed"] == [written.name]
    assert [p.name for p in usb.iterdir()] == ["pharmdesk-lekki-branch-20260418T120001Z.pdbak"]
    scheduled = [e for e in entries(db_files, "backup") if json.loads(e.detail).get("scheduled")]
    assert [e.outcome for e in scheduled] == ["success", "success"]


def test_scheduled_backup_with_the_drive_missing(
    run: Run, db_files: DatabaseFiles, with_customer: DeskSession, tmp_path: Path
):
    with_customer.call("updateSettings", {"backupFolder": str(tmp_path / "gone")})
    result = run("backup", "--scheduled", f"--db={db_files.db}")
    assert result.code == 1
    assert result.json["status"] == "failed"
    assert result.json["error"] == "FOLDER_MISSING"
    assert "Plug in the backup drive" in result.err


def test_scheduled_backup_without_a_folder(run: Run, db_files: DatabaseFiles):
    result = run("backup", "--scheduled", f"--db={db_files.db}")
    assert result.code == 1
    assert result.json["status"] == "off"


def test_backup_needs_a_file_or_scheduled(run: Run, db_files: DatabaseFiles, tmp_path: Path):
    assert run("backup", f"--db={db_files.db}").error["field"] == "file"
    both = run("backup", str(tmp_path / "x.pdbak"), "--scheduled", f"--db={db_files.db}")
    assert both.error["field"] == "file"
    assert not (tmp_path / "x.pdbak").exists()


def test_frontdesk_may_not_run_the_scheduled_backup(
    run: Run, db_files, make_staff, tmp_path: Path, monkeypatch
):
    make_staff("femi", "frontdesk").close()
    monkeypatch.setenv("PHARMDESK_USER", "femi")
    monkeypatch.setenv("PHARMDESK_PASSWORD", "femi likes long walks 2026")
    result = run("backup", "--scheduled", "--now", f"--db={db_files.db}")
    assert result.code == 1
    assert result.error["code"] == "PERMISSION_DENIED"
