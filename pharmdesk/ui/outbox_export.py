"""The SMS outbox as a CSV for a bulk-SMS provider's upload page (formula-safe cells).

Exporting hands the messages over: each is claimed (consent checked now) and marked sent
("Exported for upload"), so a second export never includes it again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pharmdesk.exports.csv_safe import csv_bytes
from pharmdesk.ui.desk import DeskContext

EXPORTED = "Exported for upload"
MAX_EXPORT = 5000


def outbox_csv(messages: Sequence[dict[str, Any]]) -> bytes:
    """Message id, phone, text. Bulk-SMS upload pages take the phone as international
    digits (2348031234567): no leading "+", which a spreadsheet would also read as a
    formula. Every cell goes through the one formula-safe writer."""
    rows = [[m["id"], m["to"].lstrip("+"), m["text"]] for m in messages]
    return csv_bytes(["Message ID", "Phone", "Message"], rows)


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
