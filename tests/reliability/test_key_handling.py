"""Item 3: any password works, and no password ever reaches SQL.

Passwords unwrap a keyslot; the database itself is keyed with the raw 32-byte key as hex
in a connection creator. Every statement sent to SQLCipher is traced here to prove it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pharmdesk.store.engine as engine_module
from pharmdesk.clock import FixedClock
from pharmdesk.controllers.session import create_database, sign_in
from pharmdesk.errors import PharmDeskError
from pharmdesk.paths import DatabaseFiles
from tests.conftest import TEST_KDF

NASTY_PASSWORDS = [
    "it's a \"quoted\" pass'; DROP TABLE staff; --",
    "back\\slash\\x'00' and \\\\ double",
    "   leading and trailing spaces   ",
    "semi;colons;everywhere;PRAGMA key='x';",
    "emoji 🔐💊🇳🇬 and àccents ÆØÅ ß",
    "null\x00byte and tab\tand newline\n ok",
    "x'0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20'",
]
KEY_STATEMENT = re.compile(r"""PRAGMA key = "x'[0-9a-f]{64}'\"""")


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every SQL statement SQLCipher receives, from the very first (the key)."""
    statements: list[str] = []
    real_connect = engine_module.sqlcipher.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(engine_module.sqlcipher, "connect", connect)
    yield statements


def _fragments(password: str) -> list[str]:
    """The password, and a middle piece of it (as it would appear if it were escaped)."""
    middle = password[len(password) // 4 : len(password) // 4 + 10]
    return [password, password.strip(), middle]


@pytest.mark.parametrize("password", NASTY_PASSWORDS, ids=range(len(NASTY_PASSWORDS)))
def test_create_sign_in_and_change_with_any_password(
    password: str, tmp_path: Path, traced: list[str]
) -> None:
    files = DatabaseFiles(tmp_path / "p.db")
    clock = FixedClock()
    recovery = create_database(
        files, admin="admin", full_name="Ada", password=password, clock=clock, kdf=TEST_KDF
    )
    assert recovery
    desk = sign_in(files, "admin", password, clock=clock, kdf=TEST_KDF)
    desk.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": password[::-1]},
    )
    other = NASTY_PASSWORDS[(NASTY_PASSWORDS.index(password) + 1) % len(NASTY_PASSWORDS)]
    desk.call("changeMyPassword", {"oldPassword": password, "newPassword": other})
    desk.close()
    # The old password is refused, the new one works, femi's reversed one works.
    with pytest.raises(PharmDeskError) as info:
        sign_in(files, "admin", password, clock=clock, kdf=TEST_KDF, sleep=lambda _s: None)
    assert info.value.code == "AUTH_FAILED"
    sign_in(files, "admin", other, clock=clock, kdf=TEST_KDF).close()
    sign_in(files, "femi", password[::-1], clock=clock, kdf=TEST_KDF).close()

    key_statements = [s for s in traced if "PRAGMA key" in s or "PRAGMA rekey" in s]
    assert key_statements, "the key statement was not traced"
    assert all(KEY_STATEMENT.search(s) for s in key_statements), key_statements
    for statement in traced:
        for fragment in _fragments(password) + _fragments(other):
            assert fragment not in statement, f"password text reached SQL: {statement[:80]}"


def test_the_engine_url_carries_no_secret(tmp_path: Path) -> None:
    """No passphrase in the URL: the key goes in through the connection creator."""
    engine = engine_module.make_engine(tmp_path / "x.db", b"\x07" * 32)
    try:
        url = engine.url
        assert url.password is None and url.database is None
        assert "07070707" not in str(url)
    finally:
        engine.dispose()


def test_a_key_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    engine = engine_module.make_engine(tmp_path / "x.db", b"short")
    try:
        with pytest.raises(ValueError):
            engine.connect()
    finally:
        engine.dispose()
    assert not (tmp_path / "x.db").exists()
