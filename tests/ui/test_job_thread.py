"""A job's thread ends by itself when the job is over, so the GUI thread may wait for it
(sign-out, quit) without running its event loop: waiting must not need the very queue
that is blocked, or Qt aborts the process for destroying a thread still running."""

from __future__ import annotations

import threading
import time

from pytestqt.qtbot import QtBot

from pharmdesk.ui.backup_runner import Job


def test_waiting_from_the_gui_thread_returns_when_the_job_ends(qtbot: QtBot) -> None:
    started = threading.Event()
    release = threading.Event()

    def work(_progress: object) -> str:
        started.set()
        release.wait(10)
        return "done"

    job = Job(work)
    job.start()
    assert started.wait(10)
    release.set()
    began = time.monotonic()
    # No event processing here: the sign-out and quit paths wait just like this.
    assert job.wait(20_000)
    assert time.monotonic() - began < 10
    with qtbot.waitSignal(job.done, timeout=5000) as done:
        pass  # the result still arrives in the GUI thread afterwards
    assert done.args == ["done", ""]
    assert not job.running


def test_a_cancelled_job_is_waited_for_without_the_event_loop(qtbot: QtBot) -> None:
    def work(progress: object) -> None:
        while True:
            progress("copying", 1, 2)  # type: ignore[operator]
            time.sleep(0.01)

    job = Job(work)
    job.start()
    time.sleep(0.1)
    job.cancel()
    assert job.wait(20_000)
    with qtbot.waitSignal(job.done, timeout=5000) as done:
        pass
    assert done.args[0] is None
