"""Send runs end to end: through the modem simulator (with delivery reports and a STOP
reply read from the modem), and killed mid-send without anyone getting a text twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pharmdesk.controllers.reminders.outbox import INTERRUPTED
from pharmdesk.controllers.reminders.sending import apply_modem_events, make_sender, send_outbox
from pharmdesk.controllers.session import DeskSession
from pharmdesk.paths import DatabaseFiles
from pharmdesk.senders.modem import GsmModem
from tests.reminders.helpers import customer, enroll, grant, messages, plan
from tests.reminders.modem_sim import ModemSimulator
from tests.reminders.test_consent import current

ROOT = Path(__file__).resolve().parents[2]


def queue(desk: DeskSession, n: int) -> list[str]:
    bp = plan(desk)
    made = []
    for i in range(n):
        cust = customer(
            desk, f"Customer {chr(65 + i)}", f"0803444{5000 + i}", marketingConsent=True
        )
        grant(desk, cust, "sms")
        enroll(desk, cust, bp, 1)
        made.append(cust)
    desk.call("queueReminders", {"days": 2, "channel": "sms"})
    return made


def test_through_the_modem_with_reports_and_a_stop(admin: DeskSession) -> None:
    made = queue(admin, 2)
    sim = ModemSimulator()
    try:
        admin.call("updateSettings", {"messageSender": "modem", "modemPort": sim.port})
        modem = make_sender(admin.settings())
        assert isinstance(modem, GsmModem)
        modem.timeout = 2
        assert send_outbox(admin, modem, "sms").sent == ["MSG-1", "MSG-2"]
        # An English reminder fits one SMS (GSM-7); the long-text parts are in test_modem.
        assert [to for to, _body, cs in sim.sent if cs == "GSM"] == [
            "+2348034445000",
            "+2348034445001",
        ]
        sim.push('+CDS: 6,2,"+2348034445001",145,"26/04/18,13:00:00+04","26/04/18,13:00:05+04",0')
        sim.receive_sms(1, "+2348034445000", "Stop")
        time.sleep(0.3)
        assert apply_modem_events(admin, modem) == (1, 1)
        modem.close()
    finally:
        sim.close()
    assert [m.status for m in messages(admin)] == ["sent", "delivered"]
    now = current(admin, made[0])
    assert not now["marketing", "sms"]["granted"] and not now["reminders", "sms"]["granted"]
    assert now["marketing", "sms"]["method"] == "reply"


def child(db: DatabaseFiles, log: Path, hang: bool) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reminders.send_child",
            str(db.db),
            str(log),
            "--hang" if hang else "--no-hang",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.single_pc("the killed child process signs in to the file")
def test_killed_mid_send_nobody_gets_a_text_twice(
    admin: DeskSession, db_files: DatabaseFiles, tmp_path: Path, clock
) -> None:
    queue(admin, 3)
    admin.close()  # the desk process is another one
    log = tmp_path / "sent.log"
    proc = child(db_files, log, hang=True)
    deadline = time.monotonic() + 60
    while not (log.exists() and log.read_text()):
        assert time.monotonic() < deadline and proc.poll() is None, (
            proc.stderr.read() if proc.stderr else ""
        )
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # mid-send: the text may or may not have gone out
    proc.wait()
    assert log.read_text().splitlines() == ["+2348034445000"]
    # The next run sends the others, and not the interrupted one.
    proc = child(db_files, log, hang=False)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "2"
    assert sorted(log.read_text().splitlines()) == [
        "+2348034445000",
        "+2348034445001",
        "+2348034445002",
    ]
    proc = child(db_files, log, hang=False)
    out, _err = proc.communicate(timeout=60)
    assert out.strip() == "0"
    assert len(log.read_text().splitlines()) == 3


def test_an_interrupted_claim_is_failed_for_staff_to_check(admin: DeskSession, clock) -> None:
    queue(admin, 1)
    admin.call("claimOutboxMessage", {"channel": "sms"})  # and the process dies here
    clock.advance(minutes=11)
    assert send_outbox(admin, _Never(), "sms").sent == []
    (row,) = messages(admin)
    assert (row.status, row.last_detail) == ("failed", INTERRUPTED)


class _Never:
    def send(self, to: str, text: str) -> str | None:
        raise AssertionError("an interrupted message must not be sent again")

    def close(self) -> None:
        return None
