"""What the viewer says: how many entries it lists, and what "Verify chain" found."""

from __future__ import annotations

from typing import Any

from pharmdesk.ui.audit_view.model import Entry, when_local


def verdict(answer: dict[str, Any], entry: Entry | None) -> tuple[str, str]:
    """(state, text): "ok" when the chain is intact, else "bad" with what is wrong.
    ``entry`` is the first bad entry as the database holds it now (None when it is gone)."""
    checked = int(answer["checked"])
    if answer["ok"]:
        noun = "entry" if checked == 1 else "entries"
        sealed = int(answer.get("sealed") or 0)
        seals = f" {sealed:,} of them sealed, every seal intact." if sealed else ""
        return (
            "ok",
            f"Chain intact: {checked:,} {noun} checked. None was changed, removed or "
            f"reordered.{seals}",
        )
    if answer["firstBadEntry"] is None:
        # Every entry is sound, but something needed to trust it is not there.
        return (
            "bad",
            f"Cannot confirm the log: {answer.get('reason')}. The {checked:,} entries "
            "themselves are intact. Tell your IT person; keep this PC as it is.",
        )
    bad = str(answer["firstBadEntry"])
    intact = f"The {checked:,} entries before it are intact." if checked else ""
    if entry is not None:
        return (
            "bad",
            f"Chain broken at {bad} ({when_local(entry.get('at'))}): that entry was changed, "
            f"or one before it removed or moved, after it was written. {intact}",
        )
    return (
        "bad",
        f"Chain broken at {bad}: that entry is missing (removed, or the log was cut "
        f"short). {intact}",
    )


def empty_text(filters: dict[str, Any]) -> str:
    if filters:
        return "No entries match these filters.\nChange or clear the filters to see more."
    return "The audit log is empty."


def count_text(shown: int, filters: dict[str, Any], has_more: bool) -> str:
    """The line under the list: how many entries are loaded, and what they match."""
    noun = "entry" if shown == 1 else "entries"
    matching = " matching the filters" if filters else ""
    customer = filters.get("customerId")
    if customer:
        # The access report: every entry that showed or changed this customer.
        matching = f" that showed or changed {customer}" + (
            " (and match the other filters)" if len(filters) > 1 else ""
        )
    if has_more:
        return f"The newest {shown:,} {noun}{matching}, newest first. Scroll down for older ones."
    return f"All {shown:,} {noun}{matching}, newest first." if shown > 1 else f"1 entry{matching}."
