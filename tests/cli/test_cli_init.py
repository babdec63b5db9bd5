"""``pharmdesk init``: a new encrypted database, its first admin, the recovery key once."""

from __future__ import annotations

from pathlib import Path

from pharmdesk import cli
from pharmdesk.controllers.session import sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.vault import Vault
from tests.cli.conftest import Run, digests
from tests.conftest import ADMIN_PASSWORD


def test_init_creates_the_database_and_shows_the_recovery_key_once(run: Run, tmp_path: Path):
    files = DatabaseFiles(tmp_path / "branch" / "pharmdesk.db")
    result = run(
        "init",
        "--admin",
        "Ada",
        "--full-name",
        "Ada Obi",
        "--branch-name",
        "Yaba branch",
        f"--db={files.db}",
    )
    assert result.code == 0
    answer = result.json
    assert answer["admin"] == "ada"
    key = answer["recoveryKey"]
    assert (result.out + result.err).count(key) == 1
    assert "Write down" in answer["notice"]
    assert "will not be shown again" in result.err
    assert Vault(files.vault).unlock_recovery(key) is not None
    desk = sign_in(files, "ada", ADMIN_PASSWORD)
    try:
        assert desk.staff.role == "admin"
        assert desk.staff.full_name == "Ada Obi"
        assert desk.call("getSettings")["settings"]["branchName"] == "Yaba branch"
    finally:
        desk.close()


def test_init_refuses_an_existing_database_and_changes_nothing(run: Run, db_files: DatabaseFiles):
    before = digests(db_files.db.parent)
    result = run("init", "--admin", "ada", f"--db={db_files.db}")
    assert result.code == 1
    assert result.error["field"] == "db"
    assert "nothing was changed" in result.error["message"]
    assert digests(db_files.db.parent) == before


def test_init_refuses_a_weak_password_and_leaves_no_file(run: Run, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PHARMDESK_PASSWORD", "short")
    result = run("init", "--admin", "ada", f"--db={tmp_path / 'p.db'}")
    assert result.code == 1
    assert result.error["field"] == "password"
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_a_bad_username(run: Run, tmp_path: Path):
    result = run("init", "--admin", "Ada Obi!", f"--db={tmp_path / 'p.db'}")
    assert result.code == 1
    assert result.error["field"] == "admin"
    assert list(tmp_path.iterdir()) == []


def test_init_prompt_asks_twice_and_refuses_a_mismatch(run: Run, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PHARMDESK_PASSWORD")
    monkeypatch.setattr(cli, "_has_terminal", lambda: True)
    typed = iter([ADMIN_PASSWORD, ADMIN_PASSWORD + "x"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda _prompt: next(typed))
    result = run("init", "--admin", "ada", f"--db={tmp_path / 'p.db'}")
    assert result.code == 1
    assert "differ" in result.error["message"]
    assert list(tmp_path.iterdir()) == []


def test_init_prompt_accepts_the_same_password_twice(run: Run, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PHARMDESK_PASSWORD")
    monkeypatch.setattr(cli, "_has_terminal", lambda: True)
    monkeypatch.setattr(cli.getpass, "getpass", lambda _prompt: ADMIN_PASSWORD)
    assert run("init", "--admin", "ada", f"--db={tmp_path / 'p.db'}").code == 0
