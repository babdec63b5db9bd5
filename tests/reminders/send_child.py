"""A desk that sends the SMS outbox with a sender that logs each text to a file and then
hangs (``--hang``), so that the test can kill it in the middle of a send."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import api  # noqa: F401  (registers the operations)
from pharmdesk.controllers.reminders.sending import send_outbox
from pharmdesk.controllers.session import sign_in
from pharmdesk.paths import DatabaseFiles
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF


class LoggingSender:
    def __init__(self, log: Path, hang: bool) -> None:
        self.log = log
        self.hang = hang

    def send(self, to: str, text: str) -> str | None:
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(f"{to}\n")
            handle.flush()
        if self.hang:
            time.sleep(600)  # the network is slow: the test kills us here
        return "ok"

    def close(self) -> None:
        return None


def main() -> None:
    db, log, hang = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "--hang"
    desk = sign_in(DatabaseFiles(db), ADMIN, ADMIN_PASSWORD, clock=FixedClock(), kdf=TEST_KDF)
    run = send_outbox(desk, LoggingSender(log, hang), "sms")
    print(len(run.sent))
    desk.close()


if __name__ == "__main__":
    main()
