"""Scheduled backups: when one is due, where it goes, verification, rotation, warnings.

The rotation rule is a pure function (``copies_to_keep``), checked over 400 simulated
days against a hand-written answer; one integration test drives ``run_scheduled`` over
400 days with the copy step stubbed (tiny files with real manifests), next to files
PharmDesk must never delete.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import backups
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import DATABASE_ERROR, DISK_FULL, PharmDeskError
from pharmdesk.store import backup
from pharmdesk.store.backup import copy as backup_copy
from pharmdesk.store.schema import AuditEntry

pytestmark = pytest.mark.single_pc("backup files copy the SQLCipher file")

KEEP = {"daily": 7, "weekly": 4, "monthly": 12}


def backup_entries(desk: DeskSession) -> list[tuple[str, dict[str, Any]]]:
    with desk.db.transaction() as tx:
        rows = tx.scalars(
            select(AuditEntry).where(AuditEntry.action == "backup").order_by(AuditEntry.id)
        )
        return [(row.outcome, json.loads(row.detail)) for row in rows]


def scheduled(desk: DeskSession, **kwargs: Any) -> backups.ScheduledOutcome:
    return backups.run_scheduled(
        desk.db, desk.files, desk.key, user=desk.staff.username, clock=desk.clock, **kwargs
    )


@pytest.fixture
def folder(admin: DeskSession, tmp_path: Path) -> Path:
    target = tmp_path / "usb"
    target.mkdir()
    admin.call("updateSettings", {"backupFolder": str(target), "branchName": "Lekki Phase 1"})
    return target


# -- the rotation rule -------------------------------------------------------------------------
def at(day: dt.date, hour: int = 2) -> dt.datetime:
    """A backup made at ``hour`` o'clock Lagos time on ``day`` (UTC+1)."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC) - dt.timedelta(hours=1)


def test_rotation_over_400_days_keeps_exactly_the_right_set() -> None:
    first = dt.date(2025, 3, 20)
    kept: list[tuple[str, dt.datetime]] = []
    for offset in range(400):
        day = first + dt.timedelta(days=offset)
        kept.append((day.isoformat(), at(day)))
        keep = backups.copies_to_keep(kept, KEEP)
        kept = [item for item in kept if item[0] in keep]
    last = first + dt.timedelta(days=399)
    assert last == dt.date(2026, 4, 23)  # a Thursday
    expected = {
        # 7 daily: the last seven days
        "2026-04-17", "2026-04-18", "2026-04-19", "2026-04-20", "2026-04-21", "2026-04-22",
        "2026-04-23",
        # 4 weekly (ISO weeks end on Sunday): this week's newest is today's; then 19, 12, 5 April
        "2026-04-12", "2026-04-05",
        # 12 monthly: this month's newest is today's; then each month's last day
        "2026-03-31", "2026-02-28", "2026-01-31", "2025-12-31", "2025-11-30", "2025-10-31",
        "2025-09-30", "2025-08-31", "2025-07-31", "2025-06-30", "2025-05-31",
    }  # fmt: skip
    assert {name for name, _ in kept} == expected


def test_rotation_uses_the_branchs_calendar_days() -> None:
    # 23:30 Lagos on the 1st is 22:30 UTC; 00:30 Lagos on the 2nd is 23:30 UTC on the 1st.
    late = ("late", dt.datetime(2026, 4, 1, 22, 30, tzinfo=dt.UTC))
    early = ("early", dt.datetime(2026, 4, 1, 23, 30, tzinfo=dt.UTC))
    assert backups.copies_to_keep([late, early], {"daily": 2}) == {"late", "early"}
    assert backups.copies_to_keep([late, early], {"daily": 1}) == {"early"}


def test_rotation_keeps_the_newest_of_each_day() -> None:
    day = dt.date(2026, 4, 10)
    copies = [("morning", at(day, 8)), ("evening", at(day, 20)), ("before", at(day, 1))]
    assert backups.copies_to_keep(copies, {"daily": 7}) == {"evening"}


def test_rotation_never_drops_the_newest_copy() -> None:
    copies = [("old", at(dt.date(2026, 1, 1))), ("new", at(dt.date(2026, 4, 1)))]
    assert backups.copies_to_keep(copies, {"daily": 0, "weekly": 0, "monthly": 0}) == {"new"}
    assert backups.copies_to_keep([], KEEP) == set()


# -- names -------------------------------------------------------------------------------------
def test_names() -> None:
    moment = dt.datetime(2026, 4, 18, 12, 0, 5, tzinfo=dt.UTC)
    name = backups.scheduled_name("Lekki Phase 1 (Main)", moment)
    assert name == "pharmdesk-lekki-phase-1-main-20260418T120005Z.pdbak"
    assert backups.scheduled_time(name) == moment
    manual = backups.default_backup_name("Lekki Phase 1", dt.date(2026, 4, 18))
    assert manual == "pharmdesk-lekki-phase-1-2026-04-18.pdbak"
    assert backups.scheduled_time(manual) is None  # rotation never takes a hand-made copy
    assert backups.branch_slug("★★★") == "branch"
    assert backups.branch_slug("PharmDesk Demo Pharmacy, Lekki") == "demo-pharmacy-lekki"


# -- running on schedule -------------------------------------------------------------------------
def test_a_scheduled_backup_runs_when_due(admin: DeskSession, folder: Path, clock: FixedClock):
    first = scheduled(admin)
    assert first.status == "success", first.message
    assert first.file == str(folder / "pharmdesk-lekki-phase-1-20260418T120000Z.pdbak")
    assert [p.name for p in folder.iterdir()] == [Path(first.file).name]
    checked = backup.verify_archive(Path(first.file), admin.key, backups.chain_check)
    assert checked.manifest.origin is not None
    ((outcome, detail),) = backup_entries(admin)
    assert outcome == "success"
    assert detail["scheduled"] is True and detail["verified"] is True
    assert detail["file"] == first.file and detail["rotatedOut"] == []

    clock.advance(hours=23, minutes=59)
    assert scheduled(admin).status == "notDue"
    assert backups.status_for(admin)["due"] is False
    clock.advance(minutes=1)
    assert backups.status_for(admin)["due"] is True
    second = scheduled(admin)
    assert second.status == "success"
    assert len(list(folder.iterdir())) == 2
    status = backups.status_for(admin)
    assert status["lastVerified"]["file"] == second.file
    assert status["lastVerified"]["at"] == "2026-04-19T12:00:00Z"
    assert status["nextDue"] == "2026-04-20T12:00:00Z"


def test_the_interval_comes_from_the_settings(admin: DeskSession, folder: Path, clock) -> None:
    admin.call("updateSettings", {"backupEveryHours": 6})
    assert scheduled(admin).status == "success"
    clock.advance(hours=5)
    assert scheduled(admin).status == "notDue"
    clock.advance(hours=1)
    assert scheduled(admin).status == "success"


def test_force_runs_even_when_not_due(admin: DeskSession, folder: Path, clock) -> None:
    assert scheduled(admin).status == "success"
    clock.advance(seconds=1)
    assert scheduled(admin, force=True).status == "success"


def test_no_folder_means_off(admin: DeskSession) -> None:
    outcome = scheduled(admin, force=True)
    assert outcome.status == "off"
    assert "no backup folder" in outcome.message
    assert backup_entries(admin) == []
    assert backups.status_for(admin)["due"] is False


def test_a_missing_folder_warns_and_the_next_attempt_retries(
    admin: DeskSession, tmp_path: Path, clock: FixedClock
) -> None:
    usb = tmp_path / "usb-not-plugged-in"
    admin.call("updateSettings", {"backupFolder": str(usb)})
    outcome = scheduled(admin)
    assert outcome.status == "failed" and outcome.warning
    assert "Plug in the backup drive" in outcome.message
    assert not usb.exists()  # never created on the PC's own disk
    assert backup_entries(admin) == [
        ("failed", {"file": str(usb), "scheduled": True, "error": "FOLDER_MISSING"})
    ]
    assert backups.status_for(admin)["due"] is True  # still due: the next check retries
    usb.mkdir()
    clock.advance(minutes=15)
    assert scheduled(admin).status == "success"


def test_a_full_drive_warns(admin: DeskSession, folder: Path, monkeypatch) -> None:
    def full(*_args: Any, **_kwargs: Any) -> None:
        raise PharmDeskError(DISK_FULL, "The backup drive is full.")

    monkeypatch.setattr(backup, "create_backup", full)
    outcome = scheduled(admin)
    assert outcome.status == "failed" and outcome.error == DISK_FULL
    assert "is full" in outcome.message and "try again" in outcome.message
    assert [entry[0] for entry in backup_entries(admin)] == ["failed"]
    assert list(folder.iterdir()) == []


def test_a_corrupted_copy_fails_verification(admin: DeskSession, folder: Path, monkeypatch):
    """The copy is damaged on its way to the drive: the read-back check catches it, the
    outcome is "failed", and the bad file does not stay behind as a backup."""
    real_place = backup.place_new_file

    def place_and_damage(source: Path, target: Path) -> None:
        real_place(source, target)
        data = bytearray(target.read_bytes())
        middle = len(data) // 2
        data[middle : middle + 64] = bytes(64)
        target.write_bytes(bytes(data))

    monkeypatch.setattr(backup_copy, "place_new_file", place_and_damage)
    outcome = scheduled(admin)
    assert outcome.status == "failed"
    assert "failed its check when read back" in outcome.message
    assert "deleted" in outcome.message
    assert list(folder.iterdir()) == []
    ((state, detail),) = backup_entries(admin)
    assert state == "failed" and detail["error"] == DATABASE_ERROR
    assert backups.status_for(admin)["lastVerified"] is None


def test_a_damaged_backup_file_fails_verification(admin: DeskSession, tmp_path: Path) -> None:
    target = tmp_path / "copy.pdbak"
    backups.run_backup(admin, target)
    backup.verify_archive(target, admin.key, backups.chain_check)  # whole: passes
    with zipfile.ZipFile(target) as zf:
        info = zf.getinfo(backup.DATABASE)
    data = bytearray(target.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 4096 * 2 + 100
    data[start : start + 16] = bytes(16)
    target.write_bytes(bytes(data))
    with pytest.raises(PharmDeskError) as info_:
        backup.verify_archive(target, admin.key, backups.chain_check)
    assert info_.value.code == DATABASE_ERROR
    assert "damaged" in info_.value.message
    assert isinstance(info_.value, backup.Damaged)


# -- the reminder --------------------------------------------------------------------------------
def test_reminder_after_the_configured_days(admin: DeskSession, tmp_path: Path, clock) -> None:
    assert backups.status_for(admin)["overdue"] is True  # never backed up
    backups.run_backup(admin, tmp_path / "by-hand.pdbak")
    status = backups.status_for(admin)
    assert status["overdue"] is False
    assert status["lastVerified"]["file"] == str(tmp_path / "by-hand.pdbak")
    assert status["lastVerified"]["scheduled"] is False
    assert status["due"] is False  # no folder: nothing scheduled
    clock.advance(days=7, seconds=1)
    assert backups.status_for(admin)["overdue"] is True
    admin.call("updateSettings", {"backupReminderDays": 10})
    assert backups.status_for(admin)["overdue"] is False
    assert backups.status_for(admin)["reminderDays"] == 10


# -- rotation in place, over 400 days --------------------------------------------------------------
def tiny_backup(path: Path, origin: str | None, created: dt.datetime) -> None:
    manifest = backup.Manifest(
        app_version="test",
        schema_revision="0001",
        created_at=created.isoformat(),
        row_counts={},
        database_bytes=0,
        database_sha256="",
        checkpoint=None,
        origin=origin,
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(backup.MANIFEST, json.dumps(manifest.to_json()))
        for member in (backup.DATABASE, backup.VAULT, backup.CHECKPOINT):
            zf.writestr(member, "")


def test_scheduled_rotation_over_400_days_touches_only_its_own_copies(
    admin: DeskSession, folder: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = backup.origin_of(admin.db.engine)
    clock.moment = dt.datetime(2025, 3, 20, 1, 0, tzinfo=dt.UTC)  # 02:00 in Lagos

    def stub_copy(source: Any, _files: Any, _key: bytes, target: Path, **kwargs: Any):
        tiny_backup(target, origin, clock.now())
        return backup.Manifest.from_json(json.loads(zipfile.ZipFile(target).read("manifest.json")))

    monkeypatch.setattr(backup, "create_backup", stub_copy)
    monkeypatch.setattr(backup, "verify_archive", lambda *_a, **_k: None)
    # What PharmDesk must never delete: not its name, not its manifest, not this database,
    # a copy made by hand.
    strangers = {
        "pharmdesk-lekki-phase-1-20250101T000000Z.pdbak": b"not a zip at all",
        "notes.txt": b"USB stick of the branch",
    }
    for name, data in strangers.items():
        (folder / name).write_bytes(data)
    tiny_backup(folder / "pharmdesk-lekki-phase-1-20250102T000000Z.pdbak", "other-pc", clock.now())
    tiny_backup(folder / "pharmdesk-lekki-phase-1-2025-01-03.pdbak", origin, clock.now())
    untouchable = {p.name for p in folder.iterdir()}

    for _day in range(400):
        outcome = scheduled(admin)
        assert outcome.status == "success", outcome.message
        clock.advance(hours=24)
    names = {p.name for p in folder.iterdir()} - untouchable
    days = sorted(
        backups.scheduled_time(name).astimezone().date().isoformat()  # type: ignore[union-attr]
        for name in names
    )
    assert days == sorted(
        [
            "2025-05-31", "2025-06-30", "2025-07-31", "2025-08-31", "2025-09-30",
            "2025-10-31", "2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28",
            "2026-03-31", "2026-04-05", "2026-04-12", "2026-04-17", "2026-04-18",
            "2026-04-19", "2026-04-20", "2026-04-21", "2026-04-22", "2026-04-23",
        ]
    )  # fmt: skip
    assert untouchable <= {p.name for p in folder.iterdir()}
    successes = [detail for state, detail in backup_entries(admin) if state == "success"]
    assert len(successes) == 400
    assert sum(len(detail["rotatedOut"]) for detail in successes) == 400 - 20


def test_a_copy_whose_audit_chain_fails_is_not_kept(admin: DeskSession, folder: Path) -> None:
    from sqlalchemy import text

    with admin.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET user = 'someone' WHERE id = 1"))
    outcome = scheduled(admin)
    assert outcome.status == "failed"
    assert "failed its check (the audit log in the copy does not verify" in outcome.message
    assert "pharmdesk audit verify" in outcome.message
    assert list(folder.iterdir()) == []
    assert [state for state, _ in backup_entries(admin)] == ["failed"]
