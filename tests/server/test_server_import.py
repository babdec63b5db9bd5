"""``server import-file``: a demo file moved onto an empty server database, checked
against the file operation by operation; refusals change neither side."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from pharmdesk.controllers.server_import import ImportResult, import_file
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER, create_demo
from pharmdesk.errors import AUTH_FAILED, PASSWORD_CHANGE_REQUIRED, PharmDeskError
from pharmdesk.paths import DatabaseFiles, server_files
from pharmdesk.store import pg_roles, transfer
from pharmdesk.store.engine import open_engine
from pharmdesk.store.server import open_server_engine
from tests import pg_server
from tests.cli.conftest import run_process, subprocess_env
from tests.conftest import TEST_KDF, FixedClock
from tests.server import answers

CUSTOMERS = 300
# Staff added to the demo file: their file passwords, and who is disabled.
FILE_STAFF = {
    "femi": ("frontdesk", "femi likes long walks 2026"),
    "bola": ("pharmacist", "bola reads the labels twice"),
    "tayo": ("frontdesk", "tayo left the branch in may"),
}
DISABLED = "tayo"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> DatabaseFiles:
    files = DatabaseFiles(tmp_path_factory.mktemp("demo") / "branch.db")
    create_demo(files, customers=CUSTOMERS, clock=FixedClock(), kdf=TEST_KDF, workers=1)
    desk = sign_in(files, DEMO_USER, DEMO_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:  # what the generator does not make: reminders, relationships, a merge
        for channel in ("sms", "whatsapp"):
            desk.call("queueReminders", {"days": 30, "channel": channel})
        for number in (1, 5):
            desk.call(
                "addRelationship",
                {
                    "customerId": f"CUST-{number}",
                    "relatedCustomerId": f"CUST-{number + 1}",
                    "kind": "spouse",
                    "canCollect": True,
                    "consentMethod": "verbal",
                },
            )
        keep_all = dict.fromkeys(("name", "phone", "email", "address", "dateOfBirth"), "keep")
        desk.call(
            "mergeCustomers",
            {"keepId": "CUST-10", "mergeId": "CUST-11", "fields": keep_all, "reason": "same"},
        )
        for username, (role, password) in FILE_STAFF.items():
            desk.call(
                "addStaff",
                {
                    "username": username,
                    "fullName": username.title(),
                    "role": role,
                    "password": password,
                },
            )
        desk.call("disableStaff", {"username": DISABLED})
    finally:
        desk.close()
    return files


def _digest(files: DatabaseFiles) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in files.all_files()
        if path.exists()
    }


def _fresh(pg: pg_server.PgServer, name: str) -> str:
    pg_server.create_database(pg, name)
    return pg.url(name)


def _server_rows(url: str) -> dict[str, int]:
    engine = open_server_engine(url)
    try:
        with engine.connect() as conn:
            has_schema = conn.execute(text("SELECT to_regclass('customer')")).scalar()
            return transfer.server_counts(conn) if has_schema else {}
    finally:
        engine.dispose()


def _copy(demo_file: DatabaseFiles, folder: Path) -> DatabaseFiles:
    folder.mkdir()
    target = DatabaseFiles(folder / demo_file.db.name)
    for path, dest in zip(demo_file.all_files(), target.all_files(), strict=True):
        if path.exists():
            dest.write_bytes(path.read_bytes())
    return target


# Profiles: every other customer, and the merged pair of the demo.
SAMPLED = [*range(1, CUSTOMERS + 1, 2), *range(2, 42, 2)]


def _move(source: DatabaseFiles, url: str, desk_base: Path, **extra: Any) -> ImportResult:
    """``import_file`` as the demo's admin, at the fixed test moment."""
    return import_file(
        source,
        url,
        username=DEMO_USER,
        password=DEMO_PASSWORD,
        clock=FixedClock(),
        kdf=TEST_KDF,
        desk_base=desk_base,
        **extra,
    )


def test_a_demo_file_moves_with_every_row_and_the_same_answers(
    pg: pg_server.PgServer, demo_file: DatabaseFiles, tmp_path: Path
) -> None:
    source = _copy(demo_file, tmp_path / "file")
    before = _digest(source)
    url = _fresh(pg, "import_demo")
    steps: list[str] = []
    result = _move(
        source,
        url,
        tmp_path / "desk",
        progress=lambda stage, _done, _total: steps.append(stage),
    )
    assert _digest(source) == before  # not one byte of the file changed
    assert "Copying to the server" in steps and "Planner statistics" in steps

    with transfer.read_only_file(source.db, _file_key(source)) as conn:
        file_counts = transfer.file_counts(conn)
        head = transfer.file_chain_head(conn)
    assert head is not None
    assert result.counts == file_counts
    for table in (
        "customer",
        "plan",
        "subscription",
        "customer_order",
        "consent_event",
        "outbox_message",
        "customer_relationship",
        "customer_merge",
        "audit_entry",
    ):
        assert file_counts[table] > 0, table
    server_counts = _server_rows(url)
    assert server_counts["audit_entry"] == file_counts["audit_entry"] + 1
    assert {k: v for k, v in server_counts.items() if k != "audit_entry"} == {
        k: v for k, v in file_counts.items() if k != "audit_entry"
    }
    assert result.audit_entries == head.entry_id
    engine = open_server_engine(url)
    try:  # the triggers held off during the copy are on again
        with engine.connect() as conn:
            states = conn.execute(
                text("SELECT tgenabled FROM pg_trigger WHERE NOT tgisinternal")
            ).scalars()
            assert set(states) == {"O"}
            analysed = conn.execute(  # ANALYZE ran: the planner knows the tables' sizes
                text("SELECT count(*) FROM pg_stats WHERE tablename = 'customer'")
            ).scalar_one()
            assert analysed > 0
    finally:
        engine.dispose()
    assert [(login.username, login.db_role) for login in result.logins] == [
        (name, pg_roles.login_role("import_demo", name)) for name in ("bola", DEMO_USER, "femi")
    ]
    assert result.disabled == [DISABLED]

    # Every desk, this one included, signs people in with their own logins now: the
    # file's key slots stay with the file.
    files = server_files(url, base=tmp_path / "desk")
    assert result.desk_files == files and not files.vault.exists()
    otp = _one_time(result)
    on_server = _first_sign_in(files, DEMO_USER, otp[DEMO_USER])
    on_file = sign_in(source, DEMO_USER, DEMO_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    try:
        assert on_server.call("verifyAuditLog", {})["ok"] is True
        moved = on_server.call("fetchAuditLog", {"action": "restore"})["entries"]
        assert [(e["user"], e["detail"]["kind"]) for e in moved] == [(DEMO_USER, "serverImport")]
        assert moved[0]["detail"]["customers"] == file_counts["customer"]
        sample = answers.sample(on_server, head.entry_id, SAMPLED)
        assert sample == answers.sample(on_file, head.entry_id, SAMPLED)
        totals = [a["total"] for a in sample if isinstance(a, dict) and "total" in a]
        assert len(sample) >= 200
        assert sum(1 for t in totals if t > 0) >= 25  # the sample finds real customers
        # New rows get new ids after the copied ones.
        added = on_server.call("addProviderCustomer", {"name": "Ngozi Obi", "phone": "08091112222"})
        assert added["customerId"] == f"CUST-{file_counts['customer'] + 1}"
    finally:
        on_server.close()
        on_file.close()


def _one_time(result: ImportResult) -> dict[str, str]:
    return {login.username: login.one_time_password for login in result.logins}


def _desk_sign_in(files: DatabaseFiles, username: str, password: str) -> DeskSession:
    return sign_in(files, username, password, clock=FixedClock(), sleep=_no_wait, kdf=TEST_KDF)


def _no_wait(_seconds: float) -> None:
    pass


def _first_sign_in(files: DatabaseFiles, username: str, one_time: str) -> DeskSession:
    """A URL-only desk: the person signs in as their own login with the one-time password
    and must choose their own before anything else."""
    assert not files.vault.exists()
    desk = _desk_sign_in(files, username, one_time)
    try:
        assert desk.own_server_login and desk.staff.must_change_password
        with pytest.raises(PharmDeskError) as first:
            desk.call("fetchCustomers", {})
        assert first.value.code == PASSWORD_CHANGE_REQUIRED
        desk.call("changeMyPassword", {"oldPassword": one_time, "newPassword": _own(username)})
        assert not desk.staff.must_change_password
    except BaseException:
        desk.close()
        raise
    return desk


def _own(username: str) -> str:
    return f"{username} chose this on the server"


def _file_key(files: DatabaseFiles) -> bytes:
    from pharmdesk.store.vault import Vault

    vault = Vault(files.vault, TEST_KDF)
    opened = vault.open_staff(DEMO_USER, DEMO_PASSWORD)
    assert opened is not None
    key = vault.keys(opened)[0]
    assert key is not None
    return key


def test_each_person_signs_in_with_their_one_time_password_and_chooses_their_own(
    pg: pg_server.PgServer, demo_file: DatabaseFiles, tmp_path: Path
) -> None:
    source = _copy(demo_file, tmp_path / "file")
    url = _fresh(pg, "import_logins")

    def move() -> ImportResult:
        return _move(source, url, tmp_path / "desk")

    result = move()
    otp = _one_time(result)
    assert sorted(otp) == ["bola", DEMO_USER, "femi"]
    assert len(set(otp.values())) == 3
    assert DISABLED not in otp and result.disabled == [DISABLED]
    assert not any(p in repr(result) for p in otp.values())  # a logged result shows none
    desk_files = server_files(url, base=tmp_path / "desk")
    other_desk = server_files(url, base=tmp_path / "other-desk")

    # The file's passwords open nothing on the server: only the one-time ones do.
    with pytest.raises(PharmDeskError) as old:
        _desk_sign_in(other_desk, "femi", FILE_STAFF["femi"][1])
    assert old.value.code == AUTH_FAILED
    for username, one_time in otp.items():
        desk = _first_sign_in(
            desk_files if username == DEMO_USER else other_desk, username, one_time
        )
        try:
            assert desk.call("fetchCustomers", {})["total"] > 0
            with desk.db.transaction() as tx:
                who = tx.execute(text("SELECT session_user")).scalar_one()
            assert who == pg_roles.login_role("import_logins", username)
            assert desk.staff.role == (
                FILE_STAFF[username][0] if username in FILE_STAFF else "admin"
            )
        finally:
            desk.close()
        with pytest.raises(PharmDeskError) as used:  # one-time: changed at first sign-in
            _desk_sign_in(other_desk, username, one_time)
        assert used.value.code == AUTH_FAILED

    # A disabled person has a login role that may not log in, and no password.
    with pytest.raises(PharmDeskError) as disabled:
        _desk_sign_in(other_desk, DISABLED, FILE_STAFF[DISABLED][1])
    assert disabled.value.code == AUTH_FAILED
    engine = open_server_engine(url)
    try:
        with engine.connect() as conn:
            can_login = dict(
                conn.execute(
                    text("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE :p"),
                    {"p": pg_roles.role_prefixes("import_logins")[0] + "%"},
                ).all()
            )
            log = conn.execute(text("SELECT row_to_json(a)::text FROM audit_entry a")).scalars()
            log_text = "\n".join(log)
            moved = conn.execute(
                text("SELECT detail::text FROM audit_entry WHERE action = 'restore'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert can_login == {
        pg_roles.login_role("import_logins", name): name != DISABLED
        for name in ("bola", DEMO_USER, "femi", DISABLED)
    }
    assert json.loads(moved)["logins"] == 3
    for one_time in otp.values():  # nowhere in the audit log
        assert one_time not in log_text

    # A second run refuses and leaves every login as its person set it.
    with pytest.raises(PharmDeskError) as again:
        move()
    assert again.value.code == "VALIDATION_ERROR"
    _desk_sign_in(other_desk, "femi", _own("femi")).close()


def test_a_failure_after_the_logins_leaves_no_login_and_no_row(
    pg: pg_server.PgServer,
    demo_file: DatabaseFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = _copy(demo_file, tmp_path / "file")
    url = _fresh(pg, "import_fails_late")

    def analyze(_conn: object) -> None:  # the last step of the copy's transaction
        raise PharmDeskError("DATABASE_ERROR", "the server went away")

    monkeypatch.setattr(transfer, "analyze", analyze)
    with pytest.raises(PharmDeskError, match="went away"):
        import_file(
            source,
            url,
            username=DEMO_USER,
            password=DEMO_PASSWORD,
            kdf=TEST_KDF,
            desk_base=tmp_path / "desk",
        )
    assert set(_server_rows(url).values()) == {0}
    engine = open_server_engine(url)
    try:
        with engine.connect() as conn:
            logins = conn.execute(
                text("SELECT count(*) FROM pg_roles WHERE rolname LIKE :p"),
                {"p": pg_roles.role_prefixes("import_fails_late")[0] + "%"},
            ).scalar_one()
    finally:
        engine.dispose()
    assert logins == 0


def test_refusals_change_neither_side(
    pg: pg_server.PgServer, demo_file: DatabaseFiles, tmp_path: Path
) -> None:
    source = _copy(demo_file, tmp_path / "file")
    before = _digest(source)
    url = _fresh(pg, "import_refusals")

    def move(password: str = DEMO_PASSWORD, files: DatabaseFiles = source) -> None:
        import_file(
            files,
            url,
            username=DEMO_USER,
            password=password,
            kdf=TEST_KDF,
            desk_base=tmp_path / "desk",
        )

    with pytest.raises(PharmDeskError) as wrong:
        move(password="not-the-password")
    assert wrong.value.code == "AUTH_FAILED"
    assert _server_rows(url) == {}

    fake = DatabaseFiles(tmp_path / "fake" / "branch.db")
    fake.db.parent.mkdir()
    fake.db.write_bytes(b"SQLite format 3\x00" + bytes(4080))
    fake.vault.write_bytes(source.vault.read_bytes())
    with pytest.raises(PharmDeskError) as not_ours:
        move(files=fake)
    assert not_ours.value.code == "DATABASE_ERROR"
    assert "not a PharmDesk database" in not_ours.value.message
    assert _server_rows(url) == {}

    move()
    counts = _server_rows(url)
    with pytest.raises(PharmDeskError) as again:
        move()
    assert again.value.code == "VALIDATION_ERROR"
    assert "already" in again.value.message
    assert _server_rows(url) == counts
    assert _digest(source) == before
    assert not (tmp_path / "desk" / "again").exists()


def test_the_command_moves_a_file_and_refuses_a_second_run(
    pg: pg_server.PgServer, demo_file: DatabaseFiles, tmp_path: Path
) -> None:
    source = _copy(demo_file, tmp_path / "file")
    url = _fresh(pg, "import_cli")
    env = subprocess_env(
        PHARMDESK_USER=DEMO_USER, PHARMDESK_PASSWORD=DEMO_PASSWORD, XDG_DATA_HOME=str(tmp_path)
    )
    env.pop("PHARMDESK_DB", None)
    argv = ("server", "import-file", "--from", str(source.db), "--db", url)
    done = run_process(*argv, env=env)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["counts"]["customer"] == CUSTOMERS
    logins = {login["username"]: login for login in answer["logins"]}
    assert sorted(logins) == ["bola", DEMO_USER, "femi"]
    assert logins["femi"]["dbRole"] == pg_roles.login_role("import_cli", "femi")
    assert answer["disabledWithoutLogin"] == [DISABLED]
    assert "Copying to the server" in done.stderr
    assert "3 staff login(s) made on the server" in done.stderr
    assert "disabled account(s) got no login: tayo" in done.stderr
    for login in logins.values():  # printed once, in the answer on standard output only
        assert done.stdout.count(login["oneTimePassword"]) == 1
        assert login["oneTimePassword"] not in done.stderr
    assert DEMO_PASSWORD not in done.stdout + done.stderr
    desk = _first_sign_in(
        server_files(url, base=tmp_path / "desk"), "bola", logins["bola"]["oneTimePassword"]
    )
    desk.close()

    again = run_process(*argv, env=env)
    assert again.returncode != 0
    assert json.loads(again.stdout)["error"]["code"] == "VALIDATION_ERROR"
    assert "oneTimePassword" not in again.stdout


def test_a_file_without_its_audit_bookkeeping_row_moves_and_people_sign_in(
    pg: pg_server.PgServer, demo_file: DatabaseFiles, tmp_path: Path
) -> None:
    """A file whose ``audit_state`` row was never written (a file no admin had signed in
    to since it was made, as a demo generated in bulk): the server database gets the row
    at the move, as its owner, because a staff login may not create it (GRANTs), and
    the first sign-in of each person writes its checkpoint there."""
    source = _copy(demo_file, tmp_path / "file")
    engine = open_engine(source.db, _file_key(source))
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_state"))
    finally:
        engine.dispose()
    url = _fresh(pg, "import_no_state")
    result = _move(source, url, tmp_path / "desk")
    desk = server_files(url, base=tmp_path / "desk2")
    femi = _first_sign_in(desk, "femi", _one_time(result)["femi"])
    try:
        assert femi.call("fetchCustomers", {})["total"] > 0
    finally:
        femi.close()
