"""The profile's part of the completed record: who pays, who belongs to the customer,
merges, and the customer's rights (merge a duplicate, access report, erase).

Each action opens its dialog; whatever it saved makes the profile read itself again
(``changed``). Buttons appear only for the roles the registry allows (``desk.may``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.form_dialog import FormDialog
from pharmdesk.ui.formatting import day, local_date, national_phone
from pharmdesk.ui.record.merge_dialog import MergeDialog
from pharmdesk.ui.record.payer_dialog import PayerDialog
from pharmdesk.ui.record.picker import CustomerPicker
from pharmdesk.ui.record.relationship_dialog import KIND_TEXT, ReasonDialog, RelationshipDialog
from pharmdesk.ui.record.rights import AccessReportDialog, EraseDialog
from pharmdesk.ui.widgets import plain_label

INVERSE_TEXT = {**KIND_TEXT, "caredFor": "Cared for by them", "principal": "They act for"}


def payer_text(payer: dict[str, Any] | None) -> tuple[str, bool]:
    """(text, expired) of the payer line."""
    if payer is None:
        return "Payer: not recorded", False
    if payer["payer"] == "cash":
        return "Payer: cash", False
    parts = [f"Payer: {payer['payer']}"]
    if payer.get("memberId"):
        parts.append(f"member {payer['memberId']}")
    if payer.get("planName"):
        parts.append(f"plan {payer['planName']}")
    if payer.get("validUntil"):
        parts.append(f"valid until {day(payer['validUntil'])}")
    text = " · ".join(parts)
    if payer.get("expired"):
        text += "  — COVER EXPIRED"
    return text, bool(payer.get("expired"))


def relationship_text(rel: dict[str, Any], region: str) -> str:
    kind = (
        INVERSE_TEXT.get(rel["kind"], rel["kind"])
        if rel["direction"] == "of"
        else (KIND_TEXT.get(rel["kind"], rel["kind"]))
    )
    who = rel["name"] or ""
    if rel.get("customerId"):
        who += f" ({rel['customerId']})"
    if rel.get("phone"):
        who += f", {national_phone(rel['phone'], region)}"
    collect = ""
    if rel["canCollect"]:
        collect = " — may collect" if rel["direction"] == "own" else " — this customer collects"
    return f"{kind}: {who}{collect}"


class ChooseDuplicateDialog(FormDialog):
    """Find the other record of this customer, then compare the two (MergeDialog)."""

    chosen = Signal(str)

    def __init__(
        self, desk: DeskContext, details: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__("&Compare…", "compareDuplicate", parent)
        self.setObjectName("chooseDuplicateDialog")
        self.setWindowTitle(f"Merge a duplicate of {details['name']}")
        self.picker = CustomerPicker(desk, exclude=str(details["id"]), parent=self)
        self.picker.failed.connect(lambda exc: self.show_refusal(exc, {}))
        form = QFormLayout()
        form.addRow("Other record", self.picker)
        self.finish(form)
        self.set_note(
            f"Find the other record of {details['name']} ({details['id']}); the "
            "next step shows both side by side."
        )
        self.resize(620, self.sizeHint().height())

    def save(self) -> None:
        other = self.picker.chosen()
        if other is None:
            self.error.setText("Find the other record first (type a name or phone, press Find).")
            self.error.show()
            return
        self.chosen.emit(other)
        self.accept()


class RecordPanel(QWidget):
    changed = Signal()

    def __init__(
        self, desk: DeskContext, details: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recordPanel")
        self.desk = desk
        self.details = details
        self.region = str(desk.settings().get("defaultRegion", "NG"))
        writable = not details.get("archived")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        text, expired = payer_text(details.get("payer"))
        payer_row = QHBoxLayout()
        self.payer_label = plain_label(text, "payerLine")
        self.payer_label.setProperty("state", "expired" if expired else "ok")
        payer_row.addWidget(self.payer_label, 1)
        self.payer_button = self._button("Set pa&yer…", "setPayer", writable, self.set_payer)
        payer_row.addWidget(self.payer_button)
        layout.addLayout(payer_row)

        self.relationship_rows: list[QWidget] = []
        for rel in details.get("relationships") or []:
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            line.addWidget(plain_label(relationship_text(rel, self.region), "relationshipLine"), 1)
            if rel["direction"] == "own" and writable:
                remove = QPushButton("Remove…")
                remove.setObjectName("removeRelationship")
                remove.clicked.connect(lambda _c=False, r=rel: self.remove_relationship(r))
                line.addWidget(remove)
            layout.addWidget(row)
            self.relationship_rows.append(row)
        if not self.relationship_rows:
            layout.addWidget(plain_label("No relationships recorded.", "emptySection"))
        for merge in details.get("merges") or []:
            merge_row = QHBoxLayout()
            other = merge["mergedId"] if merge["keepId"] == details["id"] else merge["keepId"]
            direction = (
                "merged into this record"
                if other == merge["mergedId"]
                else ("this record was merged into it")
            )
            merge_row.addWidget(
                plain_label(
                    f"{other}: {direction} ({merge['mergeId']}, {local_date(merge['mergedAt'])} "
                    f"by {merge['mergedBy']})",
                    "mergeLine",
                ),
                1,
            )
            if merge["undoable"] and desk.may("undoMerge"):
                undo = QPushButton("Undo mer&ge…")
                undo.setObjectName("undoMerge")
                undo.clicked.connect(lambda _c=False, m=merge: self.undo_merge(m))
                merge_row.addWidget(undo)
            layout.addLayout(merge_row)

        actions = QHBoxLayout()
        self.add_button = self._button(
            "Add relations&hip…", "addRelationship", writable, self.add_relationship
        )
        actions.addWidget(self.add_button)
        actions.addStretch(1)
        self.merge_button = self._button(
            "&Merge a duplicate…", "mergeCustomers", writable, self.choose_duplicate
        )
        self.report_button = self._button(
            "Access repor&t…", "getAccessReport", True, self.access_report
        )
        self.erase_button = self._button(
            "Erase…", "eraseCustomer", not details.get("erased"), self.erase
        )
        for button in (self.merge_button, self.report_button, self.erase_button):
            actions.addWidget(button)
        layout.addLayout(actions)
        self.dialog: QDialog | None = None

    def _button(self, text: str, operation: str, enabled: bool, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(operation)
        button.setVisible(self.desk.may(operation))
        button.setEnabled(enabled)
        button.clicked.connect(slot)
        return button

    def _open(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        self.dialog = dialog
        return dialog

    def set_payer(self) -> None:
        dialog = PayerDialog(self.desk, self.details, self)
        dialog.saved.connect(lambda _cid: self.changed.emit())
        self._open(dialog)

    def add_relationship(self) -> None:
        dialog = RelationshipDialog(self.desk, self.details, self)
        dialog.saved.connect(lambda _rel: self.changed.emit())
        self._open(dialog)

    def remove_relationship(self, rel: dict[str, Any]) -> None:
        rel_id = rel["relationshipId"]
        dialog = ReasonDialog(
            "Remove relationship",
            f"Remove {relationship_text(rel, self.region)}?",
            "Re&move",
            lambda reason: self.desk.call(
                "removeRelationship", {"relationshipId": rel_id, "reason": reason}
            ),
            self,
        )
        dialog.answered.connect(lambda _a: self.changed.emit())
        self._open(dialog)

    def undo_merge(self, merge: dict[str, Any]) -> None:
        dialog = ReasonDialog(
            "Undo merge",
            f"Put {merge['keepId']} and {merge['mergedId']} back as they were before "
            f"{merge['mergeId']}?",
            "&Undo merge",
            lambda reason: self.desk.call(
                "undoMerge", {"mergeId": merge["mergeId"], "reason": reason}
            ),
            self,
        )
        dialog.answered.connect(lambda _a: self.changed.emit())
        self._open(dialog)

    def choose_duplicate(self) -> None:
        dialog = ChooseDuplicateDialog(self.desk, self.details, self)
        dialog.chosen.connect(self.compare)
        self._open(dialog)

    def compare(self, other: str) -> None:
        dialog = MergeDialog(self.desk, str(self.details["id"]), other, self)
        dialog.merged.connect(lambda _m: self.changed.emit())
        self._open(dialog)

    def access_report(self) -> None:
        self._open(AccessReportDialog(self.desk, self.details, self))

    def erase(self) -> None:
        dialog = EraseDialog(self.desk, self.details, self)
        dialog.erased.connect(lambda _cid: self.changed.emit())
        self._open(dialog)
