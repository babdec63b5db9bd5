"""Quick unlock: a PIN that reopens *your own* locked screen, held in memory only.

A busy desk will not type a 15-character password every five minutes, and would start
sharing accounts if made to. So after a full sign-in a person may set a PIN (6 to 12
digits). While they are signed in, the PIN is kept in this process's memory beside the
database key (which is there anyway). At lock the key is wrapped with AES-256-GCM under
a key derived from the PIN with Argon2id (a fresh random salt every lock), the PIN and
the plain key are dropped, and the database connection closes as for any lock. The
right PIN unwraps the key and reopens the database as that person, audited as a
``signIn`` with ``{"method": "pin"}``.

Why a 6-digit PIN (only 10**6 values) is acceptable here:

- It protects nothing on disk. The wrapped key lives in this process's memory only:
  never in the key file, the settings or QSettings. A copy of the database and its key
  file is exactly as closed as before; the PIN does not exist anywhere but in a head.
- At the keyboard it gets three tries. The third wrong PIN destroys the wrapped key,
  and only the full password (full-cost Argon2id, delays, lockout) opens the database.
- It is short-lived: sign-out, closing PharmDesk, any password sign-in (another person's
  or one's own), and 12 hours after the password sign-in (one shift) destroy it.
- What is left is someone who can read this process's memory while it is locked. They
  could try all 10**6 PINs offline; the modest Argon2id cost only slows that down, it
  is not the defence. Such a person could as well have read the key while the screen
  was unlocked. (Python cannot wipe freed memory: "dropped" means no reference is kept.)

Wrong PINs are counted in memory (three strikes) and entered in the audit log, like
wrong passwords, at the next successful sign-in or unlock by anyone (``signInFailed``
with ``{"method": "pin"}``; the third also says ``"pinCleared": true``). They do not
add to the password lockout counter: the three strikes are their own limit.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from itertools import pairwise

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pharmdesk.clock import Clock, to_iso
from pharmdesk.controllers.audit_seal import SealRoot
from pharmdesk.controllers.session import DeskSession, _locked_message, open_session
from pharmdesk.errors import (
    AUTH_FAILED,
    LOCKED_OUT,
    PASSWORD_CHANGE_REQUIRED,
    PharmDeskError,
    validation,
)
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import server
from pharmdesk.store.attempts import SignInAttempts
from pharmdesk.store.engine import KEY_BYTES, DatabaseOpenError
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams, derive

log = logging.getLogger(__name__)

MIN_PIN_DIGITS = 6
MAX_PIN_DIGITS = 12
MAX_PIN_TRIES = 3
PIN_LIFETIME = dt.timedelta(hours=12)
# OWASP's smallest recommended Argon2id setting: an unlock takes a few tens of ms. See the
# module docstring for why the cost is not what keeps the PIN safe.
PIN_KDF = KdfParams(time_cost=2, memory_kib=19 * 1024, parallelism=1)

PIN_RULE = (
    f"{MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits. Not one digit over and over (111111) "
    "and not counting up or down (123456, 987654)."
)
PIN_MISMATCH = "The two PINs are different. Type them again."
PIN_CLEARED = (
    "Wrong PIN 3 times, so the PIN no longer works. Sign in with your password "
    "(then you can set a new PIN)."
)
PIN_EXPIRED = (
    "Your PIN has expired: it works for 12 hours after a password sign-in. Sign in with "
    "your password (then you can set a new PIN)."
)
PIN_GONE = "There is no PIN for this screen any more. Sign in with your password."
PIN_STALE = (
    "Your PIN could not reopen PharmDesk: your account or the database key changed while "
    "the screen was locked. Sign in with your password."
)


def _is_run(digits: str) -> bool:
    """Every digit one more (or one less) than the one before, wrapping 9 to 0."""
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(digits)}
    return steps in ({1}, {9})


def check_new_pin(pin: str, repeat: str) -> str:
    """The PIN to use, or a ``VALIDATION_ERROR`` next to the field it is about."""
    pin = pin.strip()
    if not pin:
        raise validation(f"Type a PIN of at least {MIN_PIN_DIGITS} digits.", "pin")
    if not re.fullmatch(r"[0-9]+", pin):
        raise validation("A PIN is made of digits only (0 to 9).", "pin")
    if len(pin) < MIN_PIN_DIGITS:
        raise validation(f"A PIN needs at least {MIN_PIN_DIGITS} digits.", "pin")
    if len(pin) > MAX_PIN_DIGITS:
        raise validation(f"A PIN has at most {MAX_PIN_DIGITS} digits.", "pin")
    if len(set(pin)) == 1:
        raise validation("One digit over and over is the first thing anyone tries.", "pin")
    if _is_run(pin):
        raise validation(
            "Counting up or down (like 123456) is the first thing anyone tries.", "pin"
        )
    if pin != repeat.strip():
        raise validation(PIN_MISMATCH, "repeatPin")
    return pin


class PinAttempts(SignInAttempts):
    """The sign-in counter file, used only for its queue of events to audit: wrong PINs
    wait there, with wrong passwords, for the next successful sign-in by anyone."""

    def record_pin_failure(self, username: str, now: dt.datetime, cleared: bool) -> None:
        event: dict[str, object] = {
            "at": to_iso(now),
            "user": username,
            "action": "signInFailed",
            "method": "pin",
        }
        if cleared:
            event["pinCleared"] = True
        with self._locked() as data:
            data["pending"].append(event)


@dataclass(frozen=True)
class _Sealed:
    """The database key wrapped under the PIN: what a locked screen holds, nothing more."""

    owner: str
    full_name: str
    expires: dt.datetime
    salt: bytes
    nonce: bytes
    wrapped: bytes


class QuickUnlock:
    """The quick-unlock PIN of one window (one ``DeskContext``), never of an account.

    Signed in: ``set_pin``/``remove_pin``; the PIN is held in plain, next to the key.
    At lock: ``seal`` wraps the key and forgets the PIN. Locked: ``unlock`` with the PIN,
    three strikes. ``started`` (any full sign-in) and ``forget`` (sign-out) end it all.
    """

    def __init__(
        self,
        files: DatabaseFiles,
        *,
        clock: Clock,
        kdf: KdfParams = DEFAULT_KDF,
        pin_kdf: KdfParams = PIN_KDF,
        lifetime: dt.timedelta = PIN_LIFETIME,
    ) -> None:
        self.files = files
        self.clock = clock
        self.kdf = kdf  # the staff keyslots' cost, handed on to the reopened session
        self.pin_kdf = pin_kdf
        self.lifetime = lifetime
        self._owner: str | None = None
        self._expires: dt.datetime | None = None
        self._pin: str | None = None
        self._sealed: _Sealed | None = None
        self.tries_left = MAX_PIN_TRIES

    # -- signed in -------------------------------------------------------------------------
    def started(self, session: DeskSession) -> None:
        """A full sign-in (password or recovery): whatever PIN there was, set or sealed,
        is gone (the PIN itself cannot be recovered from the wrapped key); a new PIN may
        be set, and works until ``lifetime`` after this sign-in."""
        self.forget()
        self._owner = session.staff.username
        self._expires = self.clock.now() + self.lifetime

    @property
    def has_pin(self) -> bool:
        """True while signed in with a PIN set (it will seal at the next lock)."""
        return self._pin is not None

    @property
    def expires(self) -> dt.datetime | None:
        """When the PIN stops working (12 hours after the password sign-in)."""
        return self._expires

    def _check_owner(self, session: DeskSession | None) -> dt.datetime:
        if session is None or not session.is_open or session.staff.username != self._owner:
            raise PharmDeskError(AUTH_FAILED, "Sign in with your password first.")
        expires = self._expires
        if expires is None or self.clock.now() >= expires:
            raise validation(
                "It is more than 12 hours since you signed in with your password. Lock the "
                "screen (Ctrl+L), sign in with your password, then set the PIN.",
                "pin",
            )
        return expires

    def set_pin(self, session: DeskSession | None, pin: str, repeat: str) -> dt.datetime:
        """Set or change the PIN of the signed-in person; returns when it expires."""
        expires = self._check_owner(session)
        self._pin = check_new_pin(pin, repeat)
        return expires

    def remove_pin(self) -> None:
        self._pin = None

    # -- locking -------------------------------------------------------------------------------
    def seal(self, session: DeskSession) -> bool:
        """At lock, before the session closes: wrap its key under the PIN and forget the
        PIN. False (nothing sealed, the password will be needed) when there is no PIN,
        it is someone else's or it has expired."""
        pin, self._pin = self._pin, None
        self._sealed = None
        self.tries_left = MAX_PIN_TRIES
        owner, expires = self._owner, self._expires
        if (
            pin is None
            or owner is None
            or expires is None
            or not session.is_open
            or session.staff.username != owner
            or self.clock.now() >= expires
        ):
            return False
        salt, nonce = os.urandom(16), os.urandom(12)
        wrapping = derive(pin.encode("ascii"), salt, self.pin_kdf)
        # An admin's audit seal root rides along, so a PIN unlock keeps verify possible.
        secret = session.key + (session.seal.payload() if session.seal else b"")
        wrapped = AESGCM(wrapping).encrypt(nonce, secret, self._aad(owner))
        self._sealed = _Sealed(owner, session.staff.full_name, expires, salt, nonce, wrapped)
        return True

    def _aad(self, owner: str) -> bytes:
        """Binds the wrapped key to this person and this database file."""
        return f"pharmdesk-pin:{owner}:{self.files.db}".encode()

    @property
    def locked_for(self) -> str | None:
        """The username whose PIN can unlock the screen now, if any."""
        return self._sealed.owner if self._sealed else None

    @property
    def locked_name(self) -> str:
        return self._sealed.full_name if self._sealed else ""

    def unlock(self, pin: str) -> DeskSession:
        """The PIN's owner, signed in again (``signIn`` with ``{"method": "pin"}``).

        A wrong PIN costs one of the three tries; the third destroys the wrapped key. An
        empty PIN costs nothing. A locked-out account stays locked out, PIN or not.
        """
        sealed = self._sealed
        if sealed is None:
            raise PharmDeskError(AUTH_FAILED, PIN_GONE)
        now = self.clock.now()
        if now >= sealed.expires:
            self.forget()
            raise PharmDeskError(AUTH_FAILED, PIN_EXPIRED)
        pin = pin.strip()
        if not pin:
            raise validation("Type your PIN.", "pin")
        attempts = PinAttempts(self.files.attempts)
        state = attempts.state(sealed.owner, now)
        if state.locked_until is not None:
            raise PharmDeskError(LOCKED_OUT, _locked_message(state.locked_until))
        if self.files.server is not None:  # the server counts every desk's failures
            from pharmdesk.controllers.server_signin import locked_on_server

            until = locked_on_server(self.files, sealed.owner)
            if until is not None:
                raise PharmDeskError(LOCKED_OUT, _locked_message(until))
        secret = self._unwrap(sealed, pin)
        key: bytes | None
        seal: SealRoot | None
        if secret is not None and server.login_of(secret) is not None:
            key, seal = secret, None  # a branch server login (no seal there)
        else:
            key = None if secret is None else secret[:KEY_BYTES]
            seal = None if secret is None else SealRoot.from_payload(secret[KEY_BYTES:])
        secret = None
        if key is None:
            self.tries_left -= 1
            cleared = self.tries_left <= 0
            attempts.record_pin_failure(sealed.owner, now, cleared)
            if cleared:
                self.forget()
                raise PharmDeskError(AUTH_FAILED, PIN_CLEARED, "pin")
            tries = "1 more try" if self.tries_left == 1 else f"{self.tries_left} more tries"
            raise PharmDeskError(
                AUTH_FAILED,
                f"Wrong PIN. {tries}, then your password will be needed.",
                "pin",
            )
        try:
            session = open_session(
                self.files,
                sealed.owner,
                key,
                clock=self.clock,
                kdf=self.kdf,
                method="pin",
                seal=seal,
            )
        except PharmDeskError as exc:
            # Disabled, reset by an admin, or the database key rotated while locked: the
            # PIN is of no more use. Other trouble (busy, disk full, damage) says itself,
            # and the PIN may be tried again.
            if exc.code in (AUTH_FAILED, PASSWORD_CHANGE_REQUIRED) or isinstance(
                exc, DatabaseOpenError
            ):
                self.forget()
                raise PharmDeskError(AUTH_FAILED, PIN_STALE) from None
            raise
        finally:
            key = None
        self._sealed = None
        self._owner, self._expires, self._pin = sealed.owner, sealed.expires, pin
        self.tries_left = MAX_PIN_TRIES
        return session

    def _unwrap(self, sealed: _Sealed, pin: str) -> bytes | None:
        if not re.fullmatch(r"[0-9]+", pin):
            return None  # not a PIN at all (a password typed here): still a strike
        wrapping = derive(pin.encode("ascii"), sealed.salt, self.pin_kdf)
        try:
            return AESGCM(wrapping).decrypt(sealed.nonce, sealed.wrapped, self._aad(sealed.owner))
        except InvalidTag:
            return None

    # -- ending ------------------------------------------------------------------------------
    def forget(self) -> None:
        """Sign-out, app exit, three strikes: the PIN and the wrapped key are gone."""
        self._owner = None
        self._expires = None
        self._pin = None
        self._sealed = None
        self.tries_left = MAX_PIN_TRIES
