"""Render every screen to PNG files so anyone can look at them without a display.

    python -m pharmdesk.ui.screenshots OUTDIR [--customers N]

Builds a small demo database in a temporary folder (nothing is left behind), then saves
the first-run setup pages, the sign-in, the main window with data, a search in progress,
a profile, and the lock screen. Runs offscreen unless a display platform is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER, create_demo
from pharmdesk.paths import DatabaseFiles
from pharmdesk.ui.app import make_application
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import LoginDialog
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.profile_dialog import ProfileDialog
from pharmdesk.ui.setup_wizard import FirstRunWizard


def _save(widget: QWidget, out: Path, name: str) -> Path:
    QApplication.processEvents()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(path)
    return path


def _setup_screens(out: Path, folder: Path) -> None:
    wizard = FirstRunWizard(DatabaseFiles(folder / "setup" / "pharmdesk.db"))
    wizard.resize(640, 480)
    wizard.show()
    page = wizard.branch_page
    page.branch.setText("Lekki Phase 1 branch")
    page.username.setText("ada")
    page.full_name.setText("Ada Okonkwo")
    _save(wizard, out, "setup-1-branch")
    wizard.next()
    wizard.password_page.password.setText("mango tree by the lagoon")
    wizard.password_page.repeat.setText("mango tree by the lagoon")
    _save(wizard, out, "setup-2-password")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    _save(wizard, out, "setup-3-recovery-key")
    wizard.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--customers", type=int, default=400)
    args = parser.parse_args(argv)
    out: Path = args.outdir
    out.mkdir(parents=True, exist_ok=True)
    make_application()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _setup_screens(out, folder)
        files = DatabaseFiles(folder / "demo" / "pharmdesk-demo.db")
        create_demo(files, customers=args.customers)
        desk = DeskContext(files)
        login = LoginDialog(desk, demo=True)
        login.show()
        _save(login, out, "login")
        login.close()
        desk.sign_in(DEMO_USER, DEMO_PASSWORD)
        settings = QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(desk, settings, demo=True)
        window.resize(1280, 760)
        window.start()
        window.show()
        _save(window, out, "main-window")
        window.search.setText("ade")
        window.flush_search()
        _save(window, out, "search")
        busiest = desk.call("fetchCustomers", {"sort": "-totalOrders", "limit": 1})["customers"]
        customer_id = busiest[0]["id"] if busiest else None
        if customer_id:
            dialog = ProfileDialog(desk, customer_id, window)
            dialog.show()
            _save(dialog, out, "profile")
            dialog.close()
        window.lock()
        _save(window, out, "lock-screen")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
