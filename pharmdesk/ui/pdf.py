"""Saving a document as a PDF file: owner-only, whole or not at all.

Qt's printer creates its output file with the process umask (often 0644: readable by
every account of the PC). A run-sheet or a profile is patient data, so the PDF is
printed into PharmDesk's private temp file beside the target and then put in place by
the one atomic writer (``store.files.write_file_atomic``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrinter

from pharmdesk.store.files import write_file_atomic


def write_pdf(path: Path, document: QTextDocument) -> None:
    """Print ``document`` to ``path`` as PDF; raises ``OSError`` when it cannot be saved."""

    def fill(tmp: Path) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp))
        document.print_(printer)
        if tmp.stat().st_size == 0:
            raise OSError(f"nothing could be written to {path.name}")

    write_file_atomic(path, fill)
