"""Send a reminder by WhatsApp from the desk phone: the message is claimed (its consent
checked now), shown as a QR code that opens the chat with the text filled in; staff send
it on the phone and press "Sent", or "Not sent" to leave it in the queue."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.senders.whatsapp import chat_link, qr_png
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.widgets import error_label, heading, plain_label


class WhatsAppDialog(QDialog):
    finished_message = Signal(str)  # the status the message ended in

    def __init__(
        self, desk: DeskContext, message: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.message = message
        self.setObjectName("whatsappDialog")
        self.setWindowTitle("Send by WhatsApp")
        self.answered: str | None = None  # the status recorded for the message
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"WhatsApp to {message['customerName']}"))
        steps = plain_label(
            "1. Scan the code with the desk phone's camera (or open WhatsApp's scanner).\n"
            "2. Check the chat is the customer's and press send on the phone.\n"
            "3. Press 'Sent' here. If you could not send it, press 'Not sent'."
        )
        steps.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(steps)
        self.link = chat_link(message["to"], message["text"])
        pixmap = QPixmap()
        pixmap.loadFromData(qr_png(self.link, scale=5))
        self.qr = plain_label()
        self.qr.setObjectName("qrCode")
        self.qr.setPixmap(pixmap)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setAccessibleName("QR code that opens the WhatsApp chat")
        layout.addWidget(self.qr)
        text = plain_label(message["text"])
        text.setObjectName("messageText")
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(text)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.sent_button = QPushButton("Sent")
        self.sent_button.setObjectName("markSent")
        self.not_sent_button = QPushButton("Not sent")
        self.not_sent_button.setObjectName("notSent")
        buttons.addButton(self.sent_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.not_sent_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.sent_button.clicked.connect(lambda: self._finish("sent", None))
        self.not_sent_button.clicked.connect(
            lambda: self._finish("queued", "Not sent from the desk phone")
        )
        layout.addWidget(buttons)

    @classmethod
    def claim(
        cls, desk: DeskContext, message_id: str, parent: QWidget | None = None
    ) -> WhatsAppDialog | str:
        """The dialog for a claimed message, or why it cannot be sent now."""
        try:
            answer = desk.call(
                "claimOutboxMessage", {"channel": "whatsapp", "messageId": message_id}
            )
        except PharmDeskError as exc:
            return exc.message
        if answer["message"] is None:
            return (
                f"{message_id} was not sent: the customer's consent for WhatsApp was "
                "withdrawn. It is marked failed."
            )
        return cls(desk, answer["message"], parent)

    def reject(self) -> None:
        """Closing the window without an answer leaves the message in the queue; once
        an answer is recorded, closing it again (Escape) just closes it."""
        if self.answered is not None:
            super().reject()
            return
        self._finish("queued", "Not sent from the desk phone")

    def _finish(self, status: str, detail: str | None) -> None:
        try:
            self.desk.call(
                "updateMessageStatus",
                {"messageId": self.message["id"], "status": status, "detail": detail},
            )
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self.answered = status
        self.finished_message.emit(status)
        self.done(QDialog.DialogCode.Accepted if status == "sent" else QDialog.DialogCode.Rejected)
