"""Sending the SMS outbox from the Outbox tab happens in a worker: the window keeps
answering while a slow provider (or a modem waiting for its timeout) takes its time,
Stop ends the run after the message in hand, and a lock mid-send records that message
when the same person is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from pharmdesk.store.schema import OutboxMessage
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.outbox.panel import OutboxPanel
from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.reminders.fake_gateway import FakeGateway
from tests.ui.test_reminders_ui import due_customer, rows

FIELDS = {"to": "msisdn", "text": "body", "reference": "clientRef"}


@pytest.fixture
def provider() -> Iterator[FakeGateway]:
    fake = FakeGateway()
    fake.mode = "slow"
    fake.delay = 0.8
    yield fake
    fake.close()


@pytest.fixture
def panel(qtbot, signed_in_desk: DeskContext, tmp_path: Path) -> Iterator[OutboxPanel]:
    widget = OutboxPanel(signed_in_desk, choose_path=lambda _p: tmp_path / "upload.csv")
    qtbot.addWidget(widget)
    widget.resize(1300, 600)
    widget.show()
    yield widget
    if widget.sending is not None:  # never leave a worker running past the test
        widget.sending.shutdown()


def queue(panel: OutboxPanel, provider: FakeGateway, n: int) -> None:
    desk = panel.desk
    for i in range(n):
        due_customer(desk, f"Customer {chr(65 + i)}", f"0803222{3000 + i}", "sms")
    desk.call("queueReminders", {"days": 7, "channel": "sms"})
    desk.call(
        "updateSettings",
        {"messageSender": "gateway", "gatewayUrl": provider.url, "gatewayFields": FIELDS},
    )
    panel.activate()


def statuses(desk: DeskContext) -> list[tuple[str, bool, int]]:
    found = sorted(rows(desk, OutboxMessage), key=lambda m: m.id)
    return [(m.status, m.claimed_at is not None, m.attempts) for m in found]


def test_the_window_answers_while_a_slow_provider_sends(
    qtbot, panel: OutboxPanel, provider: FakeGateway
) -> None:
    queue(panel, provider, 3)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    started = time.monotonic()
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    # The click came back at once: three sends of 0.8 s each are in a worker.
    assert time.monotonic() - started < 0.5
    assert panel.send_progress.isVisible() and panel.stop_button.isVisible()
    assert not panel.send_button.isEnabled()
    # While the provider takes its time, staff keep working in the same window: the
    # filter changes, and the table is read again from the database.
    qtbot.waitUntil(lambda: panel.send_progress.value() == 1, timeout=5000)
    panel.status.setCurrentIndex(panel.status.findData("sent"))
    assert [m["id"] for m in panel.model._rows] == ["MSG-1"]
    assert panel.send_progress.value() == 1
    with qtbot.waitSignal(panel.sending.finished, timeout=15000):
        pass
    timer.stop()
    elapsed = time.monotonic() - started
    # The event loop ran all along: no gap between two ticks near a send's length.
    gaps = [b - a for a, b in zip([started, *ticks], ticks, strict=False)]
    assert elapsed >= 2.4 and len(ticks) >= 10 and max(gaps) < 0.6, (elapsed, max(gaps))
    assert statuses(panel.desk) == [("sent", False, 1)] * 3
    assert [r[0]["msisdn"] for r in provider.received] == [
        "+2348032223000",
        "+2348032223001",
        "+2348032223002",
    ]
    assert "Sent 3" in panel.result.text()
    assert not panel.send_progress.isVisible() and not panel.stop_button.isVisible()
    assert panel.send_button.isEnabled()


def test_stop_ends_the_run_after_the_message_in_hand(
    qtbot, panel: OutboxPanel, provider: FakeGateway
) -> None:
    queue(panel, provider, 3)
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert not panel.stop_button.isEnabled()
    with qtbot.waitSignal(panel.sending.finished, timeout=10000):
        pass
    # The message already with the provider went and is recorded; the rest wait,
    # unclaimed and untried, for the next run.
    assert len(provider.received) == 1
    assert statuses(panel.desk) == [("sent", False, 1), ("queued", False, 0), ("queued", False, 0)]
    assert "Sent 1" in panel.result.text() and "Stopped by staff" in panel.result.text()


def test_a_lock_mid_send_records_the_message_when_the_person_is_back(
    qtbot, panel: OutboxPanel, provider: FakeGateway
) -> None:
    queue(panel, provider, 2)
    desk = panel.desk
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    desk.lock()  # the idle lock, while the first text is with the provider
    with qtbot.waitSignal(panel.sending.finished, timeout=10000):
        pass
    assert len(provider.received) == 1
    assert "recorded when you unlock" in panel.error.text()
    with qtbot.waitSignal(panel.sending.recorded_late, timeout=5000):
        desk.sign_in(ADMIN, ADMIN_PASSWORD)
    # Sent, and recorded as such: never "interrupted", never sent twice.
    assert statuses(desk) == [("sent", False, 1), ("queued", False, 0)]
    assert len(provider.received) == 1
    assert "Sent 1 before PharmDesk locked" in panel.result.text()
    assert not panel.error.isVisibleTo(panel)


def test_a_sign_out_mid_send_leaves_the_message_for_staff_to_check(
    qtbot, panel: OutboxPanel, provider: FakeGateway
) -> None:
    queue(panel, provider, 1)
    desk = panel.desk
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    desk.sign_out()
    with qtbot.waitSignal(panel.sending.finished, timeout=10000):
        pass
    desk.sign_in(ADMIN, ADMIN_PASSWORD)
    # The claim stays: after ten minutes it becomes failed, "check with the customer",
    # and it is never sent again by itself.
    assert statuses(desk) == [("queued", True, 1)]
    assert len(provider.received) == 1


def test_a_silent_modem_times_out_in_the_worker_not_the_window(
    qtbot, panel: OutboxPanel, provider: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GSM modem on a real pseudo-terminal that never answers: the send waits for its
    timeout in the worker, the window's event loop keeps running, and the message waits
    in the queue for its retry."""
    from pharmdesk.senders.modem import GsmModem
    from pharmdesk.ui.outbox import panel as outbox_panel
    from tests.reminders.modem_sim import ModemSimulator

    queue(panel, provider, 1)
    sim = ModemSimulator()
    sim.mode = "silent"
    try:
        monkeypatch.setattr(
            outbox_panel, "make_sender", lambda _settings: GsmModem(sim.port, timeout=1.5)
        )
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(50)
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        timer.start()
        started = time.monotonic()
        qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
        assert time.monotonic() - started < 0.5
        with qtbot.waitSignal(panel.sending.finished, timeout=15000):
            pass
        timer.stop()
    finally:
        sim.close()
    gaps = [b - a for a, b in zip([started, *ticks], ticks, strict=False)]
    assert time.monotonic() - started >= 1.5 and max(gaps) < 0.6, max(gaps)
    assert sim.commands[:1] == ["AT"]  # it was asked, and never answered
    assert statuses(panel.desk) == [("queued", False, 1)]
    assert "did not answer" in panel.result.text() and "1 will be tried again" in (
        panel.result.text()
    )


def test_quitting_mid_send_records_the_message_in_hand_first(
    qtbot, panel: OutboxPanel, provider: FakeGateway
) -> None:
    queue(panel, provider, 2)
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    run = panel.sending
    assert run is not None and run.job is not None
    run.shutdown()  # what the application's aboutToQuit does
    assert not run.running and run.job is None
    assert statuses(panel.desk) == [("sent", False, 1), ("queued", False, 0)]
    assert len(provider.received) == 1
