"""Merge two records of one person, side by side: for each field where they differ the
person picks the value to keep; allergies and conditions of both are kept. Calls
``mergeCustomers`` (pharmacists and admins); the duplicates screen opens it too."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGridLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.form_dialog import FormDialog
from pharmdesk.ui.formatting import day, national_phone, plain_tooltip
from pharmdesk.ui.widgets import heading, plain_label

FIELDS = (
    ("name", "Name"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("address", "Address"),
    ("dateOfBirth", "Date of birth"),
    ("notes", "Notes"),
    ("language", "Reminder language"),
    ("payer", "Payer"),
)


def shown_value(field: str, details: dict[str, Any], region: str) -> str:
    value = details.get(field)
    if value in (None, ""):
        return "—"
    if field == "phone":
        return national_phone(str(value), region)
    if field == "dateOfBirth":
        return day(str(value))
    if field == "payer":
        parts = [value["payer"], value.get("memberId"), value.get("planName")]
        if value.get("validUntil"):
            parts.append("until " + day(value["validUntil"]))
        return ", ".join(str(p) for p in parts if p)
    return str(value)


def differing(keep: dict[str, Any], other: dict[str, Any]) -> list[str]:
    def comparable(field: str, d: dict[str, Any]) -> Any:
        value = d.get(field)
        if field == "payer" and value:
            return {k: value.get(k) for k in ("payer", "memberId", "planName", "validUntil")}
        return value

    return [f for f, _t in FIELDS if comparable(f, keep) != comparable(f, other)]


class MergeDialog(FormDialog):
    """``keep_id`` stays; ``merge_id`` is archived with mergedInto (Swap turns it round)."""

    merged = Signal(str)  # the MRG id

    def __init__(
        self, desk: DeskContext, keep_id: str, merge_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__("&Merge records", "confirmMerge", parent)
        self.desk = desk
        self.region = str(desk.settings().get("defaultRegion", "NG"))
        self.setObjectName("mergeDialog")
        self.setWindowTitle("Merge two records of one customer")
        self.records = {
            cid: desk.call("viewProviderCustomerDetails", {"customerId": cid})
            for cid in (keep_id, merge_id)
        }
        self.keep_id, self.merge_id = keep_id, merge_id
        self.grid_host = QWidget()
        self.grid_host.setObjectName("mergeGrid")
        self.swap = QPushButton("S&wap: keep the other record")
        self.swap.setObjectName("swapMerge")
        self.swap.setAutoDefault(False)
        self.swap.clicked.connect(self.swap_records)
        self.reason = QLineEdit()
        self.reason.setObjectName("mergeReason")
        self.reason.setAccessibleName("Reason for the merge")
        self.reason.setPlaceholderText("e.g. same person registered at two branches")
        form = QFormLayout()
        form.addRow(self.grid_host)
        form.addRow("", self.swap)
        form.addRow("&Reason", self.reason)
        self.finish(form, top=heading("Which value should the merged record keep?"))
        self.choices: dict[str, QButtonGroup] = {}
        self._build_grid()
        self.resize(860, self.sizeHint().height())

    def _build_grid(self) -> None:
        old = self.grid_host.layout()
        if old is not None:
            while old.count():
                item = old.takeAt(0)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.deleteLater()
            QWidget().setLayout(old)  # drop the old layout
        keep, other = self.records[self.keep_id], self.records[self.merge_id]
        grid = QGridLayout(self.grid_host)
        grid.addWidget(plain_label("Field"), 0, 0)
        grid.addWidget(plain_label(f"Kept record {self.keep_id}"), 0, 1)
        grid.addWidget(plain_label(f"Merged into it: {self.merge_id}"), 0, 2)
        self.choices = {}
        diff = differing(keep, other)
        for row, (field, title) in enumerate(FIELDS, start=1):
            grid.addWidget(plain_label(title), row, 0)
            if field not in diff:
                same = plain_label(shown_value(field, keep, self.region) + "  (the same)")
                same.setObjectName("mergeSame")
                grid.addWidget(same, row, 1, 1, 2)
                continue
            group = QButtonGroup(self)
            for column, (side, details) in enumerate((("keep", keep), ("merge", other)), 1):
                text = shown_value(field, details, self.region)
                button = QRadioButton(text.replace("&", "&&"))
                button.setObjectName(f"{field}_{side}")
                button.setToolTip(plain_tooltip(text))
                button.setChecked(side == "keep")
                group.addButton(button, column)
                grid.addWidget(button, row, column)
            self.choices[field] = group
        labels = sorted(
            set(other.get("allergies") or []) - set(keep.get("allergies") or [])
        ) + sorted(
            set(other.get("medicalConditions") or []) - set(keep.get("medicalConditions") or [])
        )
        note = (
            "Allergies and conditions of both records are kept"
            + (f" (added: {', '.join(labels)})" if labels else "")
            + ". Orders, plans, consents and relationships move to the kept record; the "
            "other one is archived and can be restored by an admin (Undo merge)."
        )
        self.set_note(note)

    def swap_records(self) -> None:
        self.keep_id, self.merge_id = self.merge_id, self.keep_id
        self._build_grid()

    def choose(self, field: str, side: str) -> None:
        """Pick a side for a field (what a click on its radio button does)."""
        self.choices[field].button(1 if side == "keep" else 2).setChecked(True)

    def params(self) -> dict[str, Any]:
        fields = {
            field: ("keep" if group.checkedId() == 1 else "merge")
            for field, group in self.choices.items()
        }
        return {
            "keepId": self.keep_id,
            "mergeId": self.merge_id,
            "fields": fields,
            "reason": self.reason.text(),
        }

    def save(self) -> None:
        self.error.hide()
        try:
            answer = self.desk.call("mergeCustomers", self.params())
        except PharmDeskError as exc:
            self.show_refusal(exc, {"reason": self.reason})
            return
        self.merged.emit(str(answer["mergeId"]))
        self.accept()
