"""``pharmdesk init`` and ``pharmdesk call`` against a branch server, as a real process."""

from __future__ import annotations

import json
from pathlib import Path

from tests import pg_server
from tests.cli.conftest import run_process, subprocess_env
from tests.conftest import ADMIN, ADMIN_PASSWORD


def test_init_then_call_through_a_server_url(pg: pg_server.PgServer, tmp_path: Path) -> None:
    pg_server.create_database(pg, "cli_init")
    env = subprocess_env(PHARMDESK_DB=pg.url("cli_init"), XDG_DATA_HOME=str(tmp_path))
    created = run_process("init", "--admin", ADMIN, "--branch-name", "Lekki", env=env)
    assert created.returncode == 0, created.stderr
    answer = json.loads(created.stdout)
    assert answer["success"] is True
    assert answer["database"].endswith("/cli_init")
    assert answer["recoveryKey"]
    # This desk's sign-in keys for the server sit in its own data folder.
    assert list((tmp_path / "PharmDesk" / "servers").glob("*/pharmdesk.db.vault"))

    again = run_process("init", "--admin", ADMIN, env=env)
    assert again.returncode != 0
    assert json.loads(again.stdout)["error"]["code"] == "VALIDATION_ERROR"

    customer = {"name": "Chioma Eze", "phone": "08031234567"}
    added = run_process("call", "addProviderCustomer", json.dumps(customer), env=env)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["customerId"] == "CUST-1"
    found = run_process("call", "fetchCustomers", '{"search": "1234"}', env=env)
    assert json.loads(found.stdout)["total"] == 1
    verified = run_process("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    copy = tmp_path / "copy.pdbak"
    backup = run_process("backup", str(copy), env=env)
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert json.loads(backup.stdout)["verified"] is True
    # Into the database in use: refused, it is not empty.
    restore = run_process("restore", str(copy), env=env)
    assert json.loads(restore.stdout)["error"]["field"] == "db"
    # The drill with the recovery key printed at init, on the same server.
    key_env = {**env, "PHARMDESK_RECOVERY_KEY": answer["recoveryKey"]}
    checked = run_process("restore", str(copy), "--check", "--with-recovery-key", env=key_env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["customers"] == 1
    # Into a new database: made, restored, and this desk signs in there as before.
    moved_env = {**env, "PHARMDESK_DB": pg.url("cli_moved")}
    restored = run_process("restore", str(copy), env=moved_env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert json.loads(restored.stdout)["createdDatabase"] is True
    found = run_process("call", "fetchCustomers", '{"search": "1234"}', env=moved_env)
    assert json.loads(found.stdout)["total"] == 1, found.stdout + found.stderr

    wrong = run_process("call", "fetchCustomers", env={**env, "PHARMDESK_PASSWORD": "nope"})
    assert json.loads(wrong.stdout)["error"]["code"] == "AUTH_FAILED"
    assert ADMIN_PASSWORD not in wrong.stdout + wrong.stderr
