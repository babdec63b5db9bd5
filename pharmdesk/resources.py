"""Where bundled data lives, in a source checkout and in the frozen app alike."""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/``; works from a checkout and when frozen."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        base = Path(frozen_root) / "resources"
    else:
        base = Path(__file__).resolve().parent.parent / "resources"
    return base.joinpath(*parts)


@cache
def load_json(name: str) -> Any:
    with resource_path(name).open(encoding="utf-8") as handle:
        return json.load(handle)
