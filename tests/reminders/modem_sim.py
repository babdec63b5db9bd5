"""A GSM modem on a real pseudo-terminal: answers AT commands as a dongle does, and can
refuse (ERROR), drop the line, or go silent, and push delivery reports and replies."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time


class ModemSimulator:
    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.port = os.ttyname(self.slave)
        self.mode = "ok"  # "ok", "error", "drop", "silent"
        self.sent: list[tuple[str, str, str]] = []  # (number, text as sent, charset)
        self.commands: list[str] = []
        self.stored: dict[int, tuple[str, str]] = {}
        self._charset = "GSM"
        self._reference = 0
        self._buffer = b""
        self._awaiting: str | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    # -- what the test does ------------------------------------------------------------------
    def push(self, line: str) -> None:
        os.write(self.master, f"\r\n{line}\r\n".encode())

    def receive_sms(self, index: int, phone: str, text: str) -> None:
        self.stored[index] = (phone, text)
        self.push(f'+CMTI: "SM",{index}')

    def close(self) -> None:
        self._stop = True
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    # -- the modem --------------------------------------------------------------------------
    def _answer(self, *lines: str) -> None:
        os.write(self.master, "".join(f"\r\n{line}\r\n" for line in lines).encode())

    def _run(self) -> None:
        while not self._stop:
            try:
                chunk = os.read(self.master, 1024)
            except OSError:
                return
            self._buffer += chunk
            while True:
                if self._awaiting is not None:
                    if b"\x1a" not in self._buffer:
                        break
                    body, self._buffer = self._buffer.split(b"\x1a", 1)
                    self._message(self._awaiting, body.decode("latin-1"))
                    self._awaiting = None
                    continue
                if b"\r" not in self._buffer:
                    break
                raw, self._buffer = self._buffer.split(b"\r", 1)
                self._command(raw.decode("ascii", errors="replace").strip())

    def _command(self, command: str) -> None:
        if not command:
            return
        self.commands.append(command)
        if self.mode == "silent":
            return
        send = re.fullmatch(r'AT\+CMGS="([^"]+)"', command)
        if send:
            if self.mode == "drop":
                self.close()
                return
            self._awaiting = send.group(1)
            os.write(self.master, b"\r\n> ")
            return
        charset = re.fullmatch(r'AT\+CSCS="(\w+)"', command)
        if charset:
            self._charset = charset.group(1)
        if command == 'AT+CMGL="ALL"':
            listed = []
            for index, (phone, text) in sorted(self.stored.items()):
                listed += [f'+CMGL: {index},"REC UNREAD","{phone}",,"26/04/18,13:00:00+04"', text]
            self._answer(*listed, "OK")
            return
        delete = re.fullmatch(r"AT\+CMGD=(\d+)", command)
        if delete:
            self.stored.pop(int(delete.group(1)), None)
        self._answer("OK")

    def _message(self, number: str, body: str) -> None:
        if self.mode == "error":
            self._answer("+CMS ERROR: 500")
            return
        if self._charset == "UCS2":
            number = bytes.fromhex(number).decode("utf-16-be")
            body = bytes.fromhex(body).decode("utf-16-be")
        self._reference += 1
        self.sent.append((number, body, self._charset))
        time.sleep(0.01)
        self._answer(f"+CMGS: {self._reference}", "OK")
