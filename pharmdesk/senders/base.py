"""The one interface every automatic sender has, and the error it raises."""

from __future__ import annotations

from typing import Protocol


class SendError(Exception):
    """A message did not go out. ``temporary``: worth trying again later (no signal, the
    provider is down); ``link_down``: stop this run, the modem or network is gone."""

    def __init__(self, message: str, *, temporary: bool, link_down: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary
        self.link_down = link_down


class Sender(Protocol):
    """Sends one text to one E.164 number; returns the network's reference, if any."""

    def send(self, to: str, text: str) -> str | None: ...

    def close(self) -> None: ...
