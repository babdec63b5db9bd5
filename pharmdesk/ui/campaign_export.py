"""Export a segment's campaign audience to CSV: consented customers only.

The audience comes from ``getCampaignAudience`` (pharmacists and admins; each page it
answers is audited as ``export`` with the segment and counts). Before anything is written
the dialog says how many customers are in the file and how many were left out because
they have not given marketing consent. The file is written to a temp file beside the
target and renamed into place (``store.files.write_file_atomic``, owner-only), so a crash
or a full USB stick never leaves half a CSV, and an existing file is replaced only after
the person agreed to it. Cells go through the one formula-safe writer
(``exports.csv_safe``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.errors import PharmDeskError
from pharmdesk.exports.csv_safe import csv_bytes
from pharmdesk.store.files import write_file_atomic
from pharmdesk.ui.confirm import Ask, ask_yes_no
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.segment_model import CONDITION, HIGH_VALUE, REFILLS, SEGMENT_OPERATIONS
from pharmdesk.ui.widgets import cancel_or, error_label, heading, plain_label

AUDIENCE_PAGE = 100
Call = Callable[[str, dict[str, Any]], dict[str, Any]]
Row = dict[str, Any]


# -- the file ----------------------------------------------------------------------------------
def text_cell(value: Any) -> str:
    """A value as cell text (the CSV writer makes every cell formula-safe)."""
    return "" if value is None else str(value)


def campaign_columns(segment: str, value: Any) -> list[tuple[str, Callable[[Row], str]]]:
    """The CSV columns: who to contact, then what put them in the segment."""
    columns: list[tuple[str, Callable[[Row], str]]] = [
        ("Customer ID", lambda r: str(r["id"])),
        ("Name", lambda r: text_cell(r["name"])),
        # E.164 as stored (+234...): what SMS tools import; validated digits, no formula.
        ("Phone", lambda r: str(r["phone"])),
        ("Email", lambda r: text_cell(r.get("email"))),
    ]
    if segment == CONDITION:
        columns.append(("Condition", lambda _r: text_cell(value)))
    elif segment == REFILLS:
        columns.append(
            (
                "Next refill",
                lambda r: (
                    str(r["upcomingRefills"][0]["nextDelivery"]) if r.get("upcomingRefills") else ""
                ),
            )
        )
        columns.append(
            (
                "Plans due",
                lambda r: text_cell("; ".join(p["planName"] for p in r.get("upcomingRefills", []))),
            )
        )
    elif segment == HIGH_VALUE:
        columns.append(("Total spent", lambda r: str(int(r.get("totalSpent") or 0))))
    return columns


def campaign_csv(segment: str, value: Any, rows: Sequence[Row]) -> bytes:
    columns = campaign_columns(segment, value)
    return csv_bytes(
        [title for title, _text in columns],
        ([text(row) for _title, text in columns] for row in rows),
    )


# -- the audience ------------------------------------------------------------------------------
@dataclass
class Audience:
    """What ``getCampaignAudience`` said: consented customers and those left out."""

    segment: str
    value: Any
    total: int
    excluded: int
    rows: list[Row] = field(default_factory=list)
    complete: bool = False


def audience_params(segment: str, value: Any, page: int) -> dict[str, Any]:
    _operation, param = SEGMENT_OPERATIONS[segment]
    return {"segment": segment, param: value, "page": page, "limit": AUDIENCE_PAGE}


def first_page(call: Call, segment: str, value: Any) -> Audience:
    answer = call("getCampaignAudience", audience_params(segment, value, 1))
    return Audience(
        segment,
        value,
        int(answer["total"]),
        int(answer["excludedWithoutConsent"]),
        list(answer["customers"]),
        complete=not answer["hasMore"],
    )


def fetch_rest(
    call: Call, audience: Audience, progress: Callable[[int, int], bool] = lambda _n, _t: True
) -> bool:
    """Read the pages after the first; ``progress`` returning False stops (cancelled)."""
    page = len(audience.rows) // AUDIENCE_PAGE + 1
    seen = {row["id"] for row in audience.rows}
    while not audience.complete:
        if not progress(len(audience.rows), audience.total):
            return False
        answer = call(
            "getCampaignAudience", audience_params(audience.segment, audience.value, page)
        )
        for row in answer["customers"]:
            if row["id"] not in seen:  # moved between pages meanwhile: once only
                seen.add(row["id"])
                audience.rows.append(row)
        audience.complete = not answer["hasMore"] or not answer["customers"]
        page += 1
    return True


def default_file_name(segment: str, today: dt.date) -> str:
    return f"campaign-{segment}-{today.isoformat()}.csv"


# -- the dialog --------------------------------------------------------------------------------
class CampaignExportDialog(QDialog):
    """Shows who will be exported and who is left out, then writes the CSV on request."""

    def __init__(
        self,
        desk: DeskContext,
        segment: str,
        value: Any,
        description: str,
        *,
        ask: Ask = ask_yes_no,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.ask = ask
        self.setObjectName("campaignExport")
        self.setWindowTitle("Export campaign audience")
        # Raises PharmDeskError (PERMISSION_DENIED for front-desk staff): the caller shows it.
        self.audience = first_page(desk.call, segment, value)
        self.written: Path | None = None
        self._cancelled = False

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Export campaign audience"))
        self.segment_label = plain_label(f"Segment: {description}")
        self.segment_label.setWordWrap(True)
        layout.addWidget(self.segment_label)
        self.summary = plain_label(self._summary_text())
        self.summary.setObjectName("exportSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.left_out = plain_label(self._left_out_text())
        self.left_out.setObjectName("exportLeftOut")
        self.left_out.setWordWrap(True)
        layout.addWidget(self.left_out)

        row = QHBoxLayout()
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        ) or str(Path.home())
        self.path_edit = QLineEdit(
            str(Path(folder) / default_file_name(segment, desk.clock.today()))
        )
        self.path_edit.setObjectName("exportPath")
        self.path_edit.setAccessibleName("File to write")
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(self._browse)
        row.addWidget(plain_label("Save to:"))
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse)
        layout.addLayout(row)
        self.error = error_label()
        layout.addWidget(self.error)

        self.buttons, self.export_button = cancel_or("&Export", "export")
        self.export_button.setDefault(True)  # Enter exports; Cancel never takes it over
        self.export_button.setEnabled(self.audience.total > 0)
        self.export_button.clicked.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def _summary_text(self) -> str:
        n = self.audience.total
        if n == 0:
            return (
                "No customer in this segment has agreed to marketing: there is nothing to export."
            )
        noun = "customer" if n == 1 else "customers"
        return f"{n:,} {noun} who agreed to marketing will be written to the file."

    def _left_out_text(self) -> str:
        m = self.audience.excluded
        if m == 0:
            return "Nobody is left out: everyone in this segment has given marketing consent."
        noun = "customer is" if m == 1 else "customers are"
        return (
            f"{m:,} {noun} left out because they have not given marketing consent. "
            "Record consent in their profile only when they have actually given it."
        )

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Save campaign audience",
            self.path_edit.text(),
            "CSV files (*.csv)",
            options=QFileDialog.Option.DontConfirmOverwrite,  # we ask ourselves, once
        )
        if name:
            self.path_edit.setText(name)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def export(self) -> None:
        """Read every page of the audience, then write the file in one atomic step."""
        self.error.hide()
        text = self.path_edit.text().strip()
        if not text:
            self._show_error("Choose where to save the file.")
            return
        path = Path(text).expanduser()
        if path.suffix.lower() != ".csv":
            path = path.with_name(path.name + ".csv")
        if not path.parent.is_dir():
            self._show_error(f"The folder {path.parent} does not exist. Choose another one.")
            return
        replace = False
        if path.exists():
            if not self.ask("Replace file?", f"{path.name} already exists. Replace it?"):
                self._show_error("Nothing was written. Choose another file name.")
                return
            replace = True
        try:
            finished = fetch_rest(self.desk.call, self.audience, self._progress)
        except PharmDeskError as exc:
            finished = False
            self._show_error(exc.message)
        self.summary.setText(self._summary_text())
        if not finished:
            if self.error.isHidden():
                self._show_error("Export cancelled. Nothing was written.")
            return
        data = campaign_csv(self.audience.segment, self.audience.value, self.audience.rows)
        try:
            write_file_atomic(path, data, replace=replace)
        except FileExistsError:
            self._show_error(f"{path.name} appeared meanwhile; nothing was written. Try again.")
            return
        except OSError as exc:
            self._show_error(
                f"The file could not be written ({exc.strerror or 'disk error'}). "
                "Check the drive has space and is not write-protected."
            )
            return
        self.written = path
        self.accept()

    def _progress(self, done: int, total: int) -> bool:
        self.summary.setText(f"Reading the audience: {done:,} of {total:,}… (Cancel stops)")
        QApplication.processEvents()  # long segments: the window keeps answering
        return not self._cancelled

    def reject(self) -> None:
        self._cancelled = True
        super().reject()
