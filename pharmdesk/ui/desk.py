"""The UI's view of who is signed in: one object every window is handed.

Windows call operations through ``DeskContext.call`` so that the GUI goes through
exactly the same checks and audit as the command line. Locking closes the database and
drops the key; the windows are told through signals. A person who set a quick-unlock
PIN gets the key back with it (``controllers/quick_unlock.py``: wrapped in memory only).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from pharmdesk.clock import Clock
from pharmdesk.controllers import api
from pharmdesk.controllers.quick_unlock import PIN_KDF, QuickUnlock
from pharmdesk.controllers.registry import Progress
from pharmdesk.controllers.session import DeskSession, sign_in
from pharmdesk.errors import AUTH_FAILED, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams, Vault

# A job ready to run (in a worker thread): call it with a progress callback.
BoundJob = Callable[[Progress], Any]

log = logging.getLogger(__name__)


class DeskContext(QObject):
    """Holds the current ``DeskSession`` (or none, while locked or signed out)."""

    signed_in = Signal(str)  # username
    locked = Signal()
    signed_out = Signal(str)  # username
    # The account was disabled while signed in (username, the message to show): the
    # session ended at its next operation; the window goes back to the sign-in screen.
    account_disabled = Signal(str, str)
    # The signed-in person's role changed (seen at their last operation): menus follow.
    role_changed = Signal(str)

    def __init__(
        self,
        files: DatabaseFiles,
        clock: Clock | None = None,
        kdf: KdfParams = DEFAULT_KDF,
        parent: QObject | None = None,
        *,
        pin_kdf: KdfParams = PIN_KDF,
    ) -> None:
        super().__init__(parent)
        self.files = files
        self.clock = clock or Clock()
        self.kdf = kdf
        self.session: DeskSession | None = None
        self.last_delay = 0.0
        self.quick_unlock = QuickUnlock(files, clock=self.clock, kdf=kdf, pin_kdf=pin_kdf)
        # What PharmDesk itself last put on the clipboard (a phone, a one-time password).
        self._copied: str | None = None

    # -- who -------------------------------------------------------------------------------
    @property
    def username(self) -> str | None:
        return self.session.staff.username if self.session else None

    @property
    def is_admin(self) -> bool:
        return self.session is not None and self.session.staff.role == "admin"

    def may(self, operation: str) -> bool:
        """Whether the signed-in person may run ``operation`` (an operation or a job):
        what a menu entry or a button asks; the rule itself lives in the registry."""
        return self.session is not None and self.session.may(operation)

    def has_recovery_key(self) -> bool:
        """Whether a recovery key opens this database (an upgrade can drop an old one)."""
        return Vault(self.files.vault).has_recovery()

    def settings(self) -> dict[str, Any]:
        if self.session is None:
            raise PharmDeskError(AUTH_FAILED, "Sign in first.")
        return self.session.settings()

    # -- sign-in, lock, sign-out --------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> DeskSession:
        """Sign in; a wrong password raises, and ``last_delay`` says how long to wait."""
        self.last_delay = 0.0

        def remember_delay(seconds: float) -> None:
            # The dialog enforces the wait (button disabled with a countdown) instead of
            # freezing the window.
            self.last_delay = seconds

        session = sign_in(
            self.files, username, password, clock=self.clock, sleep=remember_delay, kdf=self.kdf
        )
        if self.session is not None:
            self.session.close()
        # Any password sign-in, the same person's or another's, ends the locked PIN.
        self.quick_unlock.started(session)
        self.session = session
        self.signed_in.emit(session.staff.username)
        return session

    def unlock_with_pin(self, pin: str) -> DeskSession:
        """The person who locked, back with their PIN; raises for a wrong one (the
        third destroys the PIN: ``quick_unlock.locked_for`` is then None)."""
        if self.session is not None:
            raise PharmDeskError(AUTH_FAILED, "PharmDesk is not locked.")
        session = self.quick_unlock.unlock(pin)
        self.session = session
        self.signed_in.emit(session.staff.username)
        return session

    def set_pin(self, pin: str, repeat: str) -> dt.datetime:
        """Set or change the signed-in person's quick-unlock PIN; returns its expiry."""
        return self.quick_unlock.set_pin(self.session, pin, repeat)

    def remove_pin(self) -> None:
        self.quick_unlock.remove_pin()

    def lock(self) -> None:
        if self.session is None:
            return
        session, self.session = self.session, None
        try:
            self.quick_unlock.seal(session)
        except Exception:  # the lock itself must happen whatever goes wrong here
            log.warning("could not keep the quick-unlock PIN; the password will be needed")
            self.quick_unlock.forget()
        self.clear_clipboard()
        session.lock()
        self.locked.emit()

    def sign_out(self) -> None:
        self.quick_unlock.forget()
        self.clear_clipboard()
        if self.session is None:
            return
        session, self.session = self.session, None
        username = session.staff.username
        session.sign_out()
        self.signed_out.emit(username)

    def close(self) -> None:
        """Application exit: same as signing out."""
        self.sign_out()

    # -- the clipboard ------------------------------------------------------------------------
    def copy_text(self, text: str) -> None:
        """Put ``text`` on the clipboard; cleared at lock and sign-out if still there."""
        QGuiApplication.clipboard().setText(text)
        self._copied = text

    def clear_clipboard(self) -> None:
        """Remove what PharmDesk copied, unless the person has copied something else since."""
        copied, self._copied = self._copied, None
        if copied is None:
            return
        clipboard = QGuiApplication.clipboard()
        if clipboard.text() == copied:
            clipboard.clear()

    # -- operations -------------------------------------------------------------------------
    def call(self, operation: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        session = self.session
        if session is None:
            raise PharmDeskError(AUTH_FAILED, "The screen is locked. Sign in to continue.")
        role = session.staff.role
        try:
            return api.call(session, operation, params or {})
        except PharmDeskError as exc:
            if exc.code == AUTH_FAILED and not session.is_open and session is self.session:
                self._revoked(session, exc.message)
            raise
        finally:
            if session.staff.role != role and session is self.session:
                self.role_changed.emit(session.staff.role)

    def _revoked(self, session: DeskSession, message: str) -> None:
        """The account was disabled while signed in: the session has ended; the windows
        go back to the sign-in screen as at a sign-out (once the refused action's own
        handler has shown its message)."""
        username = session.staff.username
        self.quick_unlock.forget()
        self.clear_clipboard()
        self.session = None
        self.signed_out.emit(username)
        QTimer.singleShot(0, lambda: self.account_disabled.emit(username, message))

    def prepare_job(self, job: str, params: dict[str, Any] | None = None) -> BoundJob:
        """A registered job checked (role, params) and bound to this session, to run in a
        worker; raises ``PharmDeskError`` for a refusal. The key stays in the session."""
        if self.session is None:
            raise PharmDeskError(AUTH_FAILED, "The screen is locked. Sign in to continue.")
        return self.session.prepare_job(job, params or {})

    def caller(self, operation: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        return lambda params: self.call(operation, params)
