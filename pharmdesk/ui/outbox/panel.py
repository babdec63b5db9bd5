"""The Outbox tab: queue a week of reminders, see every message and its status, send the
SMS through the modem or gateway chosen in Settings, send WhatsApp from the desk phone,
export SMS for a provider's upload page, record a reply, edit the templates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.controllers.reminders.sending import make_sender
from pharmdesk.errors import PharmDeskError
from pharmdesk.senders.base import Sender
from pharmdesk.store.files import write_file_atomic
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.outbox.columns import COLUMNS, TEXT_COLUMN
from pharmdesk.ui.outbox.reports import queued_text, reply_text, sent_text
from pharmdesk.ui.outbox_export import claim_for_export, mark_exported, outbox_csv, release
from pharmdesk.ui.outbox_sending import SendingRun, SendSummary
from pharmdesk.ui.record_table import RecordTableModel
from pharmdesk.ui.sender_settings_dialog import SenderSettingsDialog
from pharmdesk.ui.template_editor import TemplateEditor
from pharmdesk.ui.whatsapp_dialog import WhatsAppDialog
from pharmdesk.ui.widgets import error_label, heading, plain_label, row_table

PAGE = 100
ChoosePath = Callable[[QWidget], Path | None]


def choose_csv_path(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(
        parent, "Export SMS for upload", "sms-outbox.csv", "CSV (*.csv)"
    )
    return Path(name) if name else None


class OutboxPanel(QWidget):
    """The outbox list with its actions; ``activate`` re-reads it (the tab is shown)."""

    def __init__(
        self,
        desk: DeskContext,
        parent: QWidget | None = None,
        choose_path: ChoosePath = choose_csv_path,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.choose_path = choose_path
        self.setObjectName("outboxPanel")
        self.model = RecordTableModel(COLUMNS, parent=self)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Reminders outbox"))
        queue_row = QHBoxLayout()
        queue_row.addWidget(plain_label("Queue refill reminders due within"))
        self.days = QSpinBox()
        self.days.setObjectName("queueDays")
        self.days.setRange(0, 30)
        self.days.setValue(7)
        self.days.setSuffix(" days")
        self.channel = QComboBox()
        self.channel.setObjectName("queueChannel")
        self.channel.addItem("by SMS", "sms")
        self.channel.addItem("by WhatsApp", "whatsapp")
        self.queue_button = QPushButton("&Queue reminders")
        self.queue_button.setObjectName("queueReminders")
        for widget in (self.days, self.channel, self.queue_button):
            queue_row.addWidget(widget)
        queue_row.addStretch(1)
        queue_row.addWidget(plain_label("Show"))
        self.status = QComboBox()
        self.status.setObjectName("outboxStatus")
        for text, value in (
            ("All", None),
            ("Queued", "queued"),
            ("Sent", "sent"),
            ("Delivered", "delivered"),
            ("Failed", "failed"),
        ):
            self.status.addItem(text, value)
        queue_row.addWidget(self.status)
        layout.addLayout(queue_row)
        actions = QHBoxLayout()
        self.send_button = QPushButton("&Send queued SMS")
        self.send_button.setObjectName("sendSms")
        self.stop_button = QPushButton("S&top sending")
        self.stop_button.setObjectName("stopSending")
        self.stop_button.setToolTip("Stop after the message being sent now")
        self.stop_button.hide()
        self.send_progress = QProgressBar()
        self.send_progress.setObjectName("sendProgress")
        self.send_progress.setAccessibleName("Sending progress")
        self.send_progress.setMaximumWidth(220)
        self.send_progress.setFormat("%v of %m sent")
        self.send_progress.hide()
        self.sending: SendingRun | None = None
        self.whatsapp_button = QPushButton("&WhatsApp from the desk phone…")
        self.whatsapp_button.setObjectName("openWhatsApp")
        self.export_button = QPushButton("&Export SMS for upload…")
        self.export_button.setObjectName("exportSms")
        self.failed_button = QPushButton("Mark &failed")
        self.failed_button.setObjectName("markFailed")
        self.reply_button = QPushButton("Record a &reply…")
        self.reply_button.setObjectName("recordReply")
        self.templates_button = QPushButton("&Templates…")
        self.templates_button.setObjectName("editTemplates")
        self.sending_button = QPushButton("Sending settin&gs…")
        self.sending_button.setObjectName("sendingSettings")
        self.sending_button.setVisible(desk.may("updateSettings"))
        # Two rows: in one, the seven buttons would make the main window at least 960
        # points wide, more than a 1280×720 screen at 150 % has.
        for button in (
            self.send_button,
            self.stop_button,
            self.send_progress,
            self.whatsapp_button,
            self.export_button,
            self.failed_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        more = QHBoxLayout()
        for button in (self.reply_button, self.templates_button, self.sending_button):
            more.addWidget(button)
        more.addStretch(1)
        layout.addLayout(more)
        self.table = row_table(self.model, "outboxTable")
        self.table.horizontalHeader().setSectionResizeMode(
            TEXT_COLUMN, QHeaderView.ResizeMode.Stretch
        )
        layout.addWidget(self.table, 1)
        self.result = plain_label()
        self.result.setObjectName("outboxResult")
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setWordWrap(True)
        layout.addWidget(self.result)
        self.error = error_label()
        layout.addWidget(self.error)
        self.queue_button.clicked.connect(self.queue)
        self.status.currentIndexChanged.connect(self.activate)
        self.send_button.clicked.connect(self.send_sms)
        self.stop_button.clicked.connect(self.stop_sending)
        self.whatsapp_button.clicked.connect(self.open_whatsapp)
        self.export_button.clicked.connect(self.export_sms)
        self.failed_button.clicked.connect(self.mark_failed)
        self.reply_button.clicked.connect(self.record_reply)
        self.templates_button.clicked.connect(self.edit_templates)
        self.sending_button.clicked.connect(self.edit_sending)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self._update_buttons()

    # -- Panel --------------------------------------------------------------------------------
    def activate(self) -> None:
        params: dict[str, Any] = {"limit": PAGE}
        if self.status.currentData():
            params["status"] = self.status.currentData()
        answer = self._call("listOutbox", params)
        if answer is not None:
            self.model.set_rows(answer["messages"])
            shown = len(answer["messages"])
            more = f" (newest {shown} shown)" if answer["hasMore"] else ""
            if not self.is_sending:  # the run's own line stays while it goes on
                self.result.setText(f"{answer['total']:,} messages{more}.")
        self._update_buttons()

    def clear(self) -> None:
        self.model.set_rows([])
        self.result.setText("")
        self.error.hide()

    # -- helpers -----------------------------------------------------------------------------
    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
        self.error.hide()
        try:
            return self.desk.call(operation, params)
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return None

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected()
        queued = chosen is not None and chosen["status"] == "queued" and not chosen["claimed"]
        self.whatsapp_button.setEnabled(
            queued and chosen is not None and chosen["channel"] == "whatsapp"
        )
        self.failed_button.setEnabled(chosen is not None and chosen["status"] in ("queued", "sent"))
        automatic = self.desk.session is not None and make_sender(self.desk.settings()) is not None
        self.send_button.setEnabled(automatic and not self.is_sending)
        self.send_button.setToolTip(
            ""
            if automatic
            else "Choose a GSM modem or an SMS gateway in Settings to send from here"
        )

    # -- actions -----------------------------------------------------------------------------
    def queue(self) -> None:
        answer = self._call(
            "queueReminders", {"days": self.days.value(), "channel": self.channel.currentData()}
        )
        if answer is None:
            return
        self.activate()
        self.result.setText(queued_text(answer))

    @property
    def is_sending(self) -> bool:
        return self.sending is not None and self.sending.running

    def send_sms(self) -> None:
        """Send the queued SMS through the modem or gateway chosen in Settings, in a
        worker: the window keeps answering while a modem takes its time."""
        if self.is_sending or self.desk.session is None:
            return
        sender = make_sender(self.desk.settings())
        if sender is not None:
            self.start_sending(sender)

    def start_sending(self, sender: Sender) -> None:
        """Start a send run of the queued SMS through ``sender``."""
        waiting = self._call("listOutbox", {"status": "queued", "channel": "sms", "limit": 1})
        if waiting is None:
            sender.close()
            return
        if self.sending is not None:
            self.sending.deleteLater()
        self.sending = SendingRun(self.desk, sender, "sms", total=waiting["total"], parent=self)
        self.sending.progress.connect(self._send_progress)
        self.sending.finished.connect(self._sent)
        self.sending.recorded_late.connect(self._recorded_late)
        self.send_progress.setRange(0, max(1, self.sending.total))
        self.send_progress.setValue(0)
        self.send_progress.show()
        self.stop_button.setEnabled(True)
        self.stop_button.show()
        self.send_button.setEnabled(False)
        self.result.setText("Sending SMS…")
        self.sending.start()

    def stop_sending(self) -> None:
        if self.sending is not None and self.sending.running:
            self.sending.cancel()
            self.stop_button.setEnabled(False)
            self.result.setText("Stopping after the message being sent now…")

    def _send_progress(self, done: int, total: int) -> None:
        self.send_progress.setRange(0, max(1, total))
        self.send_progress.setValue(done)
        if not self.stop_button.isEnabled():
            return
        self.result.setText(f"Sending SMS: {done:,} of {total:,} done…")

    def _sent(self, summary: SendSummary) -> None:
        self.send_progress.hide()
        self.stop_button.hide()
        if self.desk.session is not None:
            self.activate()
        self.result.setText(sent_text(summary))
        if summary.error:
            self.error.setText(summary.error)
            self.error.show()

    def _recorded_late(self) -> None:
        """The message out at a lock is recorded now that its sender is back."""
        self.error.hide()
        self.activate()
        if self.sending is not None:
            sent = len(self.sending.summary.run.sent)
            self.result.setText(
                f"Sent {sent:,} before PharmDesk locked; the rest stay queued. Press "
                "'Send queued SMS' to go on."
            )

    def open_whatsapp(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        dialog = WhatsAppDialog.claim(self.desk, chosen["id"], self)
        if isinstance(dialog, str):
            self.error.setText(dialog)
            self.error.show()
            self.activate()
            return
        dialog.finished_message.connect(lambda _status: self.activate())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def export_sms(self) -> None:
        path = self.choose_path(self)
        if path is None:
            return
        messages, withdrawn = claim_for_export(self.desk)
        try:
            write_file_atomic(path, outbox_csv(messages), replace=True)
        except OSError:
            release(self.desk, messages)
            self.error.setText(
                f"The file could not be written to {path.parent}. Nothing was exported."
            )
            self.error.show()
            return
        mark_exported(self.desk, messages)
        self.activate()
        self.result.setText(
            f"Exported {len(messages):,} SMS to {path.name}; they are marked sent."
            + (f" {withdrawn:,} left out: consent withdrawn." if withdrawn else "")
        )

    def mark_failed(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        if (
            self._call(
                "updateMessageStatus",
                {"messageId": chosen["id"], "status": "failed", "detail": "Marked failed by staff"},
            )
            is not None
        ):
            self.activate()

    def record_reply(self) -> None:
        phone, ok = QInputDialog.getText(self, "Record a reply", "Phone the reply came from:")
        if not ok or not phone.strip():
            return
        text, ok = QInputDialog.getText(
            self, "Record a reply", "What the customer wrote (e.g. STOP):"
        )
        if not ok:
            return
        self.enter_reply(phone, text, "sms")

    def enter_reply(self, phone: str, text: str, channel: str) -> None:
        answer = self._call("recordReply", {"phone": phone, "text": text, "channel": channel})
        if answer is None:
            return
        self.result.setText(reply_text(answer))

    def edit_templates(self) -> None:
        editor = TemplateEditor(self.desk, self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.open()

    def edit_sending(self) -> None:
        dialog = SenderSettingsDialog(self.desk, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._update_buttons)
        dialog.open()
