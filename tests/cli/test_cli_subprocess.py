"""Real ``python -m pharmdesk`` processes: stdin, streaming batches, exit codes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from pharmdesk import __version__
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import backup
from tests.cli.conftest import REPO, run_process, subprocess_env

CUSTOMER = {"name": "Aisha Bello", "phone": "+234 806 111 2222", "medicalConditions": ["Asthma"]}


def test_version_and_help():
    version = run_process("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"pharmdesk {__version__}"
    helped = run_process("call", "--help")
    assert helped.returncode == 0
    assert "--batch" in helped.stdout


def test_params_from_stdin_and_exit_codes(db_files: DatabaseFiles):
    db = f"--db={db_files.db}"
    created = run_process("call", "addProviderCustomer", "-", db, stdin=json.dumps(CUSTOMER))
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["customerId"] == "CUST-1"
    assert created.stderr == ""

    again = run_process("call", "addProviderCustomer", "-", db, stdin=json.dumps(CUSTOMER))
    assert again.returncode == 1
    assert json.loads(again.stdout)["error"]["code"] == "DUPLICATE"
    assert again.stderr.startswith("pharmdesk: This customer is already on file")
    assert "Traceback" not in again.stderr

    malformed = run_process("call", "fetchCustomers", "-", db, stdin="{not json")
    assert malformed.returncode == 1
    assert json.loads(malformed.stdout)["error"]["code"] == "VALIDATION_ERROR"
    assert "Traceback" not in malformed.stderr

    usage = run_process("call", "fetchCustomers", "--no-such-option", db)
    assert usage.returncode == 2
    assert json.loads(usage.stdout)["error"]["code"] == "VALIDATION_ERROR"


def test_wrong_password_exit_code(db_files: DatabaseFiles):
    result = run_process(
        "call",
        "fetchCustomers",
        f"--db={db_files.db}",
        env=subprocess_env(PHARMDESK_PASSWORD="definitely not the password"),
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["code"] == "AUTH_FAILED"
    assert "Traceback" not in result.stderr


def test_no_password_without_a_terminal_does_not_hang(db_files: DatabaseFiles):
    env = subprocess_env()
    del env["PHARMDESK_PASSWORD"]
    result = subprocess.run(
        [sys.executable, "-m", "pharmdesk", "call", "fetchCustomers", f"--db={db_files.db}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        start_new_session=True,  # no controlling terminal, as under cron or a service
        check=False,
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["field"] == "password"


def test_batch_streams_one_answer_per_line_as_each_commits(db_files: DatabaseFiles):
    process = subprocess.Popen(
        [sys.executable, "-m", "pharmdesk", "call", "--batch", "-", f"--db={db_files.db}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        cwd=REPO,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        # Each answer arrives before the next line is even written: the batch streams.
        process.stdin.write(json.dumps({"operation": "addProviderCustomer", "params": CUSTOMER}))
        process.stdin.write("\n")
        process.stdin.flush()
        first = json.loads(process.stdout.readline())
        assert first["customerId"] == "CUST-1"

        process.stdin.write('{"operation": "fetchCustomers", "params": {"search": "aisha"}}\n')
        process.stdin.flush()
        second = json.loads(process.stdout.readline())
        assert second["total"] == 1

        process.stdin.write("oops\n")
        process.stdin.flush()
        third = json.loads(process.stdout.readline())
        assert third["error"]["code"] == "VALIDATION_ERROR"
        process.stdin.close()
        assert process.wait(timeout=60) == 1  # one line failed
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()


def test_batch_all_good_exits_0(db_files: DatabaseFiles):
    lines = "\n".join(
        json.dumps(line)
        for line in (
            {"operation": "addProviderCustomer", "params": CUSTOMER},
            {"operation": "fetchCustomers"},
        )
    )
    result = run_process("call", "--batch", "-", f"--db={db_files.db}", stdin=lines + "\n")
    assert result.returncode == 0, result.stdout
    assert len(result.stdout.splitlines()) == 2


def test_batch_failed_sign_in_is_one_error_object(db_files: DatabaseFiles):
    lines = '{"operation": "fetchCustomers"}\n' * 3
    result = run_process(
        "call",
        "--batch",
        "-",
        f"--db={db_files.db}",
        stdin=lines,
        env=subprocess_env(PHARMDESK_PASSWORD="definitely not the password"),
    )
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1
    assert json.loads(result.stdout)["error"]["code"] == "AUTH_FAILED"


def forge_damaged_page(source: Path, target: Path) -> None:
    """A backup whose checksums all agree but whose database has one changed page: only
    SQLCipher's page authentication can catch it."""
    with zipfile.ZipFile(source) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    database = bytearray(members[backup.DATABASE])
    database[4096 + 200] ^= 0x01
    manifest = json.loads(members[backup.MANIFEST])
    manifest["databaseSha256"] = hashlib.sha256(database).hexdigest()
    members[backup.DATABASE] = bytes(database)
    members[backup.MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_backup_restore_and_audit_verify_as_processes(db_files: DatabaseFiles, tmp_path):
    db = f"--db={db_files.db}"
    added = run_process("call", "addProviderCustomer", "-", db, stdin=json.dumps(CUSTOMER))
    assert added.returncode == 0
    target = tmp_path / "nightly.pdbak"
    made = run_process("backup", str(target), db)
    assert made.returncode == 0, made.stdout + made.stderr
    restored_db = tmp_path / "restored" / "pharmdesk.db"
    restored = run_process("restore", str(target), f"--db={restored_db}")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    verified = run_process("audit", "verify", f"--db={restored_db}")
    assert verified.returncode == 0
    assert json.loads(verified.stdout)["ok"] is True
    damaged = tmp_path / "damaged.pdbak"
    forge_damaged_page(target, damaged)
    refused = run_process("restore", str(damaged), f"--db={tmp_path / 'x' / 'p.db'}")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["error"]["code"] == "DATABASE_ERROR"
    assert "ERROR CORE" not in refused.stderr  # SQLCipher's own log is kept quiet
    messages = [line for line in refused.stderr.splitlines() if ": " in line and "/" not in line]
    assert messages == [refused.stderr.splitlines()[-1]]  # progress, then one line for people
    assert messages[0].startswith("pharmdesk: The backup file is damaged")
