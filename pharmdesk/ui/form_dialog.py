"""The shape every small data-entry dialog shares: a form, a note, an error line, Save.

Order, plan, pause and review dialogs all lay out the same way and report a refused
operation the same way: the controller's message under the form and the focus on the
field it names, nothing else (no modal box), so the person fixes it and saves again.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.formatting import CURRENCY_SYMBOLS
from pharmdesk.ui.widgets import error_label, plain_label


def money_box(currency: str, maximum: int, object_name: str, accessible: str) -> QSpinBox:
    """A whole-number amount in the branch currency, shown as ``₦15,000``."""
    box = QSpinBox()
    box.setObjectName(object_name)
    box.setRange(0, maximum)
    box.setGroupSeparatorShown(True)
    box.setPrefix(CURRENCY_SYMBOLS.get(currency, currency + " "))
    box.setAccessibleName(accessible)
    return box


class FormDialog(QDialog):
    """A dialog of ``form`` rows, an optional ``note``, an error line and Save/Cancel.

    Subclasses build their fields, then call ``finish(form, ...)``; ``save`` is theirs.
    """

    def __init__(self, save_text: str, save_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = plain_label()
        self.note.setObjectName("subtitle")
        self.note.setWordWrap(True)
        self.note.hide()
        self.error = error_label()
        self.save_button = QPushButton(save_text)
        self.save_button.setObjectName(save_name)
        self.button_box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.button_box.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.button_box.rejected.connect(self.reject)
        self.save_button.clicked.connect(self.save)

    def finish(self, form: QFormLayout, *, top: QWidget | None = None) -> None:
        """Lay the dialog out: ``top`` (a heading), the form, the note, the error, buttons."""
        layout = QVBoxLayout(self)
        if top is not None:
            layout.addWidget(top)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.button_box)
        # Enter saves from any field. Only a button already in the dialog can become its
        # default, and Cancel must never take Enter over.
        cancel = self.button_box.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        self.save_button.setDefault(True)

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def save(self) -> None:
        raise NotImplementedError

    def show_refusal(self, exc: PharmDeskError, fields: Mapping[str, QWidget]) -> None:
        """The controller's message under the form; the field it names gets the focus."""
        self.error.setText(exc.message)
        self.error.show()
        target = fields.get(exc.field or "")
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)
