"""Likely duplicates found while registering a customer: open one of them, or save the
new customer anyway."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.ui.formatting import national_phone
from pharmdesk.ui.widgets import plain_label


class DuplicateChoice(QDialog):
    """Likely duplicates found: open one of them, or save the new customer anyway."""

    def __init__(self, candidates: list[dict[str, Any]], region: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Is this customer already on file?")
        self.chosen: str | None = None
        intro = plain_label(
            "These customers look like the one you are registering. Open the right one "
            "instead of making a second record, or save as a new customer."
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("duplicates")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        reasons = {
            "samePhone": "same phone",
            "similarNameSameBirthDate": "similar name, same date of birth",
        }
        for candidate in candidates:
            item = QListWidgetItem(
                f"{candidate['id']}  {candidate['name']}  ·  "
                f"{national_phone(candidate['phone'], region)}  ·  "
                f"{reasons.get(candidate['reason'], candidate['reason'])}"
            )
            item.setData(Qt.ItemDataRole.UserRole, candidate["id"])
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.open_button = QPushButton("&Open existing")
        self.open_button.setObjectName("openExisting")
        self.save_button = QPushButton("&Save as new")
        self.save_button.setObjectName("saveAsNew")
        cancel = QPushButton("Cancel")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self._open)
        self.save_button.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self._open())
        self.resize(560, 300)

    def _open(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.chosen = str(item.data(Qt.ItemDataRole.UserRole))
            self.done(2)
