"""First run, "This PC uses the branch server": the address typed as the IT person would,
the connection test against the real test server (tests/pg_server.py) and against a port
where nothing answers, and saving: this PC then opens that server and signs in there."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QWizard

from pharmdesk.clock import FixedClock
from pharmdesk.controllers.server_join import server_url
from pharmdesk.paths import DatabaseFiles, server_files
from pharmdesk.store import tls
from pharmdesk.store.migrate import SCHEMA_HEAD
from pharmdesk.ui.app import choose_database
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.login import LoginDialog
from pharmdesk.ui.setup_server_page import ServerPage, joined_server, remember_server
from pharmdesk.ui.setup_wizard import FirstRunWizard
from tests import pg_server
from tests.conftest import ADMIN, ADMIN_PASSWORD, DESK_DATA, TEST_KDF

TEST_WAIT_MS = 20_000


@pytest.fixture
def store() -> str:
    return "postgresql"


@pytest.fixture
def desk_settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat)


def _server_page(qtbot, tmp_path: Path) -> tuple[FirstRunWizard, ServerPage]:  # type: ignore[no-untyped-def]
    wizard = FirstRunWizard(DatabaseFiles(tmp_path / "own" / "pharmdesk.db"))
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    assert wizard.currentPage() is wizard.mode_page
    choice = wizard.mode_page.branch_server
    qtbot.mouseClick(choice, Qt.MouseButton.LeftButton, pos=QPoint(8, choice.height() // 2))
    assert wizard.mode_page.branch_server.isChecked()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.server_page
    return wizard, wizard.server_page


def _type_address(
    qtbot, page: ServerPage, host: str, port: int, database: str, login: str = ""
) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(page.host, host)
    page.port.clear()
    qtbot.keyClicks(page.port, str(port))
    qtbot.keyClicks(page.database, database)
    if login:
        qtbot.keyClicks(page.login, login)


def _test(qtbot, page: ServerPage):  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(page.tested, timeout=TEST_WAIT_MS) as done:
        qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    return done.args[0]


def _answer(page: ServerPage, key: str) -> tuple[str, str]:
    mark, answer = page.answers[key]
    return mark.text(), answer.text()


def test_the_real_server_answers_and_saving_makes_this_pc_open_it(  # type: ignore[no-untyped-def]
    qtbot,
    tmp_path: Path,
    pg: pg_server.PgServer,
    db_files: DatabaseFiles,
    desk_settings: QSettings,
    monkeypatch,
) -> None:
    database = db_files.where.rsplit("/", 1)[-1]
    # This desk's own data folder: where the server's side files of the fixture are.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / DESK_DATA))
    wizard, page = _server_page(qtbot, tmp_path)
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert not finish.isEnabled()  # not before a test that reached the server

    _type_address(qtbot, page, str(pg.sockets), pg.port, database, pg_server.SUPERUSER)
    check = _test(qtbot, page)
    assert check.can_save
    assert _answer(page, "reached") == ("✔", "The server answers.")
    assert _answer(page, "secure")[0] == "✔"
    assert "local connection" in _answer(page, "secure")[1]
    assert _answer(page, "database") == (
        "✔",
        f"PharmDesk data found, schema {SCHEMA_HEAD}: the same as this PharmDesk.",
    )
    assert finish.isEnabled()
    qtbot.keyClicks(page.database, "x")  # a changed address needs a new test
    assert not finish.isEnabled()
    qtbot.keyClick(page.database, Qt.Key.Key_Backspace)
    _test(qtbot, page)
    qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)

    url = server_url(str(pg.sockets), pg.port, database, pg_server.SUPERUSER)
    assert wizard.server_url == url == db_files.server
    remember_server(desk_settings, wizard.server_url)  # what the app does with the answer
    assert joined_server(desk_settings) == url
    # From now on this PC opens that server; --db / PHARMDESK_DB still win.
    files = choose_database(None, desk_settings)
    assert files == server_files(url) == db_files
    own = DatabaseFiles(tmp_path / "other.db")
    assert choose_database(own, desk_settings) is own

    desk = DeskContext(files, FixedClock(), kdf=TEST_KDF)
    login = LoginDialog(desk)
    qtbot.addWidget(login)
    assert login.form.where.text() == f"Branch server {files.where}"
    qtbot.keyClicks(login.form.username, ADMIN)
    qtbot.keyClicks(login.form.password, ADMIN_PASSWORD)
    qtbot.mouseClick(login.form.sign_in_button, Qt.MouseButton.LeftButton)
    assert login.result() == LoginDialog.DialogCode.Accepted
    assert desk.settings()["branchName"] == "Lekki Branch"
    desk.close()


def test_a_wrong_port_says_nothing_answers_there(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wizard, page = _server_page(qtbot, tmp_path)
    port = pg_server.free_port()
    _type_address(qtbot, page, "127.0.0.1", port, "pharmdesk_lekki")
    check = _test(qtbot, page)
    assert not check.can_save
    mark, text = _answer(page, "reached")
    assert mark == "✖"
    assert text.startswith(f"Nothing answers at 127.0.0.1:{port}. Check the address and the port")
    assert _answer(page, "secure") == ("·", "Not checked.")
    assert _answer(page, "database") == ("·", "Not checked.")
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()


def test_a_server_that_wants_a_password_is_reached_but_not_verified(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, pg: pg_server.PgServer, monkeypatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    _wizard, page = _server_page(qtbot, tmp_path)
    _type_address(qtbot, page, "127.0.0.1", pg.port, "postgres", pg_server.SUPERUSER)
    check = _test(qtbot, page)
    assert _answer(page, "reached") == ("✔", "The server answers.")
    mark, secure = _answer(page, "secure")
    assert mark == "⚠" and secure.startswith("Not verified: no branch CA was given")
    assert _answer(page, "database")[1].startswith("Not checked: the server asks for a login")
    assert check.can_save  # the address works; sign-in checks the rest


def test_a_fingerprint_that_does_not_match_is_refused_before_dialling(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    certs = tls.make_certificates(tmp_path / "ca", ["pharmacy-server"], "Lekki Branch")
    _wizard, page = _server_page(qtbot, tmp_path)
    _type_address(qtbot, page, "pharmacy-server", 5432, "pharmdesk_lekki")
    qtbot.keyClicks(page.ca_file, str(certs.ca_cert))
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert "Enter the CA's fingerprint" in page.error.text()
    wrong = "00" + certs.fingerprint[2:]
    qtbot.keyClicks(page.fingerprint, wrong)
    with qtbot.waitSignal(page.tested, timeout=TEST_WAIT_MS) as done:
        qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert done.args[0] is None
    assert page.error.text().startswith("The fingerprint does not match this CA certificate")
    assert not (tmp_path / "data").exists()  # nothing pinned for this desk


def test_an_address_that_is_not_one_is_explained(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _wizard, page = _server_page(qtbot, tmp_path)
    _type_address(qtbot, page, "192.168.1.10", 70000, "pharmdesk_lekki")
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert page.error.text().startswith("The port must be a number from 1 to 65535")
    assert _answer(page, "reached")[1] == "Not tested yet."


def test_closing_the_screen_while_a_test_runs_waits_for_its_answer(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wizard, page = _server_page(qtbot, tmp_path)
    _type_address(qtbot, page, "127.0.0.1", pg_server.free_port(), "pharmdesk_lekki")
    assert page.test_connection()
    assert page.job is not None and page.job.running
    wizard.reject()  # Cancel at once
    assert not page.job.running  # the thread ended before the screen went
    assert page.answers["reached"][0].text() == "✖"
