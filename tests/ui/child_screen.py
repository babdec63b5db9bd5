"""Runs a probe module in a child process on an offscreen screen of a given size.

Qt fixes the screen and the scale factor when it starts, so each size is its own process:
the offscreen platform reads its screens from ``configfile`` (Qt 6's offscreen plugin).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_probe(
    tmp_path: Path, module: str, *args: str, size: tuple[int, int] = (1366, 768), scale: str = "1"
) -> dict[str, Any]:
    """Run ``python -m module args`` on that screen; its last stdout line is JSON."""
    config = tmp_path / "screen.json"
    screen = {"name": "desk", "x": 0, "y": 0, "width": size[0], "height": size[1]}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    config.write_text(json.dumps({"screens": [screen]}))
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    env["QT_SCALE_FACTOR"] = scale
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
