"""Render the app icon (resources/icons/pharmdesk.svg) to the bitmap files a build needs.

    python packaging/make_icon.py OUTDIR

Writes ``pharmdesk.png`` (256 px, for the Linux menu), plus ``pharmdesk.ico`` on Windows
and ``pharmdesk.icns`` on macOS, where PyInstaller wants those for the executable. Qt's
own SVG renderer and image writers do it, so the build needs nothing beyond PySide6; the
SVG stays the one source of the icon and no bitmap is kept in git.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

SOURCE = Path(__file__).resolve().parent.parent / "resources" / "icons" / "pharmdesk.svg"
SIZE = 256


def render(size: int) -> QImage:
    """The SVG drawn on a transparent square of ``size`` pixels."""
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"make_icon: {SOURCE} is not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def write(image: QImage, path: Path, fmt: str) -> None:
    writer = QImageWriter(str(path), fmt.encode())
    if not writer.write(image):
        raise SystemExit(f"make_icon: cannot write {path}: {writer.errorString()}")
    print(path)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication(["make_icon"])  # the image format plugins load through it
    image = render(SIZE)
    write(image, out / "pharmdesk.png", "png")
    if sys.platform == "win32":
        write(image, out / "pharmdesk.ico", "ico")
    elif sys.platform == "darwin":
        write(image, out / "pharmdesk.icns", "icns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
