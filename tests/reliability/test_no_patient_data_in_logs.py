"""Item 13: a full working day at DEBUG logging leaves no patient data in logs or stderr.

The application does not configure logging itself; a host (an IT person's wrapper, a
service manager) may well set the root logger to DEBUG. So the test does exactly that,
to a file, runs a day's work in-process (the window's path, ``api.answer``) and through
the command line (stderr captured), and searches every log line and stderr for the
names, phones (every form), addresses, emails, allergies and notes it entered.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pharmdesk import cli
from pharmdesk.controllers import api
from pharmdesk.controllers.session import DeskSession
from pharmdesk.paths import DatabaseFiles
from tests.conftest import TEST_KDF
from tests.reliability.checks import REPO, pharmdesk_env

PEOPLE: list[dict[str, Any]] = [
    {
        "name": "Ngozika Ebubedike-Okafor",
        "phone": "+2348031357924",
        "address": "44 Adeola Odeku Street, Victoria Island",
        "email": "ngozika.okafor@example.com",
        "allergies": ["Sulfamethoxazole", "Peanut oil"],
        "medicalConditions": ["Diabetes Type 2"],
        "notes": "Prefers the side entrance by the pharmacy garden",
        "dateOfBirth": "1961-07-14",
    },
    {
        "name": "Adéwálé Babátúndé",
        "phone": "+2349052468013",
        "address": "9 Bode Thomas Close, Surulere",
        "email": "a.babatunde@example.org",
        "allergies": ["Amoxicillin"],
        "medicalConditions": ["Hypertension"],
        "notes": "Hard of hearing; speak slowly",
    },
    {
        "name": "Oluwatoyin Fashola",
        "phone": "+2347061122334",
        "address": "Plot 12, Wuse Zone 4",
        "noKnownAllergies": True,
        "medicalConditions": ["Asthma"],
    },
]


def needles() -> list[str]:
    found: list[str] = []
    for person in PEOPLE:
        found.append(str(person["name"]))
        found.extend(str(person["name"]).split())
        phone = str(person["phone"])
        found += [phone, phone[1:], "0" + phone[4:], phone[-7:]]
        for key in ("address", "email", "notes"):
            if key in person:
                found.append(str(person[key]))
        found.extend(str(a) for a in person.get("allergies", []))
    found += ["Adewale", "adewale babatunde", "Babatunde"]
    return [n for n in found if len(n) >= 5]


def working_day(call: Any) -> list[tuple[str, bool]]:
    """Every kind of operation a branch does in a day, errors included; ``call(name,
    params) -> (ok, answer)``. Returns what happened, for a check that it really ran."""
    done: list[tuple[str, bool]] = []

    def run(name: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        ok, answer = call(name, params or {})
        done.append((name, ok))
        return answer

    run(
        "addPlan",
        {"name": "Diabetes Monthly", "medications": ["Metformin 500mg", "Amoxicillin 250mg"],
         "frequency": "monthly", "price": 15000},
    )  # fmt: skip
    ids = [run("addProviderCustomer", person)["customerId"] for person in PEOPLE]
    run("addProviderCustomer", PEOPLE[0])  # DUPLICATE
    run("addProviderCustomer", {"name": "X", "phone": "0803 12"})  # VALIDATION_ERROR
    for search in ("ngozika", "babatunde", "1357924", "0905 246", ids[2]):
        run("fetchCustomers", {"search": search})
    run("fetchCustomers", {"sort": "-createdAt", "limit": 2, "page": 2})
    for customer in ids:
        run("viewProviderCustomerDetails", {"customerId": customer})
    run("viewProviderCustomerDetails", {"customerId": "CUST-999"})  # NOT_FOUND
    run(
        "updateProviderCustomer",
        {"customerId": ids[0], "address": "45 Adeola Odeku Street, Victoria Island"},
    )
    run("updateProviderCustomer", {"customerId": ids[0], "expectedVersion": 1, "notes": "x"})
    run("setMarketingConsent", {"customerId": ids[1], "consent": True})
    plans = run("listPlans")["plans"]
    for customer in ids:
        run("checkPlanConflicts", {"customerId": customer, "planId": plans[0]["id"]})
        enrolled = run("addCustomerPlan", {"customerId": customer, "planId": plans[0]["id"]})
        if enrolled.get("status") == "pendingReview":
            run(
                "reviewCustomerPlan",
                {"subscriptionId": enrolled["subscriptionId"], "approve": True, "reason": "ok"},
            )
        order = run("recordOrder", {"customerId": customer, "total": 12500})
        run("updateOrderStatus", {"orderId": order.get("orderId", "ORD-1"), "status": "completed"})
        if "subscriptionId" in enrolled:
            sub = enrolled["subscriptionId"]
            run("pauseCustomerPlan", {"subscriptionId": sub})
            run("resumeCustomerPlan", {"subscriptionId": sub})
    run("getCustomersByCondition", {"condition": "diabetes"})
    run("getCustomersWithUpcomingRefills", {"days": 60})
    run("getHighValueCustomers", {"minSpend": 1000})
    run("getCampaignAudience", {"segment": "condition", "condition": "hypertension"})
    run("findLikelyDuplicates", {"name": PEOPLE[0]["name"], "phone": PEOPLE[0]["phone"]})
    run("listRecordedLabels", {"kind": "allergies"})
    run("exportCustomerData", {"customerId": ids[0]})
    run("recordPrint", {"customerId": ids[1], "document": "profile"})
    run("fetchAuditLog", {"limit": 200})
    run("verifyAuditLog")
    run("archiveCustomer", {"customerId": ids[2]})
    run("updateProviderCustomer", {"customerId": ids[2], "notes": "archived now"})  # ARCHIVED
    run("getSettings")
    run("listStaff")
    return done


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """The root logger at DEBUG, to a file, as a host application might set it."""
    path = tmp_path / "pharmdesk-debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    # SQLAlchemy keeps its own loggers at WARNING unless told otherwise: a host that
    # turns "everything" up does this too, and SQLAlchemy then logs statements and rows.
    quiet = logging.getLogger("sqlalchemy")
    old_levels = (root.level, quiet.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(old_levels[0])
        quiet.setLevel(old_levels[1])
        handler.close()


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return sorted({n for n in needles() if n.lower() in lowered})


def test_a_day_in_the_window_path(
    login: Any,
    debug_log: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    desk: DeskSession = login()  # signed in with DEBUG logging already on
    done = working_day(lambda name, params: api.answer(desk, name, params))
    desk.lock()
    assert len(done) > 40 and any(not ok for _, ok in done) and sum(ok for _, ok in done) > 35
    out, err = capfd.readouterr()
    log_text = debug_log.read_text(encoding="utf-8")
    assert log_text.strip(), "nothing was logged at all: is DEBUG logging really on?"
    assert _leaks(log_text) == [], "patient data in the log file"
    assert _leaks(err) == [], "patient data on stderr"
    assert _leaks(out) == [], "patient data on stdout"


WRAPPER = """
import logging, sys
logging.basicConfig(filename=sys.argv[1], level=logging.DEBUG,
                    format="%(asctime)s %(name)s %(levelname)s %(message)s")
logging.getLogger("sqlalchemy").setLevel(logging.DEBUG)
from pharmdesk.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_a_day_through_the_command_line(db_files: DatabaseFiles, tmp_path: Path) -> None:
    """The day as one batch, then a backup and an audit check, each its own process."""
    log = tmp_path / "cli-debug.log"
    lines: list[str] = []
    answers: list[dict[str, Any]] = []

    counters = {"customerId": 0, "subscriptionId": 0, "orderId": 0}
    prefixes = {"customerId": "CUST", "subscriptionId": "SUB", "orderId": "ORD"}
    makes = {"addProviderCustomer": "customerId", "addCustomerPlan": "subscriptionId",
             "recordOrder": "orderId"}  # fmt: skip

    def record(name: str, params: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Collect the lines; stand-in answers with the ids a fresh database will give."""
        lines.append(json.dumps({"operation": name, "params": params}))
        if name == "listPlans":
            return True, {"plans": [{"id": "PLAN-1"}]}
        if name in makes:
            key = makes[name]
            counters[key] += 1
            return True, {key: f"{prefixes[key]}-{counters[key]}", "status": "active"}
        return True, {}

    working_day(record)

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", WRAPPER, str(log), "--db", str(db_files.db), *args],
            input=stdin,
            env=pharmdesk_env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )

    batch = run("call", "--batch", "-", stdin="\n".join(lines) + "\n")
    answers = [json.loads(line) for line in batch.stdout.splitlines()]
    assert len(answers) == len(lines)
    assert sum(bool(a.get("success", True)) for a in answers) > 30
    backup = run("backup", str(tmp_path / "day.zip"))
    assert backup.returncode == 0, backup.stderr
    verify = run("audit", "verify")
    assert verify.returncode == 0, verify.stderr

    stderr = batch.stderr + backup.stderr + verify.stderr
    log_text = log.read_text(encoding="utf-8")
    assert log_text.strip(), "nothing was logged at all: is DEBUG logging really on?"
    assert _leaks(log_text) == [], "patient data in the log file"
    assert _leaks(stderr) == [], "patient data on stderr"
    assert "Traceback" not in stderr


def test_a_refused_call_does_not_repeat_typed_data_on_stderr(
    admin: DeskSession,
    db_files: DatabaseFiles,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    created = admin.call("addProviderCustomer", PEOPLE[0])
    admin.close()
    monkeypatch.setenv("PHARMDESK_USER", "admin")
    monkeypatch.setenv("PHARMDESK_PASSWORD", "correct horse staple battery 42")
    typo = {"customerId": created["customerId"], "email": "ngozika.okafor@@example.com"}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(typo)))
    capsys.readouterr()
    code = cli.main(["--db", str(db_files.db), "call", "updateProviderCustomer", "-"], kdf=TEST_KDF)
    out, err = capsys.readouterr()
    assert code == 1 and json.loads(out)["error"]["field"] == "email"
    assert "ngozika" not in err.lower()
