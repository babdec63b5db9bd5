"""The import wizard's first page: which file to import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

from pharmdesk.errors import PharmDeskError
from pharmdesk.importing import open_table
from pharmdesk.ui.import_wizard.common import PREVIEW_ROWS
from pharmdesk.ui.widgets import error_label, plain_label
from pharmdesk.ui.wizard_page import CompletablePage

if TYPE_CHECKING:  # the wizard owns its pages; a page only names its type
    from pharmdesk.ui.import_wizard.wizard import ImportWizard


class FilePage(CompletablePage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Choose the file")
        self.setSubTitle(
            "A list of customers saved as CSV (from any program) or as an Excel workbook "
            "(.xlsx). Nothing is saved until you have seen the report and chosen Import."
        )
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("importFile")
        self.path_edit.setPlaceholderText("The file to import, e.g. customers.xlsx")
        self.path_edit.setAccessibleName("File to import")
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(self._browse)
        self.error = error_label()
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse)
        hint = plain_label(
            "The first row (or a row near the top) should name the columns: Name, Phone, "
            "Email, Address, Date of birth, Allergies, Conditions, Notes, Consent. You can "
            "correct how they are read on the next page."
        )
        hint.setObjectName("subtitle")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.path_edit.textChanged.connect(lambda _t: self.completeChanged.emit())
        self.path_edit.textChanged.connect(lambda _t: self.error.hide())

    def _browse(self) -> None:
        path = self.owner.choose_file(self)
        if path:
            self.path_edit.setText(path)

    def is_complete(self) -> bool:
        return bool(self.path_edit.text().strip())

    def validatePage(self) -> bool:
        try:
            table = open_table(self.path_edit.text().strip())
            table.preview(PREVIEW_ROWS)  # a file damaged below its header says so here
            self.owner.table = table
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return False
        return True
