"""A bulk-SMS provider's HTTP gateway: one JSON POST per message, with the field names
the provider uses (Settings: URL, token, field names). Offline or a provider outage is a
temporary failure (the outbox retries with backoff); a refusal of the message itself
(4xx other than 408/429) is permanent. The token is sent, never logged or shown."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from pharmdesk.senders.base import SendError

REFERENCE_KEYS = ("messageId", "message_id", "id", "reference", "ref")


class HttpGateway:
    def __init__(
        self,
        url: str,
        token: str | None,
        fields: Mapping[str, str],
        *,
        timeout: float = 15.0,
    ) -> None:
        self.url = url
        self.token = token
        self.fields = dict(fields)
        self.timeout = timeout
        self._sequence = 0

    def close(self) -> None:
        return None

    def payload(self, to: str, text: str, reference: str) -> dict[str, Any]:
        return {
            self.fields["to"]: to,
            self.fields["text"]: text,
            self.fields["reference"]: reference,
        }

    def send(self, to: str, text: str, reference: str | None = None) -> str | None:
        self._sequence += 1
        body = json.dumps(self.payload(to, text, reference or str(self._sequence))).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(65536)
        except urllib.error.HTTPError as exc:
            temporary = exc.code >= 500 or exc.code in (408, 429)
            raise SendError(
                f"The SMS provider answered {exc.code} ({exc.reason})."
                + (" It will be tried again." if temporary else " Check the gateway settings."),
                temporary=temporary,
                link_down=exc.code in (401, 403) or exc.code >= 500,
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SendError(
                f"The SMS provider could not be reached ({type(reason).__name__}). The "
                "messages stay queued and go when the connection is back.",
                temporary=True,
                link_down=True,
            ) from None
        return _reference(raw)


def _reference(raw: bytes) -> str | None:
    try:
        answer = json.loads(raw or b"null")
    except ValueError:
        return None
    if isinstance(answer, dict):
        for key in REFERENCE_KEYS:
            if answer.get(key) not in (None, ""):
                return str(answer[key])[:64]
    return None
