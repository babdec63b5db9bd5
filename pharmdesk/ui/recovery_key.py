"""The recovery key on screen: shown once (at setup, or when an admin makes a new one),
with Print… and Save to file…, and a box to tick once it is written down.

``RecoveryKeyPanel`` is that display, shared by the first-run wizard and
``NewRecoveryKeyDialog`` (Admin ▸ New recovery key…), which asks an admin for a reason
and runs ``replaceRecoveryKey``: from then on the old paper opens nothing.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QFontDatabase, QGuiApplication, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.store.files import write_file_atomic
from pharmdesk.ui import screen_fit
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.widgets import error_label, heading, plain_label

CONFIRM_TEXT = "I have written down (or printed) the recovery key"


class RecoveryKeyPanel(QWidget):
    """The key in large fixed-width letters, Print…, Save to file…, and the confirmation."""

    confirmed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._key = ""
        self._branch = ""
        self.key_label = plain_label()
        self.key_label.setObjectName("recoveryKey")
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setWeight(QFont.Weight.Bold)
        self.key_label.setFont(font)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.print_button = QPushButton("Print…")
        self.save_button = QPushButton("Save to file…")
        self.confirm = QCheckBox(CONFIRM_TEXT)
        self.confirm.setObjectName("confirmWritten")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addSpacing(12)
        layout.addWidget(self.key_label)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(1)
        layout.addWidget(self.confirm)
        self.print_button.clicked.connect(self._print)
        self.save_button.clicked.connect(self._save)
        self.confirm.toggled.connect(self.confirmed)

    def show_key(self, key: str, branch: str) -> None:
        self._key, self._branch = key, branch
        self.key_label.setText(key)
        self.confirm.setChecked(False)

    def document(self) -> QTextDocument:
        doc = QTextDocument()
        doc.setHtml(
            "<h2>PharmDesk recovery key</h2>"
            f"<p>Branch: {escape(self._branch)}</p>"
            f"<p style='font-size:20pt;font-family:monospace'><b>{escape(self._key)}"
            "</b></p><p>Keep this paper locked away from the PC. Anyone holding it and the "
            "database file can open the database.</p>"
        )
        return doc

    def _print(self) -> None:
        printer = QPrinter()
        if QPrintDialog(printer, self).exec():
            self.document().print_(printer)

    def _save(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save recovery key", "pharmdesk-recovery-key.txt", "Text files (*.txt)"
        )
        if name:
            self.save_to(Path(name))

    def save_to(self, path: Path) -> None:
        text = (
            "PharmDesk recovery key\n"
            f"Branch: {self._branch}\n\n{self._key}\n\n"
            "Keep this file on a USB stick locked away from the PC, not on the PC.\n"
        )
        write_file_atomic(path, text.encode("utf-8"))


class NewRecoveryKeyDialog(QDialog):
    """Admin ▸ New recovery key…: a reason, then the new key, shown once.

    Once the key is made the old one opens nothing, so the dialog stays open until the
    admin ticks that the new one is written down."""

    def __init__(self, desk: DeskContext, branch: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._desk = desk
        self._branch = branch
        self.setWindowTitle("New recovery key")
        self.setObjectName("newRecoveryKeyDialog")
        self.intro = plain_label(
            "A new recovery key replaces the one printed at setup: the old paper will open "
            "nothing. Make one after the recovery key was used (whoever read it could use it "
            "again), when the paper is lost, or when PharmDesk asks for one. Write down why; "
            "the reason goes into the audit log."
        )
        self.intro.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText("Why a new key (a few words)")
        self.reason.setAccessibleName("Reason")
        self.error = error_label()
        self.make_button = QPushButton("&Make a new key")
        self.make_button.setObjectName("makeKey")
        self.make_button.setDefault(True)
        self.panel = RecoveryKeyPanel()
        self.panel.hide()
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.make_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("New recovery key"))
        layout.addWidget(self.intro)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.panel)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.make_button.clicked.connect(self.make_key)
        self.reason.returnPressed.connect(self.make_key)
        self.close_button.clicked.connect(self.close)
        self.panel.confirmed.connect(self.close_button.setEnabled)
        self.setMinimumWidth(560)

    @property
    def key_made(self) -> bool:
        return self.panel.isVisibleTo(self)

    def make_key(self) -> None:
        if self.key_made:
            return
        self.error.hide()
        try:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                answer = self._desk.call("replaceRecoveryKey", {"reason": self.reason.text()})
            finally:
                QGuiApplication.restoreOverrideCursor()
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            self.reason.setFocus()
            return
        self.panel.show_key(answer["recoveryKey"], self._branch)
        self.panel.show()
        self.reason.setReadOnly(True)
        self.make_button.hide()
        self.close_button.setEnabled(False)
        self.intro.setText(
            "This is the new recovery key. It is shown only now: write it down or print it "
            "and keep it locked away from this PC. The old paper no longer opens anything; "
            "destroy it."
        )
        self.panel.confirm.setFocus()
        screen_fit.grow(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.key_made and not self.panel.confirm.isChecked():
            self.error.setText(
                "Write the new key down (or print or save it) and tick the box first: "
                "it is not shown again."
            )
            self.error.show()
            event.ignore()
            return
        super().closeEvent(event)

    def reject(self) -> None:  # Esc goes through closeEvent's check
        if self.key_made and not self.panel.confirm.isChecked():
            self.close()
            return
        super().reject()
