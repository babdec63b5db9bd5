"""The main window's lock page: the sign-in form in the middle of an empty window, shown
while PharmDesk is locked or signed out (patient data hidden)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import SignInForm

LOCKED_TITLE = "PharmDesk is locked"
LOCKED_SUBTITLE = "Patient data is hidden. Sign in to continue (the same or another staff member)."


def lock_form(desk: DeskContext, *, demo: bool) -> SignInForm:
    form = SignInForm(desk, title=LOCKED_TITLE, subtitle=LOCKED_SUBTITLE, demo=demo)
    form.setFixedWidth(440)
    return form


def lock_page(form: SignInForm) -> QWidget:
    page = QWidget()
    page.setObjectName("lockPage")
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    holder = QHBoxLayout()
    holder.addStretch(1)
    holder.addWidget(form)
    holder.addStretch(1)
    layout.addLayout(holder)
    layout.addStretch(2)
    return page


def show_locked(form: SignInForm, username: str) -> None:
    """The form as the lock page shows it: for ``username`` (their PIN when they set one)
    or for anyone."""
    form.title.setText(LOCKED_TITLE)
    form.subtitle.setText(LOCKED_SUBTITLE)
    form.reset(username)
