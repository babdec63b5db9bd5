"""The GUI measurements, run in a child process of the benchmark (offscreen Qt).

``cold``: start as the app does (imports, QApplication, sign-in, main window with its
first page) and print one line when the window has been shown and painted; the parent
times the whole process from launch. ``session``: open the main window once, then time
search keystrokes (from the debounce timer firing to the table's first paint with the
new rows), scroll 5,000 rows (the longest the event loop was blocked by one step), and
read the process's memory. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _memory_mib() -> dict[str, float]:
    fields: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def _open_window(db: Path) -> tuple[Any, Any, Any]:
    from PySide6.QtCore import QSettings

    from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
    from pharmdesk.paths import DatabaseFiles
    from pharmdesk.ui.app import make_application
    from pharmdesk.ui.desk import DeskContext
    from pharmdesk.ui.main_window import MainWindow

    app = make_application([sys.argv[0]])
    desk = DeskContext(DatabaseFiles(db))
    desk.sign_in(DEMO_USER, DEMO_PASSWORD)
    ini = Path(tempfile.mkdtemp(prefix="pharmdesk-bench-")) / "window.ini"
    window = MainWindow(desk, QSettings(str(ini), QSettings.Format.IniFormat))
    window.resize(1280, 800)
    window.start()
    window.show()
    window.table.viewport().repaint()
    app.processEvents()
    return app, desk, window


def cold(db: Path) -> None:
    app, desk, window = _open_window(db)
    print("shown", window.model.rowCount(), flush=True)
    desk.close()
    app.quit()


class PaintProbe:
    """Notes when the table's viewport finished painting."""

    def __init__(self, window: Any) -> None:
        from PySide6.QtCore import QEvent, QObject

        probe = self

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    watched.event(event)  # paint now, then note the time
                    probe.painted = time.perf_counter()
                    return True
                return False

        self.painted = 0.0
        self.filter = Filter()
        window.table.viewport().installEventFilter(self.filter)


def session(db: Path, queries: list[str], repeat: int, scroll_rows: int) -> dict[str, Any]:
    from PySide6.QtTest import QTest

    app, desk, window = _open_window(db)
    probe = PaintProbe(window)
    fired = [0.0]
    original = window._run_search

    def timed_search() -> None:
        fired[0] = time.perf_counter()
        original()

    window._debounce.timeout.disconnect()
    window._debounce.timeout.connect(timed_search)

    def wait_for(condition: Any, seconds: float = 30.0) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError("the window did not update in time")
            app.processEvents()
            time.sleep(0.001)

    searches: dict[str, Any] = {}
    for text in queries:
        times = []
        for _ in range(repeat):
            window.search.clear()
            window.flush_search()
            app.processEvents()
            QTest.keyClicks(window.search, text)
            fired[0] = 0.0
            probe.painted = 0.0
            wait_for(lambda: fired[0] and probe.painted > fired[0])
            times.append((probe.painted - fired[0]) * 1000)
        searches[text] = {
            "first_ms": times[0],  # the first time this text is searched in the process
            "median_ms": statistics.median(times),
            "rows": window.model.rowCount(),
            "total": window.model.total,
        }

    window.search.clear()
    window.flush_search()
    app.processEvents()
    before = _memory_mib()
    bar = window.table.verticalScrollBar()
    steps: list[float] = []
    while window.model.rowCount() < scroll_rows:
        began = time.perf_counter()
        bar.setValue(bar.maximum())  # the view asks the model for more at the end
        app.processEvents()
        window.table.viewport().repaint()
        steps.append((time.perf_counter() - began) * 1000)
        if len(steps) > scroll_rows:
            break
    after = _memory_mib()
    result = {
        "searches": searches,
        "scroll": {
            "rows": window.model.rowCount(),
            "steps": len(steps),
            "max_step_ms": max(steps) if steps else 0.0,
            "median_step_ms": statistics.median(steps) if steps else 0.0,
            "total_ms": sum(steps),
        },
        "memory_mib": {"before_scroll": before, "after_scroll": after},
    }
    desk.close()
    return result


def bare_start() -> None:
    """The floor of a cold start: Qt and an empty window, no PharmDesk."""
    from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.setCentralWidget(QTableView())
    window.resize(1280, 800)
    window.show()
    window.repaint()
    app.processEvents()
    print("shown 0", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("cold", "session", "bare"))
    parser.add_argument("--db", type=Path)
    parser.add_argument("--query", action="append", default=[])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scroll-rows", type=int, default=5000)
    args = parser.parse_args()
    if args.mode == "cold":
        cold(args.db)
    elif args.mode == "bare":
        bare_start()
    else:
        print(json.dumps(session(args.db, args.query, args.repeat, args.scroll_rows)))


if __name__ == "__main__":
    main()
