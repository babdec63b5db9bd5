"""The import wizard's second page: which customer detail each column holds (the
guessed mapping, to correct), with the first rows read that way."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHeaderView,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.importing import FIELDS, branch_settings, check_mapping, guess_mapping
from pharmdesk.ui.import_wizard.common import PREVIEW_ROWS
from pharmdesk.ui.record_table import RecordColumn, RecordTableModel
from pharmdesk.ui.widgets import error_label, plain_label, tab_order

if TYPE_CHECKING:  # the wizard owns its pages; a page only names its type
    from pharmdesk.ui.import_wizard.wizard import ImportWizard


def cell_text(index: int) -> Callable[[dict[str, Any]], str]:
    def text(record: dict[str, Any]) -> str:
        cells = record["cells"]
        return str(cells[index]) if index < len(cells) else ""

    return text


class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Check the columns")
        self.setSubTitle(
            "PharmDesk guessed which customer detail each column holds. Correct any that "
            "are wrong; set a column to Ignore to leave it out."
        )
        self.read_as = plain_label()
        self.read_as.setObjectName("subtitle")
        self.combos: list[QComboBox] = []
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setColumnStretch(1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        scroll.setMinimumHeight(150)
        self.preview = QTableView()
        self.preview.setObjectName("importPreview")
        self.preview.verticalHeader().hide()
        self.preview.setTabKeyNavigation(False)  # Tab leaves the preview
        self.preview.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.preview_model = RecordTableModel([], parent=self)
        self.preview.setModel(self.preview_model)
        self.error = error_label()
        preview_title = plain_label("The first rows, as they will be read:")
        preview_title.setObjectName("sectionTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_as)
        layout.addWidget(scroll, 3)
        layout.addWidget(preview_title)
        layout.addWidget(self.preview, 2)
        layout.addWidget(self.error)
        self._rows: list[tuple[str, ...]] = []

    def initializePage(self) -> None:
        table = self.owner.table
        assert table is not None
        self.read_as.setText(f"{table.path.name}: read as {table.description}.")
        self._rows = [row.values for row in table.preview(PREVIEW_ROWS)]
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.combos = []
        for title, column in (("Column in the file", 0), ("Example", 1), ("Customer detail", 2)):
            label = plain_label(title)
            label.setObjectName("sectionTitle")
            self.grid.addWidget(label, 0, column)
        for index, (header, field) in enumerate(
            zip(table.headers, guess_mapping(table.headers), strict=True)
        ):
            example = next((r[index] for r in self._rows if r[index].strip()), "")
            name = plain_label(header or f"(column {index + 1}, no title)")
            sample = plain_label(example[:60])
            sample.setObjectName("subtitle")
            combo = QComboBox()
            combo.setAccessibleName(f"Customer detail for column {header or index + 1}")
            combo.addItem("Ignore", None)
            for key, label_text in FIELDS.items():
                combo.addItem(label_text, key)
            combo.setCurrentIndex(max(0, combo.findData(field)) if field else 0)
            combo.currentIndexChanged.connect(self._mapping_changed)
            self.grid.addWidget(name, index + 1, 0)
            self.grid.addWidget(sample, index + 1, 1)
            self.grid.addWidget(combo, index + 1, 2)
            self.combos.append(combo)
        tab_order(*self.combos, self.preview)  # made after the preview, read before it
        self._mapping_changed()

    def mapping(self) -> tuple[str | None, ...]:
        return tuple(combo.currentData() for combo in self.combos)

    def _mapping_changed(self, *_args: Any) -> None:
        table = self.owner.table
        assert table is not None
        self.error.hide()
        mapping = self.mapping()
        columns = []
        for index, header in enumerate(table.headers):
            field = mapping[index]
            title = f"{header or index + 1}\n→ {FIELDS[field] if field else 'ignored'}"
            columns.append(RecordColumn(title, cell_text(index)))
        self.preview_model = RecordTableModel(
            columns, [{"cells": r} for r in self._rows], parent=self
        )
        self.preview.setModel(self.preview_model)
        self.preview.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )

    def validatePage(self) -> bool:
        table = self.owner.table
        assert table is not None
        try:
            check_mapping(table.headers, self.mapping())
            self.owner.settings = branch_settings(
                self.owner.desk.call, self.mapping(), self.owner.today()
            )
        except PharmDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return False
        return True
