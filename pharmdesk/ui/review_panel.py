"""Pending reviews: every enrollment held for an allergy conflict, for a pharmacist to decide.

A main-window tab for pharmacists and admins over ``listPendingReviews``: the longest
waiting first, with the customer, the plan, the conflict and how long it has waited.
Approve… and Reject… open the same dialog as the profile's buttons (a reason is
required); Open profile shows the whole customer first. Rows arrive a page at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import ago, local_date
from pharmdesk.ui.models.columns import header_data
from pharmdesk.ui.models.paged import AnyIndex, Page, PagedModel
from pharmdesk.ui.plan_controls import ReviewDialog, can_review
from pharmdesk.ui.record_table import RecordColumn, record_data
from pharmdesk.ui.widgets import error_label, heading, plain_label, results_or_empty, row_table

PAGE_SIZE = 50
Fetch = Callable[[dict[str, Any]], dict[str, Any]]


def conflict_text(review: dict[str, Any]) -> str:
    pairs = [f"{c['allergy']} → {c['medication']}" for c in review["conflicts"]]
    return "; ".join(dict.fromkeys(pairs)) or "none with the allergies on file now"


class ReviewTableModel(PagedModel):
    """The held enrollments, loaded a page at a time (``canFetchMore``/``fetchMore``)."""

    def __init__(self, fetch: Fetch, now: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = [
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
        self._titles = [column.title for column in self._columns]
        self._fetch = fetch

    def fetch_page(self, cursor: Any) -> Page:
        number = 1 if cursor is None else int(cursor)
        answer = self._fetch({"page": number, "limit": PAGE_SIZE})
        return Page(answer["reviews"], bool(answer["hasMore"]), number + 1, int(answer["total"]))

    def record(self, row: int) -> dict[str, Any] | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return record_data(self._columns[index.column()], self._rows[index.row()], role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_data(self._titles, section, orientation, role)


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
        self.table = row_table(self.model, "reviewTable", fit_columns=True)
        self.table.setWordWrap(False)
        self.stack, self.empty = results_or_empty(
            self.table,
            "No enrollments are waiting for a pharmacist's review.\n"
            "An enrollment that conflicts with a recorded allergy appears here.",
            wrap=False,
        )

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
        self.model.failed.connect(self._failed)
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
        """The first page again (after a decision, or when the tab is shown); a refusal
        empties the list and is shown above it (``_failed``)."""
        self.model.load_first_page()
        if self.model.rowCount():
            self.table.selectRow(0)

    def clear(self) -> None:
        self.model.clear()
        self.error.hide()

    def _failed(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

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
