"""A small card with one figure (orders, spend, plans) at the top of the profile."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QVBoxLayout

from pharmdesk.ui.widgets import plain_label


class StatCard(QFrame):
    def __init__(self, title: str, value: str, detail: str = "") -> None:
        super().__init__()
        self.setObjectName("statCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        caption = plain_label(title)
        caption.setObjectName("statTitle")
        self.value = plain_label(value)
        self.value.setObjectName("statValue")
        layout.addWidget(caption)
        layout.addWidget(self.value)
        if detail:
            extra = plain_label(detail)
            extra.setObjectName("statDetail")
            layout.addWidget(extra)
