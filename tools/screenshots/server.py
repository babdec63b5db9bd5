"""Branch server mode: the first-run choice, the server page's connection test (a port
where nothing answers, then the real server), the sign-in and the main window on the
server, and the answer to Back up now. Needs PostgreSQL (the tests' throwaway server,
tests/pg_server.py); skipped with a note when it is not installed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from pharmdesk.clock import Clock
from pharmdesk.controllers.server_join import server_url
from pharmdesk.controllers.session import create_database
from pharmdesk.paths import DatabaseFiles, server_files
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import LoginDialog
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.setup_server_page import ServerPage
from pharmdesk.ui.setup_wizard import FirstRunWizard
from tools.screenshots.capture import save, wait_for

DATABASE = "pharmdesk_lekki"
ADMIN, PASSWORD = "ada", "mango tree by the lagoon 1987"
OWNER_PASSWORD = "owner password for the screenshots"
NAMES = (
    "Chinedu Okafor", "Adebayo Adeyemi", "Ngozi Eze", "Amaka Obi", "Kemi Adeola",
    "Tunde Bakare", "Funmi Alade", "Emeka Nwosu", "Halima Bello", "Segun Ogun",
)  # fmt: skip


@contextmanager
def _server() -> Iterator[object | None]:
    try:
        from tests import pg_server
    except ImportError:
        yield None
        return
    try:
        server = pg_server.start_server()
    except (pg_server.ServerUnavailable, RuntimeError) as exc:
        print(f"server screens skipped: {exc}")
        yield None
        return
    try:
        yield server
    finally:
        pg_server.stop_server(server)


def server_screens(out: Path, folder: Path) -> None:
    with _server() as running:
        if running is None:
            return
        from tests import pg_server

        assert isinstance(running, pg_server.PgServer)
        pg_server.create_database(running, DATABASE)
        # The desks dial it over the network with the owner's login (its password as a
        # desk's PGPASSWORD would give it), as docs/admin/server.md sets up.
        pg_server._admin(running, f"ALTER ROLE {pg_server.SUPERUSER} PASSWORD '{OWNER_PASSWORD}'")
        os.environ["PGPASSWORD"] = OWNER_PASSWORD
        try:
            _screens(out, folder, running.port, pg_server.SUPERUSER)
        finally:
            del os.environ["PGPASSWORD"]


def _screens(out: Path, folder: Path, port: int, owner: str) -> None:
    url = server_url("127.0.0.1", port, DATABASE, owner)
    files = server_files(url, base=folder / "desk")
    create_database(
        files, admin=ADMIN, full_name="Ada Okonkwo", password=PASSWORD,
        branch_name="Lekki Phase 1 branch",
    )  # fmt: skip
    _first_run(out, folder, port, owner)

    desk = DeskContext(files, Clock())
    login = LoginDialog(desk, username=ADMIN)
    login.show()
    save(login, out, "server-login")
    login.close()
    desk.sign_in(ADMIN, PASSWORD)
    for i, name in enumerate(NAMES):
        desk.call("addProviderCustomer", {"name": name, "phone": f"0803555{i:04d}"})
    settings = QSettings(str(folder / "server-window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(desk, settings)
    window.start()
    window.show()
    save(window, out, "server-main-window")
    window.backup_action.trigger()
    save(window.server_backups_note, out, "server-backups")
    window.server_backups_note.close()
    window.close()


def _first_run(out: Path, folder: Path, port: int, owner: str) -> None:
    wizard = FirstRunWizard(DatabaseFiles(folder / "first-run" / "pharmdesk.db"))
    wizard.show()
    wizard.mode_page.branch_server.setChecked(True)
    save(wizard, out, "setup-0-choice")
    wizard.next()
    page = wizard.server_page
    assert isinstance(page, ServerPage)
    page.host.setText("127.0.0.1")
    page.port.setText(str(port + 1 if port < 65535 else port - 1))
    page.database.setText(DATABASE)
    page.login.setText(owner)
    page.test_connection()
    wait_for_test(page)
    save(wizard, out, "setup-server-nothing-answers")
    page.port.setText(str(port))
    page.test_connection()
    wait_for_test(page)
    save(wizard, out, "setup-server-tested")
    wizard.close()


def wait_for_test(page: ServerPage) -> None:
    wait_for(_Running(page))
    QApplication.processEvents()


class _Running:
    """``wait_for`` waits while ``job`` is set: here, while the test runs."""

    def __init__(self, page: ServerPage) -> None:
        self._page = page

    @property
    def job(self) -> object | None:
        job = self._page.job
        return job if job is not None and job.running else None
