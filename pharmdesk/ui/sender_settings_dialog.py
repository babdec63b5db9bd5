"""Settings for sending messages (admins): the branch phone reminders give, and which
sender sends them: WhatsApp from the desk phone, a GSM modem on a serial port, an HTTP
SMS gateway (URL, token, field names) or a CSV file for a provider's upload page."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers.reminders.sender_settings import BAUD_RATES, SECRET_SHOWN
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.widgets import error_label, heading

SENDERS = (
    ("whatsapp", "WhatsApp from the desk phone (QR code; staff mark sent)"),
    ("modem", "GSM modem on this PC (no internet needed)"),
    ("gateway", "SMS provider's web gateway"),
    ("csv", "CSV file for the provider's upload page"),
)


class SenderSettingsDialog(QDialog):
    def __init__(self, desk: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.setObjectName("senderSettings")
        self.setWindowTitle("Message sending")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Message sending"))
        form = QFormLayout()
        self.branch_phone = QLineEdit()
        self.branch_phone.setPlaceholderText("The number customers call with questions")
        self.sender_choice = QComboBox()
        for value, text in SENDERS:
            self.sender_choice.addItem(text, value)
        self.port = QLineEdit()
        self.port.setPlaceholderText("COM3 or /dev/ttyUSB0")
        self.baud = QComboBox()
        for rate in BAUD_RATES:
            self.baud.addItem(str(rate), rate)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://sms.example.com/api/send")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("Leave as it is to keep the saved token")
        self.field_to = QLineEdit()
        self.field_text = QLineEdit()
        self.field_reference = QLineEdit()
        form.addRow("Branch &phone:", self.branch_phone)
        form.addRow("&Send with:", self.sender_choice)
        form.addRow("Modem p&ort:", self.port)
        form.addRow("Modem &speed:", self.baud)
        form.addRow("Gateway &URL:", self.url)
        form.addRow("Gateway &token:", self.token)
        form.addRow("Field for the number:", self.field_to)
        form.addRow("Field for the text:", self.field_text)
        form.addRow("Field for our reference:", self.field_reference)
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(desk.may("updateSettings"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.sender_choice.currentIndexChanged.connect(self._enable)
        self.current: dict[str, Any] = desk.call("getSettings")["settings"]
        self._load()

    def _load(self) -> None:
        s = self.current
        self.branch_phone.setText(s.get("branchPhone") or "")
        self.sender_choice.setCurrentIndex(max(0, self.sender_choice.findData(s["messageSender"])))
        self.port.setText(s.get("modemPort") or "")
        self.baud.setCurrentIndex(max(0, self.baud.findData(s["modemBaud"])))
        self.url.setText(s.get("gatewayUrl") or "")
        self.token.setText(s.get("gatewayToken") or "")
        self.field_to.setText(s["gatewayFields"]["to"])
        self.field_text.setText(s["gatewayFields"]["text"])
        self.field_reference.setText(s["gatewayFields"]["reference"])
        self._enable()

    def _enable(self) -> None:
        chosen = self.sender_choice.currentData()
        for widget in (self.port, self.baud):
            widget.setEnabled(chosen == "modem")
        for widget in (self.url, self.token, self.field_to, self.field_text, self.field_reference):
            widget.setEnabled(chosen == "gateway")

    def wanted(self) -> dict[str, Any]:
        wanted: dict[str, Any] = {
            "branchPhone": self.branch_phone.text().strip() or None,
            "messageSender": self.sender_choice.currentData(),
            "modemPort": self.port.text().strip() or None,
            "modemBaud": self.baud.currentData(),
            "gatewayUrl": self.url.text().strip() or None,
            "gatewayFields": {
                "to": self.field_to.text().strip(),
                "text": self.field_text.text().strip(),
                "reference": self.field_reference.text().strip(),
            },
        }
        if self.token.text() != SECRET_SHOWN:
            wanted["gatewayToken"] = self.token.text() or None
        return wanted

    def save(self) -> None:
        self.error.hide()
        try:
            self.desk.call("updateSettings", self.wanted())
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self.accept()
