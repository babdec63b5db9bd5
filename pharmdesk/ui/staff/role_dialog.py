"""Change one person's role (``setStaffRole``); the controller protects the last admin."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.widgets import error_label, plain_label

ROLE_NAMES = {"admin": "Admin", "pharmacist": "Pharmacist", "frontdesk": "Front desk"}


def role_combo(current: str = "frontdesk") -> QComboBox:
    combo = QComboBox()
    combo.setObjectName("role")
    combo.setAccessibleName("Role")
    for role, name in ROLE_NAMES.items():
        combo.addItem(name, role)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


class RoleDialog(QDialog):
    """Change one person's role; the last-admin refusal is shown next to the choice."""

    saved = Signal(str)

    def __init__(
        self, desk: DeskContext, row: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._desk = desk
        self._row = row
        self.setWindowTitle(f"PharmDesk — Role of {row['fullName']}")
        self.role = role_combo(row["role"])
        self.error = error_label()
        explain = plain_label(
            "Front desk: customers, plans, orders and segments. Pharmacist: the same, plus "
            "reviewing allergy conflicts and campaign audiences. Admin: everything, "
            "including staff, plans and the audit log. A new role applies from their next "
            "sign-in."
        )
        explain.setWordWrap(True)
        self.save_button = QPushButton("&Change role")
        self.save_button.setObjectName("save")
        self.save_button.setDefault(True)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        form = QFormLayout()
        form.addRow(f"Role of {row['username']}", self.role)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.setMinimumWidth(460)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)

    def save(self) -> None:
        role = str(self.role.currentData())
        if role == self._row["role"]:
            self.reject()
            return
        try:
            self._desk.call("setStaffRole", {"username": self._row["username"], "role": role})
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            screen_fit.grow(self)
            return
        self.accept()
        self.saved.emit(self._row["username"])
