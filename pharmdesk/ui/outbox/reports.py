"""What the Outbox tab says after each action: queued, sent, a reply recorded.

Worded from the operations' answers alone, so the panel only shows the line.
"""

from __future__ import annotations

from typing import Any

from pharmdesk.ui.outbox_sending import SendSummary

REPLY_WORDS = {
    "optOut": "STOP recorded: marketing withdrawn on every channel and the phone is "
    "on the do-not-market list.",
    "help": "HELP recorded: call the customer back.",
    "none": "Reply recorded.",
}


def queued_text(answer: dict[str, Any]) -> str:
    """After ``queueReminders``: how many were queued, and why the others were not."""
    return (
        f"Queued {answer['queued']:,}. Left out: {answer['skippedNoConsent']:,} without "
        f"consent for this channel, {answer['skippedAlreadyQueued']:,} already reminded "
        "for that date."
    )


def sent_text(summary: SendSummary) -> str:
    """After a send run: sent, to be retried, failed, withdrawn, and why it stopped."""
    run = summary.run
    words = (
        f"Sent {len(run.sent):,}; {len(run.retrying):,} will be tried again; "
        f"{len(run.failed):,} failed."
    )
    if run.withdrawn:
        words += f" {len(run.withdrawn):,} not sent: consent withdrawn."
    if summary.cancelled and summary.error is None:
        words += " Stopped by staff; the rest stay queued."
    if run.stopped:
        words += f" Stopped: {run.stopped}"
    if summary.delivered or summary.replies:
        words += f" {summary.delivered:,} delivered; {summary.replies:,} replies recorded."
    words += "".join(f" {note}" for note in summary.notes)
    return words


def reply_text(answer: dict[str, Any]) -> str:
    """After ``recordReply``: what the reply did, and how many customers share the phone."""
    words = REPLY_WORDS[answer["action"]]
    return f"{words} Customers with this phone: {len(answer['customerIds'])}."
