"""What the wizard's pages share: how they word plans and dates, show a refusal, and
take the row a person chose in a list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget

from pharmdesk.errors import PharmDeskError

ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the customer or plan id behind a list row
FREQUENCY_TEXT = {
    "weekly": "every week",
    "biweekly": "every two weeks",
    "monthly": "every month",
    "quarterly": "every three months",
}
STATUS_TEXT = {"active": "Active", "pendingReview": "Awaiting pharmacist review"}


def long_date(day: dt.date) -> str:
    return day.strftime("%A %d %b %Y")


def escape_html(text: str) -> str:
    """Stored text inside the pages' rich text, shown as typed."""
    return escape(str(text))


def show_error(label: QLabel, exc: PharmDeskError) -> None:
    label.setText(exc.message)
    label.show()


def choose_current(choices: QListWidget, choose: Callable[[str], object], error: QLabel) -> bool:
    """Hand the id of the chosen row to the flow (``choose``); False, with the flow's
    refusal under the list, when nothing is chosen or the flow says no."""
    item = choices.currentItem()
    if item is None:
        return False
    try:
        choose(str(item.data(ID_ROLE)))
    except PharmDeskError as exc:
        show_error(error, exc)
        return False
    return True
