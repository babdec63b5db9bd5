"""Pending reviews: every enrollment held for an allergy conflict, for a pharmacist to decide.

A main-window tab for pharmacists and admins over ``listPendingReviews``: the longest
waiting first, with the customer, the plan, the conflict and how long it has waited.
Approve… and Reject… open the same dialog as the profile's buttons (a reason is
required); Open profile shows the whole customer first. Rows arrive a page at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import ago, local_date
from pharmdesk.ui.plan_controls import ReviewDialog, can_review
from pharmdesk.ui.record_table import RecordColumn, RecordTableModel
from pharmdesk.ui.widgets import error_label, heading, plain_label, row_table

PAGE_SIZE = 50
AnyIndex = QModelIndex | QPersistentModelIndex
Fetch = Callable[[dict[str, Any]], dict[str, Any]]


def conflict_text(review: dict[str, Any]) -> str:
    pairs = [f"{c['allergy']} → {c['medication']}" for c in review["conflicts"]]
    return "; ".join(dict.fromkeys(pairs)) or "none with the allergies on file now"


class ReviewTableModel(RecordTableModel):
    """The held enrollments, loaded a page at a time (``canFetchMore``/``fetchMore``)."""

    def __init__(self, fetch: Fetch, now: Callable[[], Any], parent: QObject | None = None) -> None:
        columns = [
            RecordColumn(
                "Waiting since",
                lambda r: f"{local_date(r['since'])} ({ago(r['since'], now())})",
            ),
            RecordColumn("Customer", lambda r: f"{r['name']} ({r['customerId']})"),
            RecordColumn("Plan", lambda r: f"{r['planName']} ({r['subscriptionId']})"),
            RecordColumn(
                "Conflict",
                conflict_text,
                tooltip=lambda r: "\n".join(c["message"] for c in r["conflicts"]) or None,
            ),
            RecordColumn("Why held", lambda r: r.get("reason") or ""),
        ]
        super().__init__(columns, parent=parent)
        self._fetch = fetch
        self._page = 0
        self._has_more = False
        self.total = 0

    def load(self) -> None:
        """The first page again (after a decision, or when the tab is shown)."""
        answer = self._fetch({"page": 1, "limit": PAGE_SIZE})
        self._page, self._has_more, self.total = 1, bool(answer["hasMore"]), int(answer["total"])
        self.set_rows(answer["reviews"])

    def clear(self) -> None:
        self._page, self._has_more, self.total = 0, False, 0
        self.set_rows([])

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        answer = self._fetch({"page": self._page + 1, "limit": PAGE_SIZE})
        rows = list(answer["reviews"])
        self._page += 1
        self._has_more = bool(answer["hasMore"])
        self.total = int(answer["total"])
        if rows:
            start = self.rowCount()
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()


class ReviewPanel(QWidget):
    """The Reviews tab (pharmacists and admins)."""

    open_profile = Signal(str)  # customer id
    reviewed = Signal(str)  # customer id whose plan was decided
    count_changed = Signal(int)  # how many are waiting

    def __init__(self, desk: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.setObjectName("reviewPanel")
        self.model = ReviewTableModel(desk.caller("listPendingReviews"), desk.clock.now, self)
        self.table = row_table(self.model, "reviewTable")
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.empty = plain_label(
            "No enrollments are waiting for a pharmacist's review.\n"
            "An enrollment that conflicts with a recorded allergy appears here."
        )
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        self.summary = plain_label()
        self.summary.setObjectName("subtitle")
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.setObjectName("refreshReviews")
        self.profile_button = QPushButton("&Open profile")
        self.profile_button.setObjectName("openReviewProfile")
        self.approve_button = QPushButton("&Approve…")
        self.approve_button.setObjectName("approveReview")
        self.reject_button = QPushButton("Re&ject…")
        self.reject_button.setObjectName("rejectReview")
        self.error = error_label()
        top = QHBoxLayout()
        top.addWidget(heading("Pending pharmacist reviews"))
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        actions = QHBoxLayout()
        actions.addWidget(self.summary, 1)
        for button in (self.profile_button, self.approve_button, self.reject_button):
            actions.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(self.stack, 1)
        layout.addLayout(actions)

        self.refresh_button.clicked.connect(self.activate)
        self.profile_button.clicked.connect(self._open_current)
        self.approve_button.clicked.connect(lambda: self.review_current(True))
        self.reject_button.clicked.connect(lambda: self.review_current(False))
        self.table.doubleClicked.connect(lambda _i: self._open_current())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.model.modelReset.connect(self._update_state)
        self.model.rowsInserted.connect(lambda *_: self._update_state())
        self._update_state()

    # -- Panel ---------------------------------------------------------------------------------
    def activate(self) -> None:
        """Read the first page if the tab is in sight; a hidden tab reads when it is next
        shown (``showEvent``). Each page read is an audited ``list``, so nothing is read
        that nobody sees, and a tab shown again is never out of date. Pharmacists and
        admins only; for others the panel stays empty."""
        self.error.hide()
        if not can_review(self.desk):
            self.model.clear()
            return
        if self.isVisible():
            self.load()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.desk.session is not None:
            self.activate()

    def load(self) -> None:
        try:
            self.model.load()
        except PharmDeskError as exc:
            self.model.clear()
            self.error.setText(exc.message)
            self.error.show()
            return
        if self.model.rowCount():
            self.table.selectRow(0)

    def clear(self) -> None:
        self.model.clear()
        self.error.hide()

    # -- state ---------------------------------------------------------------------------------
    def _update_state(self) -> None:
        total = self.model.total
        self.stack.setCurrentWidget(self.table if total else self.empty)
        noun = "enrollment is" if total == 1 else "enrollments are"
        self.summary.setText(
            f"{total:,} {noun} waiting. Approving starts deliveries; rejecting cancels."
            if total
            else ""
        )
        self._update_buttons()
        self.count_changed.emit(total)

    def _update_buttons(self) -> None:
        chosen = self.current() is not None
        for button in (self.profile_button, self.approve_button, self.reject_button):
            button.setEnabled(chosen)

    def current(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    # -- actions -------------------------------------------------------------------------------
    def _open_current(self) -> None:
        review = self.current()
        if review is not None:
            self.open_profile.emit(review["customerId"])

    def review_dialog(self, review: dict[str, Any], approve: bool) -> ReviewDialog:
        plan = {
            "subscriptionId": review["subscriptionId"],
            "name": review["planName"],
            "medications": review["medications"],
        }
        dialog = ReviewDialog(
            self.desk,
            plan,
            approve,
            customer_name=f"{review['name']} ({review['customerId']})",
            conflicts=[c["message"] for c in review["conflicts"]],
            parent=self,
        )
        dialog.reviewed.connect(lambda _answer: self._decided(review["customerId"]))
        return dialog

    def review_current(self, approve: bool) -> None:
        review = self.current()
        if review is None:
            return
        dialog = self.review_dialog(review, approve)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        self.dialog = dialog

    def _decided(self, customer_id: str) -> None:
        self.activate()
        self.reviewed.emit(customer_id)
