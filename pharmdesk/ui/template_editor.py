"""The branch's own copy of a message template, with the SMS length as you type.

The counter shows the text as a customer would get it (sample values filled in): how
many characters, GSM-7 or UCS-2, and how many SMS. Letters with tone marks force UCS-2
and double the cost; "Use plain letters" offers the same text without the marks.
Saved with ``updateSettings`` (admins); "Bundled wording" goes back to the shipped one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers.consent.languages import LANGUAGE_NAMES
from pharmdesk.controllers.reminders import templates
from pharmdesk.controllers.reminders.sms_length import plain_letters, sms_length
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.widgets import error_label, heading, plain_label

SAMPLE = {
    "firstName": "Adaeze",
    "plan": "Hypertension Care",
    "dueDate": "21/04/2026",
}


class TemplateEditor(QDialog):
    def __init__(self, desk: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.setObjectName("templateEditor")
        self.setWindowTitle("Message templates")
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Message templates"))
        pick = QHBoxLayout()
        self.purpose = QComboBox()
        self.purpose.setObjectName("templatePurpose")
        self.purpose.addItem("Refill reminders", "reminders")
        self.purpose.addItem("Marketing", "marketing")
        self.language = QComboBox()
        self.language.setObjectName("templateLanguage")
        for code, name in LANGUAGE_NAMES.items():
            self.language.addItem(name, code)
        pick.addWidget(self.purpose)
        pick.addWidget(self.language)
        pick.addStretch(1)
        layout.addLayout(pick)
        layout.addWidget(
            plain_label("Placeholders: {firstName} {plan} {dueDate} {branchName} {branchPhone}")
        )
        self.text = QPlainTextEdit()
        self.text.setObjectName("templateText")
        self.text.setTabChangesFocus(True)  # an SMS has no tabs; Tab goes on to the buttons
        layout.addWidget(self.text, 1)
        self.counter = plain_label()
        self.counter.setObjectName("segmentCounter")
        self.counter.setTextFormat(Qt.TextFormat.PlainText)
        self.counter.setWordWrap(True)
        layout.addWidget(self.counter)
        self.preview = plain_label()
        self.preview.setObjectName("templatePreview")
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setWordWrap(True)
        layout.addWidget(self.preview)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.plain_button = QPushButton("Use plain letters")
        self.plain_button.setObjectName("plainLetters")
        self.bundled_button = QPushButton("Bundled wording")
        self.bundled_button.setObjectName("bundledWording")
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("saveTemplate")
        self.save_button.setDefault(True)
        close = QPushButton("Close")
        for button in (self.plain_button, self.bundled_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        may_save = desk.may("updateSettings")
        self.save_button.setEnabled(may_save)
        self.bundled_button.setEnabled(may_save)
        if not may_save:
            self.save_button.setToolTip("Only an admin can change the branch's templates")
        self.purpose.currentIndexChanged.connect(self.load)
        self.language.currentIndexChanged.connect(self.load)
        self.text.textChanged.connect(self.count)
        self.plain_button.clicked.connect(
            lambda: self.text.setPlainText(plain_letters(self.text.toPlainText()))
        )
        self.bundled_button.clicked.connect(self.use_bundled)
        self.save_button.clicked.connect(self.save)
        close.clicked.connect(self.accept)
        self.load()

    def _choice(self) -> tuple[str, str]:
        return str(self.purpose.currentData()), str(self.language.currentData())

    def load(self) -> None:
        purpose, language = self._choice()
        own = self.desk.settings().get("reminderTemplates") or {}
        self.text.setPlainText(templates.template_for(purpose, language, own))
        self.error.hide()

    def filled(self) -> str:
        settings = self.desk.settings()
        values = {
            **SAMPLE,
            "branchName": settings["branchName"],
            "branchPhone": settings.get("branchPhone") or "",
        }
        try:
            return templates.render(self.text.toPlainText(), values)
        except (KeyError, ValueError, IndexError):
            return self.text.toPlainText()

    def count(self) -> None:
        text = self.filled()
        length = sms_length(text)
        words = f"{length.units} characters · {length.encoding} · {length.segments} SMS"
        if length.encoding == "UCS-2":
            plain = sms_length(plain_letters(text))
            odd = " ".join(length.non_gsm[:8])
            words += (
                f"\nThese letters make it UCS-2 (about twice the cost): {odd}. "
                f"In plain letters it would be {plain.segments} SMS."
            )
        self.counter.setText(words)
        self.preview.setText(f"As a customer gets it: {text}")

    def _save(self, text: str | None) -> None:
        purpose, language = self._choice()
        try:
            self.desk.call("updateSettings", {"reminderTemplates": {purpose: {language: text}}})
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self.error.hide()
        self.load()

    def save(self) -> None:
        self._save(self.text.toPlainText())

    def use_bundled(self) -> None:
        self._save(None)
