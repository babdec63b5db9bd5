"""Converts an X window dump (``xwd -root``, 24-bit TrueColor in 24 or 32 bits a pixel) to a PNG with Qt.

    python xwd2png.py screen.xwd screen.png

Used by gui-screenshots.sh to keep what Xvfb showed of the Windows build under Wine.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtGui import QImage

HEADER_FIELDS = 25  # CARD32s, big-endian, before the window name


def convert(source: Path, target: Path) -> None:
    data = source.read_bytes()
    fields = struct.unpack(">25I", data[: 4 * HEADER_FIELDS])
    header_size, _, _, depth, width, height = fields[:6]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    colours = fields[19]
    start = header_size + 12 * colours
    pixels = data[start : start + bytes_per_line * height]
    little = byte_order == 0  # LSBFirst: blue first in memory
    if bits_per_pixel == 32 and depth in (24, 32):
        if not little:  # xRGB in memory; QImage's RGB32 is BGRx on little-endian machines
            swapped = bytearray(pixels)
            swapped[0::4], swapped[1::4], swapped[2::4], swapped[3::4] = (
                pixels[3::4],
                pixels[2::4],
                pixels[1::4],
                pixels[0::4],
            )
            pixels = bytes(swapped)
        layout = QImage.Format.Format_RGB32
    elif bits_per_pixel == 24 and depth == 24:
        layout = QImage.Format.Format_BGR888 if little else QImage.Format.Format_RGB888
    else:
        raise SystemExit(f"{source}: {depth}-bit / {bits_per_pixel} bpp is not handled")
    image = QImage(pixels, width, height, bytes_per_line, layout)
    if not image.copy().save(str(target), "PNG"):
        raise SystemExit(f"could not write {target}")


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
