"""The audit log as a lazy Qt model over ``fetchAuditLog``, and entries made readable.

Entries come newest first, a page at a time as the view scrolls, with keyset paging
(``beforeId``/``nextBeforeId``): entries written meanwhile (viewing the log writes some)
never shift or repeat a page. ``detail_lines`` turns an entry's JSON detail into lines a
person reads ("phone: 0801 111 1111 → 0802 222 2222"), never raw JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    Qt,
)
from PySide6.QtGui import QFont

from pharmdesk.clock import parse_iso
from pharmdesk.ui.formatting import national_phone, plain_tooltip
from pharmdesk.ui.models.columns import header_data
from pharmdesk.ui.models.paged import AnyIndex, Page, PagedModel
from pharmdesk.ui.theme import DANGER, DANGER_BACKGROUND, brush

PAGE_SIZE = 100
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole + 2

Fetch = Callable[[dict[str, Any]], dict[str, Any]]
Entry = dict[str, Any]

ACTION_LABELS = {
    "signIn": "Signed in",
    "signOut": "Signed out",
    "lock": "Locked",
    "signInFailed": "Sign-in failed",
    "lockedOut": "Locked out",
    "list": "Listed customers",
    "view": "Viewed",
    "segment": "Segment",
    "create": "Created",
    "update": "Updated",
    "archive": "Archived",
    "consent": "Consent",
    "enroll": "Enrolled",
    "review": "Reviewed",
    "subscription": "Subscription",
    "order": "Order",
    "plan": "Plan",
    "export": "Exported",
    "print": "Printed",
    "import": "Imported",
    "auditView": "Audit log viewed",
    "staff": "Staff",
    "settings": "Settings",
    "backup": "Backup",
    "restore": "Restore",
    "emergencyAccess": "Emergency access",
    "denied": "Refused",
    "tamper": "Tampering found",
    "relationship": "Relationship",
    "payer": "Payer",
    "merge": "Merged records",
    "erase": "Erased",
}
OUTCOME_LABELS = {"success": "OK", "denied": "Denied", "failed": "Failed"}
PROBLEM_OUTCOMES = frozenset({"denied", "failed"})

# Keys whose values are counts: shown with thousands separators.
COUNT_KEYS = frozenset(
    {"shown", "entries", "checked", "total", "excluded", "excludedWithoutConsent", "count"}
)
KEY_LABELS = {
    "subscriptionId": "Subscription",
    "planId": "Plan",
    "orderId": "Order",
    "customerId": "Customer",
    "throughId": "Newest entry in the file",
    "beforeId": "Older than",
    "firstBadEntry": "First bad entry",
    "ok": "Chain intact",
    "sentForReview": "Sent for review",
    "excludedWithoutConsent": "Left out (no consent)",
    "customerIds": "Customers shown",
    "expectedAtLeast": "Expected at least",
    "noticedBy": "Noticed at the sign-in of",
    "user": "Staff",
    "from": "From",
    "to": "To",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def when_local(at: str | None) -> str:
    """An entry's UTC time as the branch's local date and time, to the second."""
    if not at:
        return ""
    return parse_iso(at).astimezone().strftime("%d %b %Y %H:%M:%S")


def what(entry: Entry, customer: str | None = None) -> str:
    """The thing an entry is about: ``customer CUST-12``, ``staff femi``, or ``—``. In an
    access report (``customer`` given) a list names that customer among those it showed."""
    kind = entry.get("entityType")
    ident = entry.get("entityId")
    detail = entry.get("detail")
    shown = detail.get("customerIds") if isinstance(detail, dict) else None
    if customer and ident != customer and isinstance(shown, list) and customer in shown:
        others = len(shown) - 1
        among = f" among {others:,} other{'s' if others != 1 else ''}" if others else ""
        return f"{customer} shown{among}"
    if kind and ident:
        return f"{kind} {ident}"
    if kind:
        return str(kind)
    if ident:
        return str(ident)
    return "audit log" if entry.get("action") == "auditView" else "—"


def key_label(key: str) -> str:
    """``excludedWithoutConsent`` -> ``Excluded without consent`` (a few are named better)."""
    if key in KEY_LABELS:
        return KEY_LABELS[key]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).lower()
    return words[:1].upper() + words[1:]


def value_text(value: Any, key: str = "", region: str = "NG") -> str:
    """One value as a person reads it: lists joined, yes/no, empty said so."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}" if key in COUNT_KEYS else str(value)
    if isinstance(value, list):
        if not value:
            return "(none)"
        return ", ".join(value_text(item, key, region) for item in value)
    if isinstance(value, dict):
        if "message" in value:  # a warning: its message says it all
            return str(value["message"])
        if not value:
            return "none"
        return "; ".join(f"{key_label(k)}: {value_text(v, k, region)}" for k, v in value.items())
    text = str(value)
    if key == "phone" and text.startswith("+"):
        return national_phone(text, region)
    return text


def change_text(field: str, change: Any, region: str = "NG") -> str:
    """``phone: 0801 111 1111 → 0802 222 2222``."""
    if isinstance(change, dict) and ("old" in change or "new" in change):
        old = value_text(change.get("old"), field, region)
        new = value_text(change.get("new"), field, region)
        return f"{field}: {old} → {new}"
    return f"{field}: {value_text(change, field, region)}"


def detail_lines(entry: Entry, region: str = "NG") -> list[str]:
    """The entry's detail, one readable line per fact; field changes as old → new."""
    detail = entry.get("detail") or {}
    if not isinstance(detail, dict):
        return [value_text(detail)]
    lines: list[str] = []
    if "reason" in detail and detail["reason"] is not None:
        lines.append(f"Reason: {value_text(detail['reason'])}")
    if "old" in detail or "new" in detail:
        subject = "Marketing consent" if entry.get("action") == "consent" else "Value"
        lines.append(change_text(subject, detail, region))
    changes = detail.get("changes")
    if isinstance(changes, dict):
        if changes:
            lines.append("Changed:")
            lines.extend("  " + change_text(f, c, region) for f, c in changes.items())
        else:
            lines.append("Changed: nothing")
    for key, value in detail.items():
        if key in ("reason", "old", "new", "changes"):
            continue
        lines.append(f"{key_label(key)}: {value_text(value, key, region)}")
    return lines


class AuditLogModel(PagedModel):
    """Audit entries, newest first, one keyset page at a time, under the current filters."""

    COLUMNS = ("When", "Staff", "Action", "What", "Outcome")

    def __init__(self, fetch: Fetch, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._filters: dict[str, Any] = {}
        self._bad_entry: str | None = None
        self.region = "NG"
        self.staff_names: dict[str, str] = {}

    # -- state the window shows ---------------------------------------------------------------
    @property
    def filters(self) -> dict[str, Any]:
        return dict(self._filters)

    def entry(self, row: int) -> Entry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, entry_id: str) -> int | None:
        for row, entry in enumerate(self._rows):
            if entry["id"] == entry_id:
                return row
        return None

    def refresh_entry(self, entry: Entry) -> None:
        """Show an entry as the database holds it now (the chain check found it changed)."""
        row = self.row_of(entry["id"])
        if row is not None:
            self._rows[row] = entry
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def set_bad_entry(self, entry_id: str | None) -> None:
        """Mark the entry the chain check found broken (red background)."""
        old = self.row_of(self._bad_entry) if self._bad_entry else None
        self._bad_entry = entry_id
        for row in (old, self.row_of(entry_id) if entry_id else None):
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    # -- loading ---------------------------------------------------------------------------------
    def fetch_page(self, cursor: Any) -> Page:
        params: dict[str, Any] = {"limit": PAGE_SIZE, **self._filters}
        if cursor is not None:
            params["beforeId"] = cursor
        answer = self._fetch(params)
        return Page(answer["entries"], bool(answer["hasMore"]), answer["nextBeforeId"])

    def set_filters(self, filters: dict[str, Any]) -> None:
        """New filters (API param names, absent = any): load their first page."""
        self._filters = {k: v for k, v in filters.items() if v not in (None, "")}
        self.reload()

    def reload(self) -> None:
        self.load_first_page()

    def forget(self) -> None:
        self._bad_entry = None
        self.staff_names = {}

    # -- Qt model interface ----------------------------------------------------------------------
    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def _display(self, entry: Entry, column: int) -> str:
        if column == 0:
            return when_local(entry.get("at"))
        if column == 1:
            return str(entry.get("user") or "")
        if column == 2:
            return action_label(str(entry.get("action")))
        if column == 3:
            return what(entry, self._filters.get("customerId"))
        outcome = str(entry.get("outcome"))
        return OUTCOME_LABELS.get(outcome, outcome)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return f"{entry['id']} · {entry.get('at')} (UTC)"
            if column == 1:
                return plain_tooltip(self.staff_names.get(str(entry.get("user")))) or None
            if column == 2:
                return plain_tooltip(str(entry.get("action"))) or None
            return None
        problem = entry.get("outcome") in PROBLEM_OUTCOMES
        if role == Qt.ItemDataRole.ForegroundRole and problem:
            return brush(DANGER)
        if role == Qt.ItemDataRole.FontRole and problem and column == 4:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and entry["id"] == self._bad_entry:
            return brush(DANGER_BACKGROUND)
        if role == ENTRY_ROLE:
            return entry
        if role == ENTRY_ID_ROLE:
            return entry["id"]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_data(self.COLUMNS, section, orientation, role)
