"""A branch server's backups against the real test server: an encrypted dump, opened only
by an admin's password or the recovery key, refused when tampered with, checked in a
scratch database, restored into a new one, rotated on schedule."""

from __future__ import annotations

import json
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.controllers import backups
from pharmdesk.controllers.session import DeskSession, create_database, sign_in
from pharmdesk.errors import (
    AUTH_FAILED,
    DATABASE_ERROR,
    PASSWORD_CHANGE_REQUIRED,
    VALIDATION_ERROR,
    PharmDeskError,
)
from pharmdesk.paths import server_files
from pharmdesk.store import backup
from pharmdesk.store.backup import pgtools, server_keys
from pharmdesk.store.schema import AuditEntry, Customer
from tests import pg_server
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF, FixedClock

SECRET_NAME = "Zebedee Quagmire"


@pytest.fixture
def store() -> str:
    return "postgresql"


def _backup_entries(desk: DeskSession) -> list[tuple[str, dict[str, Any]]]:
    with desk.db.transaction() as tx:
        rows = tx.scalars(
            select(AuditEntry).where(AuditEntry.action == "backup").order_by(AuditEntry.id)
        )
        return [(row.outcome, json.loads(row.detail)) for row in rows]


def _scratch_databases(pg: pg_server.PgServer) -> list[str]:
    with pgtools.connect(pg.url("postgres")) as conn:
        rows = conn.execute("SELECT datname FROM pg_database").fetchall()
    return [str(name) for (name,) in rows if str(name).startswith(pgtools.SCRATCH_PREFIX)]


def _customers(desk: DeskSession) -> list[tuple[int, str]]:
    with desk.db.transaction() as tx:
        return sorted((int(i), str(n)) for i, n in tx.execute(select(Customer.id, Customer.name)))


def test_a_server_backup_is_encrypted_and_opens_only_for_an_admin(
    admin: DeskSession,
    make_staff: Callable[[str, str], DeskSession],
    pg: pg_server.PgServer,
    tmp_path: Path,
) -> None:
    admin.call("addProviderCustomer", {"name": SECRET_NAME, "phone": "08031110000"})
    make_staff("pharma", "pharmacist")
    target = tmp_path / "server.pdbak"
    answer = backups.run_backup(admin, target)
    assert answer["verified"] is True and answer["rowCounts"]["customer"] == 1
    assert _scratch_databases(pg) == []  # the read-back check dropped its copy

    raw = target.read_bytes()
    assert SECRET_NAME.encode() not in raw and b"08031110000" not in raw
    assert b"PGDMP" not in raw  # pg_dump's own header never reached the disk
    with zipfile.ZipFile(target) as zf:
        manifest = json.loads(zf.read(backup.MANIFEST))
        slots = json.loads(zf.read(backup.KEYSLOTS))
    assert manifest["store"] == "server" and manifest["schemaRevision"] is not None
    # Sealed to the admin and the recovery key; a pharmacist holds no slot.
    assert sorted((s["kind"], s["owner"]) for s in slots) == [
        ("recovery", "recovery"),
        ("staff", ADMIN),
    ]
    (outcome, detail) = _backup_entries(admin)[-1]
    assert outcome == "success" and detail["verified"] is True

    report = backups.check_server_backup(target, pg.url("postgres"), ADMIN, ADMIN_PASSWORD)
    assert report["ok"] is True and report["customers"] == 1
    assert report["rowCounts"] == answer["rowCounts"]
    assert report["auditEntries"] == manifest["checkpoint"]["id"]
    for user, password in ((ADMIN, "wrong password"), ("pharma", ADMIN_PASSWORD)):
        with pytest.raises(PharmDeskError) as refused:
            backups.check_server_backup(target, pg.url("postgres"), user, password)
        assert refused.value.code == AUTH_FAILED
    assert _scratch_databases(pg) == []


def _new_branch(pg: pg_server.PgServer, name: str, desk: Path) -> tuple[DeskSession, str]:
    """A new branch database on the test server, its first admin signed in at the desk
    that ran init, and its recovery key."""
    pg_server.create_database(pg, name)
    files = server_files(pg.url(name), base=desk)
    recovery = create_database(
        files, admin=ADMIN, full_name="Ada", password=ADMIN_PASSWORD, clock=FixedClock(),
        kdf=TEST_KDF,
    )  # fmt: skip
    return sign_in(files, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF), recovery


def test_the_recovery_key_opens_a_server_backup(pg: pg_server.PgServer, tmp_path: Path) -> None:
    desk, recovery = _new_branch(pg, "backup_recovery", tmp_path / "desk")
    try:
        target = tmp_path / "server.pdbak"
        backups.run_backup(desk, target)
    finally:
        desk.close()
    report = backups.check_server_backup(target, pg.url("postgres"), "", recovery, recovery=True)
    assert report["ok"] is True
    wrong = "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ"
    with pytest.raises(PharmDeskError) as refused:
        backups.check_server_backup(target, pg.url("postgres"), "", wrong, recovery=True)
    assert refused.value.code == AUTH_FAILED


def _rewrite_dump(source: Path, target: Path, change: Callable[[bytes], bytes]) -> None:
    """A copy of ``source`` whose encrypted dump is changed and whose manifest is made
    to agree with it (size and SHA-256): only the chunks' own tags can notice."""
    import hashlib

    with zipfile.ZipFile(source) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    dump = change(members[backup.DUMP])
    manifest = json.loads(members[backup.MANIFEST])
    manifest["databaseBytes"] = len(dump)
    manifest["databaseSha256"] = hashlib.sha256(dump).hexdigest()
    members[backup.DUMP] = dump
    members[backup.MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_a_tampered_server_backup_is_refused(
    admin: DeskSession, pg: pg_server.PgServer, tmp_path: Path
) -> None:
    admin.call("addProviderCustomer", {"name": SECRET_NAME, "phone": "08031110000"})
    good = tmp_path / "good.pdbak"
    backups.run_backup(admin, good)
    size = good.stat().st_size

    flipped = tmp_path / "flipped.pdbak"
    data = bytearray(good.read_bytes())
    data[size // 3] ^= 0x01  # inside the dump: the zip's own CRC notices
    flipped.write_bytes(bytes(data))

    def flip_in_chunk(dump: bytes) -> bytes:
        changed = bytearray(dump)
        changed[len(dump) // 2] ^= 0x80
        return bytes(changed)

    resealed = tmp_path / "resealed.pdbak"
    _rewrite_dump(good, resealed, flip_in_chunk)
    cut = tmp_path / "cut.pdbak"
    _rewrite_dump(good, cut, lambda dump: dump[: len(dump) // 2])
    for bad, why in (
        (flipped, "does not match its checksum"),
        (resealed, "does not decrypt with this key"),
        (cut, "cut short"),
    ):
        with pytest.raises(PharmDeskError) as refused:
            backups.check_server_backup(bad, pg.url("postgres"), ADMIN, ADMIN_PASSWORD)
        assert why in refused.value.message, refused.value.message
        assert "Nothing was changed" in refused.value.message
    assert _scratch_databases(pg) == []


def test_a_server_backup_restores_into_a_new_database_and_nowhere_else(
    admin: DeskSession, pg: pg_server.PgServer, tmp_path: Path
) -> None:
    for n in range(5):
        admin.call("addProviderCustomer", {"name": f"Person {n}", "phone": f"0803111000{n}"})
    target = tmp_path / "server.pdbak"
    made = backups.run_backup(admin, target)
    before = _customers(admin)

    new = server_files(pg.url("restored_here"), base=tmp_path / "other-pc")
    answer = backups.run_server_restore(new, target, ADMIN, ADMIN_PASSWORD, clock=FixedClock())
    assert answer["createdDatabase"] is True and answer["rowCounts"] == made["rowCounts"]
    desk = sign_in(new, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        assert _customers(desk) == before
        verified = desk.call("verifyAuditLog", {})
        assert verified["ok"] is True, verified
        restored = desk.call("fetchAuditLog", {"action": "restore"})
        assert len(restored["entries"]) == 1, restored
    finally:
        desk.close()

    # An empty database made beforehand by the IT person is fine too.
    pg_server.create_database(pg, "made_empty")
    answer = backups.run_server_restore(
        server_files(pg.url("made_empty"), base=tmp_path / "it-pc"),
        target,
        ADMIN,
        ADMIN_PASSWORD,
        clock=FixedClock(),
    )
    assert answer["createdDatabase"] is False and answer["rowCounts"] == made["rowCounts"]

    # A database that holds anything is never restored into (not even the one in use).
    assert admin.files.server is not None
    for url in (pg.url("restored_here"), admin.files.server):
        with pytest.raises(PharmDeskError) as refused:
            backups.run_server_restore(
                server_files(url, base=tmp_path / "third-pc"), target, ADMIN, ADMIN_PASSWORD,
                clock=FixedClock(),
            )  # fmt: skip
        assert refused.value.code == VALIDATION_ERROR and refused.value.field == "db"
    assert _customers(admin) == before


def test_a_restore_gives_the_people_of_the_new_database_their_logins(
    pg: pg_server.PgServer, tmp_path: Path
) -> None:
    """Login roles are the server's, not the dump's: the restoring admin's is made with
    the password they restored with, every other active person's with a one-time
    password (in the answer only), a disabled person's NOLOGIN; restored with the
    recovery key, every active person gets one. A desk that joins with the URL alone
    signs each of them in as their own login."""
    admin, recovery = _new_branch(pg, "logins_source", tmp_path / "desk")
    try:
        for username, role in (("femi", "frontdesk"), ("tayo", "pharmacist")):
            admin.call(
                "addStaff",
                {"username": username, "fullName": username.title(), "role": role,
                 "password": _password(username)},
            )  # fmt: skip
        admin.call("disableStaff", {"username": "tayo"})
        target = tmp_path / "server.pdbak"
        backups.run_backup(admin, target)
    finally:
        admin.close()

    url = pg.url("logins_restored")
    answer = backups.run_server_restore(
        server_files(url, base=tmp_path / "restoring-pc"), target, ADMIN, ADMIN_PASSWORD,
        clock=FixedClock(),
    )  # fmt: skip
    [femi] = answer["logins"]
    assert femi["username"] == "femi" and femi["dbRole"].endswith(".femi")
    joined = server_files(url, base=tmp_path / "joined-desk")  # the URL only: own logins
    desk = sign_in(joined, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        assert desk.own_server_login
        restored = desk.call("fetchAuditLog", {"action": "restore"})["entries"]
        assert restored[-1]["detail"]["logins"] == 1
    finally:
        desk.close()
    first = sign_in(joined, "femi", femi["oneTimePassword"], clock=FixedClock(), kdf=TEST_KDF)
    try:  # in, and asked to choose their own before anything else
        assert first.own_server_login and first.staff.must_change_password
        with pytest.raises(PharmDeskError) as asked:
            first.call("fetchCustomers", {})
        assert asked.value.code == PASSWORD_CHANGE_REQUIRED
    finally:
        first.close()
    for username in ("femi", "tayo"):  # the old passwords stayed with the old server
        with pytest.raises(PharmDeskError) as refused:
            sign_in(joined, username, _password(username), clock=FixedClock(), kdf=TEST_KDF)
        assert refused.value.code == AUTH_FAILED

    # Restored again under the same name on this server (the database dropped, its
    # logins still here): the logins people have are kept, no new password is made.
    pg_server._admin(pg, 'DROP DATABASE "logins_restored" WITH (FORCE)')
    again = backups.run_server_restore(
        server_files(url, base=tmp_path / "restoring-again"), target, ADMIN, ADMIN_PASSWORD,
        clock=FixedClock(),
    )  # fmt: skip
    assert again["logins"] == []
    kept = sign_in(joined, "femi", femi["oneTimePassword"], clock=FixedClock(), kdf=TEST_KDF)
    kept.close()
    with pytest.raises(PharmDeskError) as still_disabled:
        sign_in(joined, "tayo", _password("tayo"), clock=FixedClock(), kdf=TEST_KDF)
    assert still_disabled.value.code == AUTH_FAILED

    key_answer = backups.run_server_restore(
        server_files(pg.url("logins_by_key"), base=tmp_path / "recovering-pc"), target, "",
        recovery, clock=FixedClock(), recovery=True,
    )  # fmt: skip
    assert sorted(login["username"] for login in key_answer["logins"]) == [ADMIN, "femi"]


def _password(username: str) -> str:
    return f"{username} keeps a long password 1"


def test_scheduled_server_backups_rotate(
    admin: DeskSession, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    admin.call(
        "updateSettings",
        {
            "backupFolder": str(folder),
            "branchName": "Lekki",
            "backupKeep": {"daily": 2, "weekly": 0, "monthly": 0},
        },
    )
    stranger = folder / "pharmdesk-lekki-20200101T000000Z.pdbak"
    stranger.write_bytes(b"somebody else's file")
    made = []
    for _day in range(4):
        outcome = backups.run_scheduled_for(admin)
        assert outcome.status == "success", outcome.message
        made.append(Path(outcome.file or ""))
        assert backups.run_scheduled_for(admin).status == "notDue"
        clock.advance(hours=24)
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == sorted([stranger.name, made[-2].name, made[-1].name])
    status = backups.status_for(admin)
    assert status["lastVerified"]["file"] == str(made[-1]) and status["overdue"] is False
    successes = [d for state, d in _backup_entries(admin) if state == "success"]
    assert [len(d["rotatedOut"]) for d in successes] == [0, 0, 1, 1]


def test_without_pg_dump_of_the_servers_version_nothing_is_written(
    admin: DeskSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pgtools, "_candidates", lambda _tool, _major: iter(()))
    with pytest.raises(PharmDeskError) as refused:
        backups.run_backup(admin, tmp_path / "server.pdbak")
    assert refused.value.code == DATABASE_ERROR
    assert "pg_dump for version" in refused.value.message
    assert pgtools.BIN_ENV in refused.value.message
    assert list(tmp_path.glob("*.pdbak")) == []
    assert _backup_entries(admin)[-1][0] == "failed"


def test_only_active_admins_and_the_recovery_key_stay_in_the_servers_keyslots(
    admin: DeskSession, make_staff: Callable[[str, str], DeskSession], tmp_path: Path
) -> None:
    make_staff("second", "admin")
    backups.run_backup(admin, tmp_path / "one.pdbak")
    with admin.db.transaction() as tx:
        owners = sorted(s["owner"] for s in server_keys.stored(tx.connection()))
    assert owners == sorted(["recovery", "second", ADMIN])
    admin.call("disableStaff", {"username": "second"})
    backups.run_backup(admin, tmp_path / "two.pdbak")
    with admin.db.transaction() as tx:
        owners = sorted(s["owner"] for s in server_keys.stored(tx.connection()))
    assert owners == sorted(["recovery", ADMIN])
    with zipfile.ZipFile(tmp_path / "two.pdbak") as zf:
        sealed_to = sorted(s["owner"] for s in json.loads(zf.read(backup.KEYSLOTS)))
    assert sealed_to == sorted(["recovery", ADMIN])


DESKS = 5


def test_a_scheduled_backup_under_five_writing_desks_holds_every_acknowledged_write(
    admin: DeskSession,
    make_staff: Callable[[str, str], DeskSession],
    pg: pg_server.PgServer,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    admin.call("updateSettings", {"backupFolder": str(folder), "branchName": "Lekki"})
    desks = [make_staff(f"desk{n}", "pharmacist") for n in range(DESKS)]
    acknowledged: list[tuple[float, int]] = []  # (when the answer came, customer id)
    errors: list[BaseException] = []
    lock = threading.Lock()
    stop = threading.Event()

    def work(desk: DeskSession, n: int) -> None:
        try:
            i = 0
            while not stop.is_set() and i < 400:
                answer = desk.call(
                    "addProviderCustomer",
                    {"name": f"Desk{n} Person{i}", "phone": f"0803{n}{i:06d}"},
                )
                done = time.monotonic()
                with lock:
                    acknowledged.append((done, int(answer["customerId"].split("-")[1])))
                i += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d, n)) for n, d in enumerate(desks)]
    for thread in threads:
        thread.start()
    try:
        while len(acknowledged) < 3 * DESKS and not errors:
            time.sleep(0.05)
        started = time.monotonic()
        outcome = backups.run_scheduled_for(admin, force=True)
        with lock:
            during = len(acknowledged)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, [type(e).__name__ for e in errors]
    assert outcome.status == "success", outcome.message
    before = {cid for at, cid in acknowledged if at < started}
    assert len(before) >= 3 * DESKS and during > len(before)  # the desks kept writing

    report = backups.check_server_backup(
        Path(outcome.file or ""), pg.url("postgres"), ADMIN, ADMIN_PASSWORD
    )
    assert report["ok"] is True
    new = server_files(pg.url("after_load"), base=tmp_path / "other-pc")
    backups.run_server_restore(
        new, Path(outcome.file or ""), ADMIN, ADMIN_PASSWORD, clock=FixedClock()
    )
    restored = sign_in(new, ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        ids = {cid for cid, _name in _customers(restored)}
        assert before <= ids  # every write acknowledged before the backup began
        assert ids <= {cid for _at, cid in acknowledged} | {cid for cid, _ in _customers(admin)}
        assert restored.call("verifyAuditLog", {})["ok"] is True
    finally:
        restored.close()


def test_the_counts_and_the_dump_share_one_snapshot(admin: DeskSession) -> None:
    """What the manifest counts is what the dump holds: writes committed after the
    snapshot was taken are seen by neither."""
    assert admin.files.server is not None
    with pgtools.exported_snapshot(admin.files.server) as snap:
        assert snap.scalar("SHOW transaction_isolation") == "repeatable read"
        before = snap.scalar("SELECT count(*) FROM customer")
        admin.call("addProviderCustomer", {"name": "After Snapshot", "phone": "08031119999"})
        assert snap.scalar("SELECT count(*) FROM customer") == before
        with pgtools.connect(admin.files.server) as other:
            other.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")  # what pg_dump does
            other.execute(f"SET TRANSACTION SNAPSHOT '{snap.name}'")
            assert other.execute("SELECT count(*) FROM customer").fetchone()[0] == before


def test_the_windows_jobs_check_and_restore_a_server_backup(
    admin: DeskSession, pg: pg_server.PgServer, tmp_path: Path
) -> None:
    """Admin ▸ Restore… runs the same jobs: the drill on this desk's server, the restore
    into a new server database; a server backup is never taken for a file's."""
    admin.call("addProviderCustomer", {"name": SECRET_NAME, "phone": "08031110000"})
    target = tmp_path / "server.pdbak"
    backups.run_backup(admin, target)
    source = {"file": str(target), "username": ADMIN, "password": ADMIN_PASSWORD}
    checked = admin.run_job("checkBackup", source)
    assert checked["ok"] is True and checked["customers"] == 1
    restored = admin.run_job("restoreBackup", {**source, "db": pg.url("from_the_window")})
    assert restored["createdDatabase"] is True
    for db, replace in ((str(tmp_path / "file.db"), False), (pg.url("other"), True)):
        with pytest.raises(PharmDeskError) as refused:
            admin.run_job("restoreBackup", {**source, "db": db, "replace": replace})
        assert refused.value.code == VALIDATION_ERROR and refused.value.field == "db"
        assert "branch server's backup" in refused.value.message
    assert not (tmp_path / "file.db").exists()
    with pytest.raises(PharmDeskError) as refused:
        backups.check_backup(target, ADMIN, ADMIN_PASSWORD, kdf=TEST_KDF)
    assert refused.value.field == "file" and "branch server's backup" in refused.value.message
