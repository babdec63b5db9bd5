"""The GSM modem sender against a simulated modem on a real pseudo-terminal: text and
UCS-2 messages, parts, refusals, a dropped line, silence, delivery reports and replies."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from pharmdesk.senders.base import SendError
from pharmdesk.senders.modem import GsmModem, split_parts
from tests.reminders.modem_sim import ModemSimulator

TO = "+2348031234567"


@pytest.fixture
def sim() -> Iterator[ModemSimulator]:
    simulator = ModemSimulator()
    yield simulator
    simulator.close()


@pytest.fixture
def modem(sim: ModemSimulator) -> Iterator[GsmModem]:
    device = GsmModem(sim.port, 115200, timeout=1.5)
    yield device
    device.close()


def test_a_plain_text_goes_out_in_text_mode(sim: ModemSimulator, modem: GsmModem) -> None:
    assert modem.send(TO, "Hello Ada, your refill is due on 21/04/2026.") == "1"
    assert sim.sent == [(TO, "Hello Ada, your refill is due on 21/04/2026.", "GSM")]
    assert sim.commands[:4] == ["AT", "ATE0", "AT+CMGF=1", "AT+CNMI=2,1,0,1,0"]
    assert "AT+CSMP=49,167,0,0" in sim.commands  # delivery reports asked for


def test_yoruba_goes_out_as_ucs2(sim: ModemSimulator, modem: GsmModem) -> None:
    text = "Ẹ n lẹ́ o Adéwálé. Oògùn yín ti tó."
    modem.send(TO, text)
    assert sim.sent == [(TO, text, "UCS2")]
    assert "AT+CSMP=49,167,0,8" in sim.commands


def test_a_long_text_goes_in_numbered_parts(sim: ModemSimulator, modem: GsmModem) -> None:
    text = "word " * 70  # 350 characters
    refs = modem.send(TO, text.strip())
    assert refs == "1,2,3"
    parts = [body for _to, body, _cs in sim.sent]
    assert [p.split(" ", 1)[0] for p in parts] == ["1/3", "2/3", "3/3"]
    assert all(len(p) <= 153 for p in parts)
    assert " ".join(p.split(" ", 1)[1] for p in parts) == text.strip()


def test_split_parts_sizes() -> None:
    assert split_parts("a" * 160) == ["a" * 160]
    assert len(split_parts("a" * 161)) == 2
    assert split_parts("ẹ" * 70) == ["ẹ" * 70]
    assert all(len(p) <= 67 for p in split_parts("ẹ" * 71))


def test_a_refusal_is_a_temporary_error(sim: ModemSimulator, modem: GsmModem) -> None:
    sim.mode = "error"
    with pytest.raises(SendError) as info:
        modem.send(TO, "Hello")
    assert info.value.temporary and not info.value.link_down
    assert "+CMS ERROR: 500" in info.value.message
    assert TO not in info.value.message  # no patient data in what staff see
    sim.mode = "ok"
    assert modem.send(TO, "Hello") == "1"


def test_a_dropped_line_stops_the_run(sim: ModemSimulator, modem: GsmModem) -> None:
    modem.send(TO, "First")
    sim.mode = "drop"
    with pytest.raises(SendError) as info:
        modem.send(TO, "Second")
    assert info.value.link_down and info.value.temporary
    assert [body for _to, body, _cs in sim.sent] == ["First"]


def test_silence_times_out(sim: ModemSimulator, modem: GsmModem) -> None:
    sim.mode = "silent"
    with pytest.raises(SendError) as info:
        modem.send(TO, "Hello")
    assert info.value.link_down and "did not answer" in info.value.message


def test_a_missing_port_is_a_clear_error() -> None:
    with pytest.raises(SendError) as info:
        GsmModem("/dev/does-not-exist", timeout=0.5).send(TO, "Hello")
    assert "could not be opened" in info.value.message


def test_delivery_reports_and_replies(sim: ModemSimulator, modem: GsmModem) -> None:
    modem.send(TO, "Hello")
    sim.push('+CDS: 6,1,"+2348031234567",145,"26/04/18,13:00:00+04","26/04/18,13:00:05+04",0')
    sim.receive_sms(3, "+2348031234567", "STOP")
    time.sleep(0.2)
    reports, replies = modem.poll()
    assert [(r.reference, r.delivered) for r in reports] == [("1", True)]
    assert [(r.phone, r.text) for r in replies] == [("+2348031234567", "STOP")]
    assert sim.stored == {}  # read and deleted from the SIM
