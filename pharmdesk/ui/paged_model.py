"""Customer lists on the paging base: the customer table, the segments and the refill
queue all list customers from an operation that answers
``{"customers": [...], "total", "hasMore"}`` for a ``page``. Subclasses say which
operation to ask (``request``) and how a row is shown (``data``, ``headerData``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pharmdesk.ui.models.paged import AnyIndex, Page, PagedModel

PAGE_SIZE = 100
__all__ = ["PAGE_SIZE", "AnyIndex", "PagedCustomerModel"]


class PagedCustomerModel(PagedModel):
    """Rows of customers from a paged operation, in the operation's own order."""

    def request(self, page: int) -> dict[str, Any]:
        """Ask the operation for ``page`` (1-based) of ``PAGE_SIZE`` rows."""
        raise NotImplementedError

    def fetch_page(self, cursor: Any) -> Page:
        number = 1 if cursor is None else int(cursor)
        answer = self.request(number)
        return Page(answer["customers"], bool(answer["hasMore"]), number + 1, int(answer["total"]))

    def new_rows(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        # A customer who moved between pages meanwhile (an order, a rename) is not listed
        # twice.
        seen = {row["id"] for row in self._rows}
        return [row for row in rows if row["id"] not in seen]

    def customer_id(self, row: int) -> str | None:
        if 0 <= row < len(self._rows):
            return str(self._rows[row]["id"])
        return None

    def record(self, row: int) -> dict[str, Any] | None:
        return dict(self._rows[row]) if 0 <= row < len(self._rows) else None
