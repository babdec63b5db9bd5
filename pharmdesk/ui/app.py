"""Starting the desktop app: first-run setup or demo creation, sign-in, main window."""

from __future__ import annotations

import ctypes.util
import logging
import os
import sys
from pathlib import Path

import platformdirs
from PySide6.QtCore import QObject, QSettings, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QProgressDialog

from pharmdesk import __version__
from pharmdesk.demo import DemoProgress, create_demo
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import APP_NAME, DatabaseFiles, default_db_path, server_files
from pharmdesk.resources import resource_path
from pharmdesk.ui import screen_fit
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import LoginDialog
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.setup_server_page import joined_server, remember_server
from pharmdesk.ui.setup_wizard import FirstRunWizard
from pharmdesk.ui.widgets import icon

PLATFORM_PLUGIN_ADVICE = (
    "PharmDesk could not start its window: Qt's platform plugin did not load.\n"
    "On Linux install the X11 libraries it needs, for example:\n"
    "  sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \\\n"
    "       libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxkbcommon-x11-0\n"
    "Without a screen, set QT_QPA_PLATFORM=offscreen."
)


log = logging.getLogger(__name__)

X11_LIBRARIES = ("xcb-cursor", "xcb-icccm", "xcb-keysyms", "xkbcommon-x11")


def missing_x11_libraries() -> list[str]:
    """Libraries Qt's xcb plugin needs that this Linux PC lacks (Qt would abort without)."""
    if not sys.platform.startswith("linux"):
        return []
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return []
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return []
    return [name for name in X11_LIBRARIES if ctypes.util.find_library(name) is None]


def user_settings() -> QSettings:
    """Per-OS-user window preferences (sizes, column widths), grouped per staff member."""
    folder = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("pharmdesk")  # matches the installed .desktop entry
    app.setWindowIcon(icon("pharmdesk"))
    style = resource_path("style.qss")
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    screen_fit.install(app)
    return app


class _DemoWorker(QObject):
    progress = Signal(str, int, int)
    finished = Signal(str)  # empty on success, else the error message

    def __init__(self, files: DatabaseFiles, customers: int | None = None) -> None:
        super().__init__()
        self.files = files
        self.customers = customers

    def run(self) -> None:
        def report(step: DemoProgress) -> None:
            self.progress.emit(step.stage, step.done, step.total)

        try:
            if self.customers is None:
                create_demo(self.files, progress=report)
            else:
                create_demo(self.files, customers=self.customers, progress=report)
        except PharmDeskError as exc:
            self.finished.emit(exc.message)
            return
        except Exception as exc:  # the dialog must always be told, or it waits forever
            log.error("demo creation failed: %s", type(exc).__name__)
            self.finished.emit(
                f"The demo database could not be created ({type(exc).__name__}). Try again; "
                "if it happens again, run 'pharmdesk demo' in a terminal to see why."
            )
            return
        self.finished.emit("")


class _DemoProgressDialog(QProgressDialog):
    """Lives in the GUI thread; the worker's signals reach its slots queued, so the
    dialog is only ever touched from the GUI thread."""

    def __init__(self) -> None:
        super().__init__("Creating the demo database…", "", 0, 100)
        self.setWindowTitle("PharmDesk demo")
        self.setCancelButton(None)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.outcome: str | None = None

    @Slot(str, int, int)
    def show_progress(self, stage: str, done: int, total: int) -> None:
        self.setLabelText(f"{stage}…")
        self.setMaximum(max(1, total))
        self.setValue(min(done, total))

    @Slot(str)
    def finish(self, message: str) -> None:
        self.outcome = message
        self.done(0)


def create_demo_with_progress(files: DatabaseFiles, customers: int | None = None) -> str:
    """Build the demo database in a worker thread behind a progress dialog.

    Returns an error message, or "" when the database is ready.
    """
    dialog = _DemoProgressDialog()
    thread = QThread()
    worker = _DemoWorker(files, customers)
    worker.moveToThread(thread)
    worker.progress.connect(dialog.show_progress)
    worker.finished.connect(dialog.finish)
    thread.started.connect(worker.run)
    thread.start()
    dialog.exec()  # returns when finish() runs (queued: never before exec starts)
    # Stop the worker thread's event loop from here. (A queued quit() from the worker's
    # finished signal could still be waiting in this thread's queue when exec() returns,
    # and then wait() would never return: the hang seen under load.)
    thread.quit()
    thread.wait()
    if dialog.outcome is None:
        return "The demo database could not be created."
    return dialog.outcome


def desk_settings() -> QSettings:
    """This PC's choices made at first run for every staff member (the branch server it
    uses), beside the window preferences."""
    folder = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return QSettings(str(folder / "desk.ini"), QSettings.Format.IniFormat)


def choose_database(chosen: DatabaseFiles | None, settings: QSettings) -> DatabaseFiles:
    """``--db`` or ``PHARMDESK_DB`` (``chosen``) first, then the branch server this PC
    joined at its first run, then this PC's own database."""
    if chosen is not None:
        return chosen
    url = joined_server(settings)
    if url is not None:
        return server_files(url)
    return DatabaseFiles(default_db_path())


def first_run(files: DatabaseFiles, settings: QSettings) -> tuple[DatabaseFiles, str] | None:
    """The first-run screen on a PC with no database: this PC's own (created there) or
    the branch server (remembered for this PC). Returns the database to sign in to and
    the username to offer, or None when the person closed the screen."""
    wizard = FirstRunWizard(files)
    accepted = wizard.exec() == QDialog.DialogCode.Accepted
    if accepted and wizard.server_url:
        remember_server(settings, wizard.server_url)
        return server_files(wizard.server_url), ""
    if not accepted and not files.exists():
        return None
    return files, wizard.admin_username


def run_gui(chosen: DatabaseFiles | None, demo: bool = False) -> int:
    """The desktop app on ``chosen`` (or, when None, this PC's usual database). Returns
    the process exit code."""
    missing = missing_x11_libraries()
    if missing:
        print(PLATFORM_PLUGIN_ADVICE, file=sys.stderr)
        return 2
    app = make_application()
    settings = desk_settings()
    files = choose_database(chosen, settings)
    username = ""
    if demo and not files.exists():
        message = create_demo_with_progress(files)
        if message:
            QMessageBox.critical(None, "PharmDesk demo", message)
            return 1
    if files.server is None and not files.exists():
        opened = first_run(files, settings)
        if opened is None:
            return 0
        files, username = opened
    desk = DeskContext(files)
    login = LoginDialog(desk, demo=demo, username=username)
    if login.exec() != QDialog.DialogCode.Accepted:
        return 0
    window = MainWindow(desk, user_settings(), demo=demo)
    window.start()
    window.show()
    return app.exec()
