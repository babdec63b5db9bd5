"""``pharmdesk call``: one operation, or a batch, as JSON; errors as error objects."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk import __version__, cli
from pharmdesk.controllers import api, audit
from pharmdesk.controllers.session import sign_in
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import AuditEntry
from pharmdesk.store.vault import Vault
from tests.cli.conftest import Run
from tests.conftest import ADMIN, ADMIN_PASSWORD

CUSTOMER = {"name": "Chioma Okafor", "phone": "0803 123 4567", "allergies": ["Penicillin"]}


def audit_actions(files: DatabaseFiles) -> list[tuple[str, str, str]]:
    desk = sign_in(files, ADMIN, ADMIN_PASSWORD, sleep=lambda _s: None)
    try:
        with desk.db.transaction() as tx:
            rows = tx.execute(
                select(AuditEntry.user, AuditEntry.action, AuditEntry.outcome).order_by(
                    AuditEntry.id
                )
            ).all()
            return [(row[0], row[1], row[2]) for row in rows][:-1]  # not this check's sign-in
    finally:
        desk.close()


def test_call_prints_the_answer_and_audits_it(run: Run, db_arg: str, db_files: DatabaseFiles):
    created = run("call", "addProviderCustomer", json.dumps(CUSTOMER), db_arg)
    assert created.code == 0
    assert created.json["customerId"] == "CUST-1"

    found = run("call", "fetchCustomers", '{"search": "chioma"}', db_arg)
    assert found.code == 0
    assert found.json["total"] == 1
    assert found.json["customers"][0]["phone"] == "+2348031234567"
    actions = [a for _, a, _ in audit_actions(db_files)]
    assert actions[-4:] == ["signIn", "create", "signIn", "list"]


def test_call_reads_params_from_stdin_and_keeps_non_ascii(run: Run, db_arg: str):
    params = {**CUSTOMER, "name": "Adéwálé Ọlábọ́dé"}
    created = run("call", "addProviderCustomer", "-", db_arg, stdin=json.dumps(params))
    assert created.code == 0
    shown = run("call", "viewProviderCustomerDetails", '{"customerId": "CUST-1"}', db_arg)
    assert "Adéwálé Ọlábọ́dé" in shown.out  # ensure_ascii=False
    assert shown.json["name"] == "Adéwálé Ọlábọ́dé"


def test_call_without_params_uses_the_defaults(run: Run, db_arg: str):
    result = run("call", "fetchCustomers", db_arg)
    assert result.code == 0
    assert result.json == {"customers": [], "total": 0, "page": 1, "hasMore": False}


@pytest.mark.single_pc("--db given as the file's path")
def test_global_options_work_before_and_after_the_command(run: Run, db_files: DatabaseFiles):
    before = run(f"--db={db_files.db}", "call", "fetchCustomers")
    after = run("call", "fetchCustomers", "--db", str(db_files.db))
    assert before.code == after.code == 0


@pytest.mark.single_pc("--db given as the file's path")
def test_db_from_the_environment(run: Run, db_files: DatabaseFiles, monkeypatch):
    monkeypatch.setenv("PHARMDESK_DB", str(db_files.db))
    assert run("call", "fetchCustomers").code == 0


@pytest.mark.parametrize(
    "text", ['{"search": "chi"', "{'search': 'x'}", "[1, 2", "nul", '{"a": 1} trailing']
)
def test_malformed_json_is_a_validation_error_not_a_traceback(run: Run, db_arg: str, text: str):
    result = run("call", "fetchCustomers", text, db_arg)
    assert result.code == 1
    assert result.error["code"] == "VALIDATION_ERROR"
    assert result.error["field"] == "params"
    assert "not valid JSON" in result.error["message"]
    assert result.err.startswith("pharmdesk: ")


def test_params_that_are_not_an_object(run: Run, db_arg: str):
    result = run("call", "fetchCustomers", "[1]", db_arg)
    assert result.code == 1
    assert result.error["code"] == "VALIDATION_ERROR"


def test_unknown_operation(run: Run, db_arg: str):
    result = run("call", "fetchCustomerz", db_arg)
    assert result.code == 1
    assert result.error == {
        "code": "VALIDATION_ERROR",
        "message": "Unknown operation 'fetchCustomerz'.",
        "field": "operation",
    }


def test_operation_refusal_is_printed_with_exit_code_1(run: Run, db_arg: str):
    result = run("call", "viewProviderCustomerDetails", '{"customerId": "CUST-999"}', db_arg)
    assert result.code == 1
    assert result.error["code"] == "NOT_FOUND"
    assert result.error["field"] == "customerId"


def test_call_needs_an_operation(run: Run, db_arg: str):
    result = run("call", db_arg)
    assert result.code == 1
    assert result.error["field"] == "operation"


def test_wrong_password(run: Run, db_arg: str, monkeypatch):
    monkeypatch.setenv("PHARMDESK_PASSWORD", "not the password at all")
    result = run("call", "fetchCustomers", db_arg)
    assert result.code == 1
    assert result.error["code"] == "AUTH_FAILED"
    assert "Wrong username or password" in result.err


def test_missing_user(run: Run, db_arg: str, monkeypatch):
    monkeypatch.delenv("PHARMDESK_USER")
    result = run("call", "fetchCustomers", db_arg)
    assert result.code == 1
    assert result.error["field"] == "user"


def test_no_password_and_no_terminal(run: Run, db_arg: str, monkeypatch):
    monkeypatch.delenv("PHARMDESK_PASSWORD")
    result = run("call", "fetchCustomers", db_arg)
    assert result.code == 1
    assert result.error["field"] == "password"


def test_password_prompt_when_there_is_a_terminal(run: Run, db_arg: str, monkeypatch):
    monkeypatch.delenv("PHARMDESK_PASSWORD")
    monkeypatch.setattr(cli, "_has_terminal", lambda: True)
    asked: list[str] = []

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return ADMIN_PASSWORD

    monkeypatch.setattr(cli.getpass, "getpass", fake_getpass)
    assert run("call", "fetchCustomers", db_arg).code == 0
    assert asked == [f"Password for {ADMIN}: "]


def test_password_file(run: Run, db_arg: str, monkeypatch, tmp_path: Path):
    monkeypatch.delenv("PHARMDESK_PASSWORD")
    secret = tmp_path / "password.txt"
    secret.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
    assert run("call", "fetchCustomers", db_arg, f"--password-file={secret}").code == 0
    missing = run("call", "fetchCustomers", db_arg, f"--password-file={tmp_path / 'none'}")
    assert missing.code == 1
    assert missing.error["field"] == "passwordFile"


def test_password_file_wins_over_the_environment(run: Run, db_arg: str, tmp_path: Path):
    secret = tmp_path / "password.txt"
    secret.write_text("a different password entirely\n", encoding="utf-8")
    result = run("call", "fetchCustomers", db_arg, f"--password-file={secret}")
    assert result.error["code"] == "AUTH_FAILED"


def test_no_database(run: Run, tmp_path: Path):
    result = run("call", "fetchCustomers", f"--db={tmp_path / 'none.db'}")
    assert result.code == 1
    assert result.error["code"] == "NOT_FOUND"
    assert "pharmdesk init" in result.error["message"]


def test_permission_denied_is_audited(run: Run, db_arg: str, db_files, make_staff, monkeypatch):
    make_staff("femi", "frontdesk").close()
    monkeypatch.setenv("PHARMDESK_USER", "femi")
    monkeypatch.setenv("PHARMDESK_PASSWORD", "femi likes long walks 2026")
    result = run("call", "verifyAuditLog", db_arg)
    assert result.code == 1
    assert result.error["code"] == "PERMISSION_DENIED"
    assert ("femi", "denied", "denied") in audit_actions(db_files)


def test_checkpoint_written_by_the_call_itself(run: Run, db_arg: str, db_files: DatabaseFiles):
    before = audit.read_checkpoint(db_files.checkpoint)
    assert run("call", "fetchCustomers", db_arg).code == 0
    after = audit.read_checkpoint(db_files.checkpoint)
    assert before is not None and after is not None
    assert after.entry_id == before.entry_id + 2  # signIn + list


def test_unexpected_error_is_generic_without_patient_data(run: Run, db_arg: str, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("Chioma Okafor +2348031234567")

    monkeypatch.setattr(api, "call", broken)
    result = run("call", "fetchCustomers", db_arg)
    assert result.code == 3
    assert result.error["code"] == "DATABASE_ERROR"
    assert "Chioma" not in result.out + result.err
    assert "2348031234567" not in result.out + result.err
    assert "RuntimeError" in result.err


def test_version(run: Run, capsys):
    result = run("--version")
    assert result.code == 0
    assert result.out.strip() == f"pharmdesk {__version__}"


def test_usage_error_exit_code_2_with_a_json_error(run: Run):
    result = run("frobnicate")
    assert result.code == 2
    assert result.error["code"] == "VALIDATION_ERROR"
    assert "frobnicate" in result.error["message"]


def test_usage_error_in_a_subcommand(run: Run):
    result = run("init")  # --admin is required
    assert result.code == 2
    assert "--admin" in result.error["message"]


# -- batch ----------------------------------------------------------------------------------
def batch(*requests: object) -> str:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in requests
    )


def test_batch_answers_every_line_in_order(run: Run, db_arg: str, db_files: DatabaseFiles):
    lines = batch(
        {"operation": "addProviderCustomer", "params": CUSTOMER},
        {"operation": "fetchCustomers", "params": {"search": "okafor"}},
        {"operation": "viewProviderCustomerDetails", "params": {"customerId": "CUST-1"}},
    )
    result = run("call", "--batch", "-", db_arg, stdin=lines)
    assert result.code == 0
    answers = result.lines
    assert [a.get("customerId") for a in answers[:1]] == ["CUST-1"]
    assert answers[1]["total"] == 1
    assert answers[2]["name"] == "Chioma Okafor"
    actions = [a for _, a, _ in audit_actions(db_files)]
    assert actions[-4:] == ["signIn", "create", "list", "view"]  # one sign-in for the batch


def test_batch_failed_lines_do_not_stop_it(run: Run, db_arg: str):
    lines = batch(
        {"operation": "fetchCustomers"},
        "this is not json",
        {"operation": "nope"},
        ["not", "an", "object"],
        {"operation": "fetchCustomers", "params": {}, "extra": 1},
        "",
        {"operation": "addProviderCustomer", "params": CUSTOMER},
        {"operation": "addProviderCustomer", "params": CUSTOMER},
        {"operation": "fetchCustomers", "params": {"search": "chioma"}},
    )
    result = run("call", "--batch", "-", db_arg, stdin=lines)
    assert result.code == 1
    answers = result.lines
    assert len(answers) == 8  # the blank line has no answer
    assert answers[0]["total"] == 0
    assert answers[1]["error"]["code"] == "VALIDATION_ERROR"
    assert "Batch line 2" in answers[1]["error"]["message"]
    assert answers[2]["error"]["field"] == "operation"
    assert answers[3]["error"]["field"] == "operation"
    assert answers[4]["error"]["field"] == "extra"
    assert answers[5]["success"] is True
    assert answers[6]["error"]["code"] == "DUPLICATE"
    assert answers[7]["total"] == 1
    assert "4 line(s) of the batch failed" not in result.err
    assert "5 line(s) of the batch failed" in result.err


def test_batch_from_a_file(run: Run, db_arg: str, tmp_path: Path):
    source = tmp_path / "batch.jsonl"
    source.write_text(batch({"operation": "fetchCustomers"}), encoding="utf-8")
    result = run("call", "--batch", str(source), db_arg)
    assert result.code == 0
    assert result.json["total"] == 0


def test_batch_file_missing(run: Run, db_arg: str, tmp_path: Path):
    result = run("call", "--batch", str(tmp_path / "none.jsonl"), db_arg)
    assert result.code == 1
    assert result.error["code"] == "NOT_FOUND"
    assert result.error["field"] == "batch"


def test_batch_with_an_operation_too_is_refused(run: Run, db_arg: str):
    result = run("call", "fetchCustomers", "--batch", "-", db_arg)
    assert result.code == 1
    assert result.error["field"] == "operation"


def test_batch_failed_sign_in_prints_one_error(run: Run, db_arg: str, monkeypatch):
    monkeypatch.setenv("PHARMDESK_PASSWORD", "not the password at all")
    lines = batch({"operation": "fetchCustomers"}, {"operation": "fetchCustomers"})
    result = run("call", "--batch", "-", db_arg, stdin=lines)
    assert result.code == 1
    assert result.error["code"] == "AUTH_FAILED"  # exactly one object


# -- the window ------------------------------------------------------------------------------
@pytest.mark.single_pc("the window opens on a file only")
def test_no_command_opens_the_window(run: Run, db_arg: str, db_files, monkeypatch):
    opened: list[tuple[DatabaseFiles | None, bool]] = []
    import pharmdesk.ui.app as app

    def fake_run_gui(files: DatabaseFiles | None, demo: bool) -> int:
        opened.append((files, demo))
        return 0

    monkeypatch.setattr(app, "run_gui", fake_run_gui)
    assert run(db_arg).code == 0
    assert opened == [(DatabaseFiles(db_files.db), False)]


def test_the_window_opens_on_a_server_named_by_db(run: Run, monkeypatch):
    import pharmdesk.ui.app as app

    opened: list[tuple[DatabaseFiles | None, bool]] = []

    def fake_run_gui(files: DatabaseFiles | None, demo: bool) -> int:
        opened.append((files, demo))
        return 0

    monkeypatch.setattr(app, "run_gui", fake_run_gui)
    assert run("--db=postgresql://10.0.0.5/lekki").code == 0
    [(files, demo)] = opened
    assert files is not None and files.server == "postgresql://10.0.0.5/lekki"
    assert demo is False


def test_without_db_the_app_chooses_the_database(run: Run, monkeypatch):
    """No --db and no PHARMDESK_DB: the app opens the server this PC joined, or its file."""
    import pharmdesk.ui.app as app

    opened: list[tuple[DatabaseFiles | None, bool]] = []

    def fake_run_gui(files: DatabaseFiles | None, demo: bool) -> int:
        opened.append((files, demo))
        return 0

    monkeypatch.delenv("PHARMDESK_DB", raising=False)
    monkeypatch.setattr(app, "run_gui", fake_run_gui)
    assert run().code == 0
    assert opened == [(None, False)]


def test_demo_flag_opens_the_window_on_the_demo_database(run: Run, monkeypatch, tmp_path):
    import pharmdesk.ui.app as app

    opened: list[tuple[DatabaseFiles | None, bool]] = []

    def fake_run_gui(files: DatabaseFiles | None, demo: bool) -> int:
        opened.append((files, demo))
        return 0

    monkeypatch.setattr(app, "run_gui", fake_run_gui)
    monkeypatch.setattr(cli, "demo_db_path", lambda: tmp_path / "demo.db")
    assert run("--demo").code == 0
    assert opened == [(DatabaseFiles(tmp_path / "demo.db"), True)]


def test_without_the_window_module_a_clear_message(run: Run, monkeypatch):
    real_import = cli.importlib.import_module

    def no_ui(name: str):
        if name == "pharmdesk.ui.app":
            raise ModuleNotFoundError("No module named 'pharmdesk.ui'", name="pharmdesk.ui")
        return real_import(name)

    monkeypatch.setattr(cli.importlib, "import_module", no_ui)
    result = run()
    assert result.code == 2
    assert "The desktop window is not part of this build yet; use the commands" in result.err


# -- a running batch obeys revocation ----------------------------------------------------------
def test_a_running_batch_obeys_a_new_role_and_a_disable_from_its_next_line(
    db_files: DatabaseFiles, db_arg: str, monkeypatch: pytest.MonkeyPatch, capsys: Any, store: str
) -> None:
    """API.md v3: the batch's session re-reads its person's staff row at every line."""
    admin = sign_in(db_files, ADMIN, ADMIN_PASSWORD, sleep=lambda _s: None)
    password = "ngozi counts the pills 2026"
    admin.call(
        "addStaff",
        {"username": "ngozi", "fullName": "Ngozi", "role": "pharmacist", "password": password},
    )
    audience = {
        "operation": "getCampaignAudience",
        "params": {"segment": "condition", "condition": "asth"},
    }

    def lines() -> Iterator[str]:  # the admin acts between the batch's lines
        yield json.dumps(audience) + "\n"
        admin.call("setStaffRole", {"username": "ngozi", "role": "frontdesk"})
        yield json.dumps(audience) + "\n"
        yield json.dumps({"operation": "fetchCustomers", "params": {}}) + "\n"
        # The batch keeps the file open (its rekey waits); a server changes key slots only.
        rekeyed = admin.call("disableStaff", {"username": "ngozi"})["rekeyed"]
        assert rekeyed is (store == "postgresql")
        yield json.dumps({"operation": "fetchCustomers", "params": {}}) + "\n"
        yield json.dumps({"operation": "fetchCustomers", "params": {}}) + "\n"

    monkeypatch.setenv("PHARMDESK_USER", "ngozi")
    monkeypatch.setenv("PHARMDESK_PASSWORD", password)
    monkeypatch.delenv("PHARMDESK_DB", raising=False)
    monkeypatch.setattr(cli, "_has_terminal", lambda: False)
    monkeypatch.setattr(sys, "stdin", lines())
    try:
        code = cli.main(["call", "--batch", "-", db_arg])
    finally:
        admin.close()
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == cli.EXIT_REFUSED
    assert "customers" in answers[0]
    assert answers[1]["error"]["code"] == "PERMISSION_DENIED"
    assert "Your role (frontdesk)" in answers[1]["error"]["message"]
    assert "customers" in answers[2]  # still signed in, as front desk
    for answer in answers[3:]:
        assert answer["error"]["code"] == "AUTH_FAILED"
        assert "disabled" in answer["error"]["message"]
    # The next sign-in (the database is free now) finishes the file's rekey.
    assert (Vault(db_files.vault).pending_rekey() is not None) is (store == "sqlcipher")
    sign_in(db_files, ADMIN, ADMIN_PASSWORD, sleep=lambda _s: None).close()
    assert Vault(db_files.vault).pending_rekey() is None
