"""The SMS outbox as a CSV for a bulk-SMS provider's upload page (formula-safe cells).

Exporting hands the messages over: each is claimed (consent checked now) and marked sent
("Exported for upload"), so a second export never includes it again."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from pharmdesk.ui.campaign_export import text_cell
from pharmdesk.ui.desk import DeskContext

EXPORTED = "Exported for upload"
MAX_EXPORT = 5000


def outbox_csv(messages: Sequence[dict[str, Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["Message ID", "Phone", "Message"])
    for m in messages:
        # The phone is validated E.164 (+234...), never a formula; the text may be anything.
        writer.writerow([m["id"], m["to"], text_cell(m["text"])])
    return buffer.getvalue().encode("utf-8-sig")


def claim_for_export(
    desk: DeskContext, limit: int = MAX_EXPORT
) -> tuple[list[dict[str, Any]], int]:
    """Queued SMS, claimed one by one; returns them and how many had lost consent."""
    claimed: list[dict[str, Any]] = []
    withdrawn = 0
    for _ in range(limit):
        answer = desk.call("claimOutboxMessage", {"channel": "sms"})
        withdrawn += len(answer["withdrawn"])
        if answer["message"] is None:
            break
        claimed.append(answer["message"])
    return claimed, withdrawn


def mark_exported(desk: DeskContext, messages: Sequence[dict[str, Any]]) -> None:
    for m in messages:
        desk.call(
            "updateMessageStatus", {"messageId": m["id"], "status": "sent", "detail": EXPORTED}
        )


def release(desk: DeskContext, messages: Sequence[dict[str, Any]]) -> None:
    """The file could not be written: the messages go back to the queue."""
    for m in messages:
        desk.call(
            "updateMessageStatus",
            {"messageId": m["id"], "status": "queued", "detail": "Export cancelled"},
        )
