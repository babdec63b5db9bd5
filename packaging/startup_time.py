"""Time a cold start of the built app: process start to its first window drawn, offscreen.

    python packaging/startup_time.py EXECUTABLE DEMO_DB [--runs N]

Starts ``EXECUTABLE --demo --db DEMO_DB`` (an existing demo database, so the first window
is the sign-in, as on a front-desk PC in the morning) on Qt's offscreen platform, and
stops it as soon as Qt reports the first paint of a top-level window. Qt's own paint log
(category ``qt.widgets.painting``) is the signal, so the app needs no timing hook.
Prints one line with the median and the first run; exit 1 when no window was drawn.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

FIRST_PAINT = "Painting and flushing dirty top level"
TIMEOUT = 60.0


def one_run(executable: Path, db: Path, home: Path) -> float | None:
    """Seconds from process start to the first top-level paint, or None."""
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "QT_QPA_PLATFORM": "offscreen",
        "QT_LOGGING_RULES": "qt.widgets.painting=true",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(executable), "--demo", "--db", str(db)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    drawn: list[float] = []

    def watch() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if FIRST_PAINT in line:
                drawn.append(time.perf_counter() - started)
                return

    reader = threading.Thread(target=watch, daemon=True)
    reader.start()
    reader.join(TIMEOUT)
    process.kill()
    process.wait()
    return drawn[0] if drawn else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("executable", type=Path)
    parser.add_argument("db", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    home = args.db.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    times = []
    for _ in range(args.runs):
        seconds = one_run(args.executable, args.db, home)
        if seconds is None:
            print(f"cold start: no window was drawn within {TIMEOUT:.0f} s", file=sys.stderr)
            return 1
        times.append(seconds)
    print(
        f"cold start (process start to the sign-in window drawn, offscreen): "
        f"median {statistics.median(times):.2f} s of {len(times)} runs, first {times[0]:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
