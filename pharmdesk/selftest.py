"""``pharmdesk self-test``: prove this installation works, end to end, in a temp folder.

Run by IT after installing and by the packaging script on the frozen app: a missing
native library (SQLCipher, Argon2, Qt) or a broken resource shows up here, not at the
front desk. It never touches the real database.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from pharmdesk import __version__
from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.session import DeskSession, create_database, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import cipher_version
from pharmdesk.store.schema import Customer

SELFTEST_USER = "selftest"
SAMPLE_NAME = "Adébáyọ̀ Selftest-Okafor"
SAMPLE_PHONE = "0803 555 0142"
SAMPLE_E164 = "+2348035550142"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    skipped: bool = False

    def to_json(self) -> dict[str, Any]:
        status = "skipped" if self.skipped else ("ok" if self.ok else "failed")
        return {"check": self.name, "status": status, "detail": self.detail}


@dataclass
class SelfTestReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "success": self.ok,
            "version": __version__,
            "checks": [check.to_json() for check in self.checks],
        }


class _Runner:
    """Runs checks in order; a check that raises fails with its message (no trace)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.report = SelfTestReport()

    def record(self, check: Check) -> None:
        self.report.checks.append(check)
        mark = "SKIP" if check.skipped else ("ok  " if check.ok else "FAIL")
        self.stream.write(f"[{mark}] {check.name}: {check.detail}\n")
        self.stream.flush()

    def run(self, name: str, body: Callable[[], str]) -> bool:
        try:
            detail = body()
        except PharmDeskError as exc:
            self.record(Check(name, False, exc.message))
            return False
        except Exception as exc:
            self.record(Check(name, False, f"{type(exc).__name__}: {exc}"[:300]))
            return False
        self.record(Check(name, True, detail))
        return True


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def run_self_test(stream: IO[str]) -> SelfTestReport:
    """Every check, printed as it runs; the report says whether all passed."""
    runner = _Runner(stream)
    password = f"self test {secrets.token_urlsafe(18)}"
    with tempfile.TemporaryDirectory(prefix="pharmdesk-selftest-") as folder:
        files = DatabaseFiles(Path(folder) / "selftest.db")
        state: dict[str, Any] = {}

        def create() -> str:
            create_database(files, admin=SELFTEST_USER, full_name="Self Test", password=password)
            return f"created {files.db.name} and its key file"

        def open_desk() -> str:
            state["desk"] = sign_in(files, SELFTEST_USER, password)
            return "signed in with the password (Argon2id keyslot unwrapped)"

        def sqlcipher() -> str:
            desk: DeskSession = state["desk"]
            version = cipher_version(desk.db.engine)
            _require(version.startswith("4."), f"SQLCipher 4 needed, found {version!r}")
            return f"SQLCipher {version}"

        def add_customer() -> str:
            desk: DeskSession = state["desk"]
            answer = desk.call(
                "addProviderCustomer",
                {
                    "name": SAMPLE_NAME,
                    "phone": SAMPLE_PHONE,
                    "allergies": ["Penicillin"],
                    "medicalConditions": ["Hypertension"],
                },
            )
            state["customer_id"] = answer["customerId"]
            return f"created {answer['customerId']}"

        def read_back() -> str:
            desk: DeskSession = state["desk"]
            customer_id = state["customer_id"]
            found = desk.call("fetchCustomers", {"search": "adebayo selftest"})
            _require(
                [row["id"] for row in found["customers"]] == [customer_id],
                "the search did not find the new customer",
            )
            by_phone = desk.call("fetchCustomers", {"search": "0803 555 01"})
            _require(by_phone["total"] == 1, "the phone search did not find the new customer")
            details = desk.call("viewProviderCustomerDetails", {"customerId": customer_id})
            _require(details["name"] == SAMPLE_NAME, "the name did not come back unchanged")
            _require(details["phone"] == SAMPLE_E164, "the phone was not stored in E.164")
            _require(details["allergies"] == ["Penicillin"], "the allergy did not come back")
            with desk.db.transaction() as tx:
                row = tx.scalar(select(Customer).where(Customer.phone == SAMPLE_E164))
                _require(row is not None and row.name_key == "adebayo selftest-okafor",
                         "the stored name key is not the folded name")  # fmt: skip
            desk.close()
            again = sign_in(files, SELFTEST_USER, password)
            state["desk"] = again
            reopened = again.call("viewProviderCustomerDetails", {"customerId": customer_id})
            _require(reopened["name"] == SAMPLE_NAME, "the customer was lost on reopening")
            return "search (name and phone), profile, store row, and after reopening"

        def encrypted() -> str:
            desk: DeskSession = state["desk"]
            desk.write_checkpoint()
            with files.db.open("rb") as handle:
                header = handle.read(16)
            _require(header != b"SQLite format 3\x00", "the database file is not encrypted")
            needle = b"Selftest-Okafor"
            for path in (files.db, files.wal, files.vault, files.checkpoint):
                if path.exists():
                    _require(needle not in path.read_bytes(), f"{path.name} holds plain text")
            return "no plain text of the customer in the database, WAL or key files"

        def audit_chain() -> str:
            desk: DeskSession = state["desk"]
            answer = desk.call("verifyAuditLog", {})
            _require(bool(answer["ok"]), f"the chain breaks at {answer['firstBadEntry']}")
            return f"{answer['checked']} entries verified"

        def duplicates() -> str:
            desk: DeskSession = state["desk"]
            copy = desk.call(
                "addProviderCustomer",
                {"name": "Selftest-Okafor Adebayo", "phone": "+234 803 555 0142"},
            )["customerId"]
            answer = desk.call("findDuplicateCustomers", {})
            reasons = [pair["reasons"] for pair in answer["pairs"]]
            _require(reasons == [["samePhone", "swappedNames"]], "the copy was not found")
            desk.call("archiveCustomer", {"customerId": copy})  # the window shows one customer
            return "a second record (names swapped, phone typed differently) found"

        checks: list[tuple[str, Callable[[], str]]] = [
            ("Create an encrypted database", create),
            ("Sign in", open_desk),
            ("SQLCipher version", sqlcipher),
            ("Register a customer", add_customer),
            ("Read it back through every layer", read_back),
            ("Encryption at rest", encrypted),
            ("Audit chain", audit_chain),
            ("Duplicate finder", duplicates),
        ]
        try:
            for name, body in checks:
                if not runner.run(name, body):
                    break
            else:
                _window_check(runner, files, password)
        finally:
            desk = state.get("desk")
            if desk is not None:
                desk.close()
    return runner.report


def _window_check(runner: _Runner, files: DatabaseFiles, password: str) -> None:
    """Render the main window once, offscreen, when this build has the GUI."""
    name = "Main window renders offscreen"
    if importlib.util.find_spec("pharmdesk.ui") is None:
        runner.record(Check(name, True, "this build has no desktop window; skipped", True))
        return

    def render() -> str:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        # Imported here: a build without the desktop window has no Qt (checked above).
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from pharmdesk.ui.app import make_application
        from pharmdesk.ui.desk import DeskContext
        from pharmdesk.ui.main_window import MainWindow

        make_application()
        desk = DeskContext(files)
        desk.sign_in(SELFTEST_USER, password)
        settings = QSettings(str(files.db.with_name("window.ini")), QSettings.Format.IniFormat)
        window = MainWindow(desk, settings)
        try:
            window.start()
            window.show()
            QApplication.processEvents()
            image = window.grab()
            _require(not image.isNull() and image.width() > 0, "the window drew nothing")
            rows = window.model.rowCount()
            _require(rows == 1, f"the customer table shows {rows} rows instead of 1")
            return f"{image.width()}x{image.height()} pixels, the customer table filled"
        finally:
            window.close()
            desk.close()

    runner.run(name, render)
