"""``pharmdesk demo`` and ``pharmdesk self-test``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmdesk import cli, demo, selftest
from pharmdesk.controllers.validation import search_key
from tests.cli.conftest import Run


@pytest.fixture
def as_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHARMDESK_USER", demo.DEMO_USER)
    monkeypatch.setenv("PHARMDESK_PASSWORD", demo.DEMO_PASSWORD)


def test_demo_then_search(run: Run, tmp_path: Path, as_demo: None):
    db = f"--db={tmp_path / 'demo.db'}"
    made = run("demo", "--customers", "2000", "--seed", "11", db)
    assert made.code == 0, made.out
    answer = made.json
    assert answer["customers"] == 2000
    assert (answer["username"], answer["password"]) == ("demo", "pharmdesk-demo-2026")
    assert answer["orders"] > 2000 and answer["subscriptions"] > 0
    assert "Creating customers: 2,000 / 2,000 (100%)" in made.err
    assert "Sign in as 'demo' with the password 'pharmdesk-demo-2026'" in made.err

    everyone = run("call", "fetchCustomers", '{"limit": 5}', db)
    assert everyone.code == 0
    assert 1950 <= everyone.json["total"] <= 2000  # a few are archived
    first = everyone.json["customers"][0]
    surname = first["name"].split()[-1]
    found = run("call", "fetchCustomers", f'{{"search": "{surname}", "limit": 100}}', db)
    assert found.code == 0
    assert first["id"] in [row["id"] for row in found.json["customers"]]
    key = search_key(surname)
    assert all(key in search_key(row["name"]) for row in found.json["customers"])
    digits = first["phone"][-7:]
    by_phone = run("call", "fetchCustomers", f'{{"search": "{digits}"}}', db)
    assert first["id"] in [row["id"] for row in by_phone.json["customers"]]
    assert run("audit", "verify", db).code == 0


def test_demo_goes_to_the_demo_path_by_default(run: Run, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(cli, "demo_db_path", lambda: tmp_path / "user" / "demo.db")
    monkeypatch.setenv("PHARMDESK_DB", str(tmp_path / "real.db"))  # not the real database
    made = run("demo", "--customers", "5")
    assert made.code == 0
    assert made.json["database"] == str(tmp_path / "user" / "demo.db")
    assert not (tmp_path / "real.db").exists()


def test_demo_refuses_an_existing_database(run: Run, tmp_path: Path):
    db = f"--db={tmp_path / 'demo.db'}"
    assert run("demo", "--customers", "3", db).code == 0
    again = run("demo", "--customers", "3", db)
    assert again.code == 1
    assert again.error["field"] == "db"


def test_demo_refuses_a_bad_count(run: Run, tmp_path: Path):
    result = run("demo", "--customers", "0", f"--db={tmp_path / 'demo.db'}")
    assert result.code == 1
    assert result.error["field"] == "customers"
    not_a_number = run("demo", "--customers", "many", f"--db={tmp_path / 'demo.db'}")
    assert not_a_number.code == 2
    assert list(tmp_path.iterdir()) == []


def test_progress_on_a_terminal_updates_one_line():
    class Tty:
        def __init__(self) -> None:
            self.text = ""

        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    stream = Tty()
    show = cli.TerminalProgress(stream)  # type: ignore[arg-type]
    for done in (0, 500, 1000):
        show("Creating customers", done, 1000)
    assert stream.text.count("\r") == 3
    assert stream.text.count("\n") == 1  # only when finished


def test_self_test_passes(run: Run):
    result = run("self-test")
    assert result.code == 0, result.err
    report = result.json
    assert report["success"] is True
    names = [check["check"] for check in report["checks"]]
    assert names[:7] == [
        "Create an encrypted database",
        "Sign in",
        "SQLCipher version",
        "Register a customer",
        "Read it back through every layer",
        "Encryption at rest",
        "Audit chain",
    ]
    assert report["checks"][-1]["check"] == "Main window renders offscreen"
    assert report["checks"][-1]["status"] == "ok"
    assert "[ok  ] SQLCipher version: SQLCipher 4." in result.err


def test_self_test_skips_the_window_without_the_gui(run: Run, monkeypatch):
    real_find_spec = selftest.importlib.util.find_spec
    monkeypatch.setattr(
        selftest.importlib.util,
        "find_spec",
        lambda name: None if name == "pharmdesk.ui" else real_find_spec(name),
    )
    result = run("self-test")
    assert result.code == 0
    last = result.json["checks"][-1]
    assert last["status"] == "skipped"
    assert "no desktop window" in last["detail"]
    assert "[SKIP] Main window renders offscreen" in result.err


def test_self_test_fails_on_the_wrong_sqlcipher(run: Run, monkeypatch):
    monkeypatch.setattr(selftest, "cipher_version", lambda _engine: "3.4.2")
    result = run("self-test")
    assert result.code == 1
    report = result.json
    assert report["success"] is False
    failed = [c for c in report["checks"] if c["status"] == "failed"]
    assert [c["check"] for c in failed] == ["SQLCipher version"]
    assert "[FAIL] SQLCipher version" in result.err
    assert len(report["checks"]) == 3  # stops at the first failure
