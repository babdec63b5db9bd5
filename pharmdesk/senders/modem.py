"""A GSM modem (a USB dongle or a GSM terminal) on a serial port, in AT text mode.

The branch needs no internet: the modem's SIM sends the SMS. Text that fits GSM-7 is sent
as is; other text (Yoruba tone marks, Hausa hooked letters) with the UCS-2 character set,
in which the modem also expects the number written as UCS-2 hex. A text longer than one
SMS is sent as numbered parts ("1/2 ...") each within one SMS: text mode cannot join
them on the handset. Delivery reports are asked for (``AT+CSMP`` first octet 49) and read
as ``+CDS`` lines; replies are listed from the SIM (``AT+CMGL``) and deleted once read.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pharmdesk.controllers.reminders.sms_length import is_gsm7
from pharmdesk.senders.base import SendError

CTRL_Z = b"\x1a"
GSM_SINGLE, GSM_PART, UCS2_SINGLE, UCS2_PART = 160, 153, 70, 67
PART_MARK = 6  # room for "9/9 " and a little spare


@dataclass(frozen=True)
class DeliveryReport:
    reference: str
    delivered: bool
    status: int


@dataclass(frozen=True)
class Reply:
    phone: str
    text: str


def split_parts(text: str) -> list[str]:
    """One SMS, or parts that each fit one SMS with a "n/m " mark in front."""
    single, part = (GSM_SINGLE, GSM_PART) if is_gsm7(text) else (UCS2_SINGLE, UCS2_PART)
    if len(text) <= single:
        return [text]
    room = part - PART_MARK
    chunks: list[str] = []
    rest = text
    while rest:
        if len(rest) <= room:
            chunks.append(rest)
            break
        cut = rest.rfind(" ", 0, room)
        cut = cut if cut > room // 2 else room
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [f"{i}/{len(chunks)} {chunk}" for i, chunk in enumerate(chunks, 1)]


def ucs2_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


class GsmModem:
    def __init__(
        self,
        port: str,
        baud: int = 115200,
        *,
        timeout: float = 10.0,
        opener: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self.baud = baud
        self.timeout = timeout
        self._opener = opener
        self._clock = clock
        self._serial: Any = None
        self._charset: str | None = None
        self._pending: list[bytes] = []  # unsolicited lines met while waiting for answers

    # -- the line ---------------------------------------------------------------------------
    def _open(self) -> Any:
        if self._serial is None:
            try:
                if self._opener is not None:
                    self._serial = self._opener(self.port, self.baud, timeout=0.2)
                else:
                    # Imported here: only a desk with a modem opens a serial port.
                    import serial

                    self._serial = serial.Serial(self.port, self.baud, timeout=0.2)
            except Exception as exc:  # pyserial raises SerialException, OSError...
                raise SendError(
                    f"The modem on {self.port} could not be opened ({type(exc).__name__}). "
                    "Check that it is plugged in and that the port in Settings is right.",
                    temporary=True,
                    link_down=True,
                ) from None
            self._charset = None
            self._command("AT")
            self._command("ATE0")
            self._command("AT+CMGF=1")
            self._command("AT+CNMI=2,1,0,1,0")
        return self._serial

    def close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            finally:
                self._serial = None

    def _dropped(self) -> SendError:
        self.close()
        return SendError(
            f"The modem on {self.port} stopped answering (the line dropped). It will be "
            "tried again; check its cable and signal.",
            temporary=True,
            link_down=True,
        )

    def _write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
            self._serial.flush()
        except Exception:
            raise self._dropped() from None

    def _read_until(self, done: Callable[[bytes], bool], what: str) -> list[bytes]:
        """Lines until ``done`` says the answer is complete; unsolicited ones are kept."""
        deadline = self._clock() + self.timeout
        lines: list[bytes] = []
        buffer = b""
        while self._clock() < deadline:
            try:
                chunk = self._serial.read(256)
            except Exception:
                raise self._dropped() from None
            if not chunk:
                continue
            buffer += chunk
            if buffer.lstrip().startswith(b">"):
                return [b">"]
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                line = raw.strip()
                if not line:
                    continue
                if line.startswith((b"+CDS:", b"+CMTI:")) and not done(line):
                    self._pending.append(line)  # read by ``poll``
                    continue
                lines.append(line)
                if done(line):
                    return lines
        self.close()
        raise SendError(
            f"The modem on {self.port} did not answer {what} in {self.timeout:g} s. It will "
            "be tried again.",
            temporary=True,
            link_down=True,
        )

    def _command(self, command: str) -> list[bytes]:
        self._write(command.encode("ascii") + b"\r")
        lines = self._read_until(_final, command)
        if lines[-1] != b"OK":
            raise SendError(
                f"The modem refused {command.split('=')[0]} "
                f"({lines[-1].decode(errors='replace')[:40]}).",
                temporary=True,
            )
        return lines

    def _use_charset(self, gsm: bool) -> None:
        wanted = "GSM" if gsm else "UCS2"
        if self._charset != wanted:
            self._command(f'AT+CSCS="{wanted}"')
            self._command(f"AT+CSMP=49,167,0,{0 if gsm else 8}")
            self._charset = wanted

    # -- sending ----------------------------------------------------------------------------
    def send(self, to: str, text: str) -> str | None:
        """Send the text (in parts when long); returns the message references, joined."""
        self._open()
        gsm = is_gsm7(text)
        self._use_charset(gsm)
        references = []
        for part in split_parts(text):
            number = to if gsm else ucs2_hex(to)
            self._write(f'AT+CMGS="{number}"\r'.encode("ascii"))
            prompt = self._read_until(lambda line: line == b">" or _final(line), "the send command")
            if prompt[-1] != b">":
                raise SendError(_refusal(prompt[-1]), temporary=True)
            body = part.encode("latin-1", errors="replace") if gsm else ucs2_hex(part).encode()
            self._write(body + CTRL_Z)
            lines = self._read_until(_final, "the message")
            if lines[-1] != b"OK":
                raise SendError(_refusal(lines[-1]), temporary=True)
            for line in lines:
                match = re.match(rb"\+CMGS:\s*(\d+)", line)
                if match:
                    references.append(match.group(1).decode())
        return ",".join(references) or None

    # -- what the modem tells us ----------------------------------------------------------
    def poll(self) -> tuple[list[DeliveryReport], list[Reply]]:
        """Delivery reports that arrived since the last look, and every message stored on
        the SIM (read, then deleted): a reply that came while PharmDesk was closed is
        found too, not only one announced by ``+CMTI`` while the port was open."""
        self._open()
        try:
            waiting = self._serial.read(4096)
        except Exception:
            raise self._dropped() from None
        for raw in waiting.split(b"\n"):
            line = raw.strip()
            if line.startswith(b"+CDS:"):
                self._pending.append(line)
        reports: list[DeliveryReport] = []
        pending, self._pending = self._pending, []
        for line in pending:
            if line.startswith(b"+CDS:"):
                fields = [f.strip().strip(b'"') for f in line[5:].split(b",")]
                if len(fields) >= 7 and fields[1].isdigit() and fields[-1].isdigit():
                    status = int(fields[-1])
                    reports.append(DeliveryReport(fields[1].decode(), status == 0, status))
        return reports, self._read_stored()

    def _read_stored(self) -> list[Reply]:
        self._use_charset(True)
        lines = self._command('AT+CMGL="ALL"')
        replies: list[Reply] = []
        indexes: list[str] = []
        for i, line in enumerate(lines):
            if line.startswith(b"+CMGL:") and i + 1 < len(lines):
                fields = [f.strip().strip(b'"') for f in line[6:].split(b",")]
                indexes.append(fields[0].decode(errors="replace"))
                phone = fields[2].decode(errors="replace") if len(fields) > 2 else ""
                replies.append(Reply(phone, lines[i + 1].decode("latin-1", errors="replace")))
        for index in indexes:
            if index.isdigit():
                self._command(f"AT+CMGD={index}")
        return replies


def _final(line: bytes) -> bool:
    return line in (b"OK", b"ERROR") or line.startswith((b"+CMS ERROR", b"+CME ERROR"))


def _refusal(line: bytes) -> str:
    said = line.decode(errors="replace")[:40]
    return (
        f"The modem could not send the message ({said}). Check the SIM's credit and signal; "
        "it will be tried again."
    )
