"""Running ``pharmdesk`` in-process (``main([...])``) and as a real subprocess."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pharmdesk import cli
from pharmdesk.clock import FixedClock
from pharmdesk.paths import DatabaseFiles
from tests.conftest import ADMIN, ADMIN_PASSWORD

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]

    @property
    def json(self) -> Any:
        lines = self.lines
        assert len(lines) == 1, self.out
        return lines[0]

    @property
    def error(self) -> dict[str, Any]:
        answer = self.json
        assert answer["success"] is False, answer
        return answer["error"]


Run = Callable[..., Result]


# The command-line contract runs on both stores (a single-PC file and a branch server);
# the other modules here are about files (backups, imports, demo, the key file).
ON_BOTH_STORES = {"test_cli_call.py", "test_every_operation.py"}


@pytest.fixture(params=["sqlcipher", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """This hook sees every collected item of the run: it judges only this folder's."""
    here = Path(__file__).parent
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_server = callspec is not None and callspec.params.get("store") == "postgresql"
        if (
            on_server
            and item.path.is_relative_to(here)
            and (item.path.name not in ON_BOTH_STORES or item.get_closest_marker("single_pc"))
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign in as the template's admin through the environment; never prompt."""
    monkeypatch.setenv("PHARMDESK_USER", ADMIN)
    monkeypatch.setenv("PHARMDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.delenv("PHARMDESK_DB", raising=False)
    monkeypatch.setattr(cli, "_has_terminal", lambda: False)


@pytest.fixture
def run(
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
) -> Run:
    """``run("call", "fetchCustomers", stdin=...)``: main() in this process."""

    def _run(*argv: str, stdin: str = "") -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(list(argv), clock=clock)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def db_arg(db_files: DatabaseFiles, monkeypatch: pytest.MonkeyPatch) -> str:
    """``--db`` for the test's database. On the branch server, the command line finds
    this desk's side files (key slots, counters) where the test's database put them."""
    if db_files.server is None:
        return f"--db={db_files.db}"
    monkeypatch.setenv("XDG_DATA_HOME", str(db_files.db.parents[3]))
    return f"--db={db_files.server}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PHARMDESK_") and key != "PYTEST_CURRENT_TEST"
    }
    env.update(
        {
            "PHARMDESK_USER": ADMIN,
            "PHARMDESK_PASSWORD": ADMIN_PASSWORD,
            "TZ": "Africa/Lagos",
            "PYTHONPATH": str(REPO),
            **extra,
        }
    )
    return env


def run_process(
    *argv: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m pharmdesk ...`` with this interpreter, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "pharmdesk", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env or subprocess_env(),
        cwd=REPO,
        timeout=timeout,
        check=False,
    )


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (by relative path)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
