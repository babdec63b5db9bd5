"""``python -m tools.screenshots``: every screen, on one desk size or on every desk."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER, create_demo
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.app import make_application
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import LoginDialog
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.profile_dialog import ProfileDialog
from tools.screenshots import __doc__ as DESCRIPTION
from tools.screenshots.admin import (
    audit_screens,
    backup_screens,
    import_screens,
    quick_unlock_screens,
    setup_screens,
    staff_screens,
)
from tools.screenshots.capture import save
from tools.screenshots.customers import (
    customer_form_screens,
    plan_screens,
    profile_example_screens,
    segment_screens,
)
from tools.screenshots.duplicates import duplicate_screens
from tools.screenshots.example import example_desk
from tools.screenshots.record import record_screens
from tools.screenshots.reminders import reminder_screens
from tools.screenshots.server import server_screens


def reminder_screens_of_example(out: Path, folder: Path) -> None:
    """Consent grid, Outbox tab, WhatsApp QR, template editor, sending settings."""
    reminders_folder = folder / "reminders"
    reminders_folder.mkdir()
    desk, _clock = example_desk(reminders_folder)
    reminder_screens(out, desk, reminders_folder, save)


# The screens the branches' desks have: (folder, size, QT_SCALE_FACTOR).
DESKS = (("1366x768", "1366x768", "1"), ("1280x720-125", "1280x720", "1.25"))


def _every_desk(out: Path, customers: int) -> int:
    """One child process per desk (Qt fixes the screen when it starts)."""
    for folder, size, scale in DESKS:
        command = [sys.executable, "-m", "tools.screenshots", str(out / folder)]
        command += ["--screen", size, "--scale", scale, "--customers", str(customers)]
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            return done.returncode
    return 0


def _offscreen_screen(size: str, out: Path) -> None:
    """Give Qt's offscreen platform one screen of ``size`` (before the app starts)."""
    width, _, height = size.lower().partition("x")
    screen = {"name": "desk", "x": 0, "y": 0, "width": int(width), "height": int(height)}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    out.mkdir(parents=True, exist_ok=True)
    config = out / "screen.json"
    config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=DESCRIPTION.splitlines()[0] if DESCRIPTION else None
    )
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--screen", help="WIDTHxHEIGHT of the offscreen screen, e.g. 1366x768")
    parser.add_argument("--scale", help="QT_SCALE_FACTOR, e.g. 1.25")
    parser.add_argument("--desks", action="store_true", help="every screen on every desk size")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out: Path = args.outdir
    if args.desks:
        return _every_desk(out, args.customers)
    if args.screen:
        _offscreen_screen(args.screen, out)
    if args.scale:
        os.environ["QT_SCALE_FACTOR"] = args.scale
    out.mkdir(parents=True, exist_ok=True)
    make_application()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        setup_screens(out, folder)
        server_screens(out, folder)
        files = DatabaseFiles(folder / "demo" / "pharmdesk-demo.db")
        create_demo(files, customers=args.customers)
        desk = DeskContext(files)
        login = LoginDialog(desk, demo=True)
        login.show()
        save(login, out, "login")
        login.close()
        desk.sign_in(DEMO_USER, DEMO_PASSWORD)
        settings = QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(desk, settings, demo=True)
        window.start()
        window.show()
        save(window, out, "main-window")
        window.search.setText("ade")
        window.flush_search()
        save(window, out, "search")
        segment_screens(out, window, folder)
        plan_screens(out, window)
        backup_screens(out, window, folder)  # before audit_screens tampers with the log
        audit_screens(out, window)
        customer_form_screens(out, window)
        staff_screens(out, window)
        import_screens(out, window)
        duplicate_screens(out, window)
        busiest = desk.call("fetchCustomers", {"sort": "-totalOrders", "limit": 1})["customers"]
        customer_id = busiest[0]["id"] if busiest else None
        if customer_id:
            dialog = ProfileDialog(desk, customer_id, window)
            dialog.show()
            save(dialog, out, "profile")
            dialog.close()
        quick_unlock_screens(out, window)  # ends unlocked with the PIN
        window.lock()
        save(window, out, "lock-screen")
        # Captured and closed before the example desks open main windows of their own:
        # closing one of those closes every other window of the app (signing out does),
        # this one included.
        window.close()
        profile_example_screens(out, folder)
        reminder_screens_of_example(out, folder)
        record_screens(out, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
