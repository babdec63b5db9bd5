"""What the import wizard's pages share: their ids, the batch size of a timer tick, the
message for an unexpected failure, and the file choosers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QWidget

log = logging.getLogger(__name__)

FILE_PAGE, MAPPING_PAGE, REPORT_PAGE, IMPORT_PAGE, DONE_PAGE = range(5)
GUI_BATCH = 100  # rows per timer tick: well under a second, so the window stays live
PREVIEW_ROWS = 8
FILE_FILTER = "Customer lists (*.csv *.xlsx *.xlsm *.txt *.tsv);;All files (*)"
UNEXPECTED = (
    "Something went wrong and the work stopped. What was imported stays; import the same "
    "file again to add the rest. If it happens again, contact your IT person."
)
ChooseFile = Callable[[QWidget], str | None]


def choose_customer_file(parent: QWidget) -> str | None:
    path, _filter = QFileDialog.getOpenFileName(parent, "Import customers", "", FILE_FILTER)
    return path or None


def choose_report_file(parent: QWidget) -> str | None:
    path, _filter = QFileDialog.getSaveFileName(
        parent, "Save the import report", "import-report.csv", "CSV files (*.csv)"
    )
    return path or None
