"""Admin ▸ Settings…: the branch's settings, stored in the database (updateSettings).

Only what changed is sent; a refusal shows its message under the field it is about. The
main window applies the idle lock and the branch label as soon as ``saved`` fires.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui import screen_fit
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.widgets import error_label, heading, plain_label

ChooseFolder = Callable[[QWidget, str], str]  # (parent, current) -> folder, "" if none
KEEP_KINDS = ("daily", "weekly", "monthly")


def choose_folder(parent: QWidget, current: str) -> str:
    return QFileDialog.getExistingDirectory(parent, "Backup folder", current or str(Path.home()))


def _spin(minimum: int, maximum: int, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(minimum, maximum)
    box.setMinimumWidth(70)
    if suffix:
        box.setSuffix(suffix)
    return box


class SettingsDialog(QDialog):
    saved = Signal(dict)  # the settings after the change

    def __init__(
        self,
        desk: DeskContext,
        parent: QWidget | None = None,
        *,
        choose: ChooseFolder = choose_folder,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.choose = choose
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.current: dict[str, Any] = {}

        self.branch_name = QLineEdit()
        self.branch_name.setMaxLength(120)
        self.region = QLineEdit()
        self.region.setMaxLength(3)
        self.region.setPlaceholderText("NG")
        self.region.setToolTip("Two-letter country code used for local phone numbers")
        self.currency = QLineEdit()
        self.currency.setMaxLength(3)
        self.currency.setPlaceholderText("NGN")
        self.currency.setToolTip("Three-letter ISO 4217 code: NGN, GHS, KES…")
        self.idle_minutes = _spin(1, 60, " minutes")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("Not set: scheduled backups are off")
        self.folder_button = QPushButton("&Choose…")
        self.every_hours = _spin(1, 720, " hours")
        self.keep = {kind: _spin(0, 100) for kind in KEEP_KINDS}
        self.reminder_days = _spin(1, 365, " days")
        for box in (self.idle_minutes, self.every_hours, self.reminder_days):
            box.setMaximumWidth(160)

        self.folder_note = plain_label()
        self.folder_note.setObjectName("subtitle")
        self.folder_note.setWordWrap(True)
        self.folder_note.hide()
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()

        def row(
            label: str,
            field: str,
            widget: QWidget | QHBoxLayout,
            hint: str = "",
            buddy: QWidget | None = None,
            extra: QWidget | None = None,
        ) -> None:
            holder = QVBoxLayout()
            holder.setSpacing(2)
            if isinstance(widget, QHBoxLayout):
                holder.addLayout(widget)
            else:
                holder.addWidget(widget)
            if hint:
                note = plain_label(hint)
                note.setObjectName("subtitle")
                note.setWordWrap(True)
                holder.addWidget(note)
            if extra is not None:
                holder.addWidget(extra)
            message = error_label()
            holder.addWidget(message)
            self.errors[field] = message
            form.addRow(label, holder)
            caption = form.labelForField(holder)
            if isinstance(caption, QLabel):
                target = buddy if buddy is not None else widget
                if isinstance(target, QWidget):
                    caption.setBuddy(target)  # the label's Alt+letter reaches the field

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.folder_button)
        keep_row = QHBoxLayout()
        for kind in KEEP_KINDS:
            keep_row.addWidget(self.keep[kind])
            keep_row.addWidget(plain_label(kind))
        keep_row.addStretch(1)

        row("&Branch name:", "branchName", self.branch_name)
        row("Phone &region:", "defaultRegion", self.region)
        row("&Currency:", "currency", self.currency)
        row("&Lock after idle:", "idleLockMinutes", self.idle_minutes)
        row(
            "Backup &folder:",
            "backupFolder",
            folder_row,
            "A USB drive or a network share, as a full path. Leave empty to switch "
            "scheduled backups off.",
            self.folder,
            self.folder_note,
        )
        row("Back up &every:", "backupEveryHours", self.every_hours)
        row(
            "&Keep copies:",
            "backupKeep",
            keep_row,
            "Older scheduled copies are deleted; the newest is always kept.",
            self.keep["daily"],
        )
        row("Backup re&minder after:", "backupReminderDays", self.reminder_days)
        for kind in KEEP_KINDS:
            self.errors[f"backupKeep.{kind}"] = self.errors["backupKeep"]
        if desk.files.server is not None:
            # A server desk makes no backups: the server PC backs up the branch's data.
            for backup_row in range(4, form.rowCount()):
                form.setRowVisible(backup_row, False)
            self.server_note = plain_label(
                "Backups: this desk works on the branch server, whose data is backed up on "
                "the server PC with PostgreSQL's own tools (see the server guide)."
            )
            self.server_note.setObjectName("serverBackups")
            self.server_note.setWordWrap(True)
            form.addRow(self.server_note)
        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)  # Enter saves; Cancel never takes it over

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Settings"))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.folder_button.clicked.connect(self._choose_folder)
        self.folder.textChanged.connect(self._folder_changed)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.load()

    def load(self) -> None:
        try:
            self.current = self.desk.call("getSettings")["settings"]
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            self.save_button.setEnabled(False)
            return
        settings = self.current
        self.branch_name.setText(str(settings["branchName"]))
        self.region.setText(str(settings["defaultRegion"]))
        self.currency.setText(str(settings["currency"]))
        self.idle_minutes.setValue(int(settings["idleLockMinutes"]))
        self.folder.setText(str(settings["backupFolder"] or ""))
        self.every_hours.setValue(int(settings["backupEveryHours"]))
        for kind in KEEP_KINDS:
            self.keep[kind].setValue(int(settings["backupKeep"][kind]))
        self.reminder_days.setValue(int(settings.get("backupReminderDays", 7)))
        self._folder_changed(self.folder.text())

    def wanted(self) -> dict[str, Any]:
        folder = self.folder.text().strip()
        return {
            "branchName": self.branch_name.text(),
            "defaultRegion": self.region.text().strip(),
            "currency": self.currency.text().strip(),
            "idleLockMinutes": self.idle_minutes.value(),
            "backupFolder": folder or None,
            "backupEveryHours": self.every_hours.value(),
            "backupKeep": {kind: self.keep[kind].value() for kind in KEEP_KINDS},
            "backupReminderDays": self.reminder_days.value(),
        }

    def changes(self) -> dict[str, Any]:
        return {
            key: value for key, value in self.wanted().items() if self.current.get(key) != value
        }

    def _clear_errors(self) -> None:
        self.error.hide()
        for label in self.errors.values():
            label.hide()

    def save(self) -> None:
        self._clear_errors()
        changes = self.changes()
        if not changes:
            self.accept()
            return
        try:
            answer = self.desk.call("updateSettings", changes)
        except PharmDeskError as exc:
            label = self.errors.get(exc.field or "")
            target = label if label is not None else self.error
            target.setText(exc.message)
            target.show()
            screen_fit.grow(self)
            return
        self.current = answer["settings"]
        self.saved.emit(answer["settings"])
        self.accept()

    def _choose_folder(self) -> None:
        chosen = self.choose(self, self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _folder_changed(self, text: str) -> None:
        folder = text.strip()
        if folder and Path(folder).is_absolute() and not Path(folder).is_dir():
            self.folder_note.setText(
                f"{folder} is not there right now (drive unplugged?). That is allowed: "
                "backups warn and retry until it is."
            )
            self.folder_note.show()
        else:
            self.folder_note.hide()
        screen_fit.grow(self)
