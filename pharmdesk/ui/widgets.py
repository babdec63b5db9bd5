"""Small building blocks every screen uses, so they look and behave the same.

Stored text (names, allergies, notes, a file's cells, error messages that quote input) is
shown as plain text, never Qt rich text (API.md v3): a QLabel guesses rich text from a
leading tag, so an allergy typed as ``<span style="font-size:1px">Penicillin</span>``
would otherwise render as nothing readable. ``plain_label`` and ``plain_tooltip`` are
the ways to show such text (``formatting.plain_tooltip`` for tooltips).
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDateTimeEdit,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QWidget,
)

from pharmdesk.resources import resource_path


def icon(name: str) -> QIcon:
    """An SVG icon from ``resources/icons``."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))


def plain_label(text: str = "", object_name: str | None = None) -> QLabel:
    """A label that shows its text literally (stored or typed text may look like HTML)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if object_name:
        label.setObjectName(object_name)
    return label


def rich_label(html: str = "", object_name: str | None = None) -> QLabel:
    """A label whose markup is PharmDesk's own: every stored value in it must pass
    ``html.escape`` first."""
    label = plain_label(html, object_name)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def heading(text: str) -> QLabel:
    return plain_label(text, "heading")


def error_label() -> QLabel:
    """A red message under a form; hidden until there is something to say (messages may
    quote what was typed, so plain text)."""
    label = plain_label()
    label.setObjectName("error")
    label.setWordWrap(True)
    label.setAccessibleName("Error message")
    label.hide()
    return label


def row_table(
    model: QAbstractItemModel,
    object_name: str,
    *,
    alternating: bool = True,
    fit_columns: bool = False,
) -> QTableView:
    """A read-only list of records: whole rows selected one at a time, no row numbers.
    ``fit_columns``: each column as wide as its text, the last one filling the rest."""
    view = QTableView()
    view.setObjectName(object_name)
    view.setModel(model)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(alternating)
    view.setTabKeyNavigation(False)  # Tab leaves the list; the arrows move in it
    if fit_columns:
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
    return view


def results_or_empty(
    view: QWidget, text: str = "", *, wrap: bool = True
) -> tuple[QStackedWidget, QLabel]:
    """A list and, in its place when it has no rows, words saying why: page 0 shows
    ``view``, page 1 the returned label (object name ``emptyState``)."""
    empty = plain_label(text, "emptyState")
    empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
    empty.setWordWrap(wrap)
    stack = QStackedWidget()
    stack.addWidget(view)
    stack.addWidget(empty)
    return stack, empty


def cancel_or(text: str, object_name: str) -> tuple[QDialogButtonBox, QPushButton]:
    """A dialog's Cancel and its one action (``text``, the accept role), side by side."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    action = buttons.addButton(text, QDialogButtonBox.ButtonRole.AcceptRole)
    action.setObjectName(object_name)
    return buttons, action


def tab_order(*widgets: QWidget) -> None:
    """Tab visits ``widgets`` in this order (reading order, whatever order they were
    built or laid out in)."""
    for first, second in pairwise(widgets):
        QWidget.setTabOrder(first, second)


class DateEdit(QDateEdit):
    """A date field that Tab leaves. Qt's moves Tab between day, month and year, and
    never leaves at all while it shows a special text such as "Not recorded" (a trap for
    anyone on the keyboard); the arrows and typing still edit each part."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


class DateTimeEdit(QDateTimeEdit):
    """A date and time field that Tab leaves (see ``DateEdit``)."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)
