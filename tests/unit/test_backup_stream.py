"""The chunked AES-GCM stream of server backups: what goes in comes out, and any change
to the stream (a flipped bit, chunks dropped, reordered or repeated, the end cut off,
bytes appended, another key) is refused before the plaintext is used."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmdesk.store.backup.stream import (
    HEADER_BYTES,
    KEY_BYTES,
    StreamDamaged,
    decrypt_stream,
    encrypt_stream,
)

CHUNK = 64  # small chunks: many of them in a short test


def _encrypt(data: bytes, key: bytes) -> bytes:
    out = io.BytesIO()
    assert encrypt_stream(io.BytesIO(data), key, out.write, chunk=CHUNK) == len(data)
    return out.getvalue()


def _decrypt(blob: bytes, key: bytes) -> bytes:
    return b"".join(decrypt_stream(io.BytesIO(blob), key, chunk=CHUNK))


def _records(blob: bytes) -> tuple[bytes, list[bytes]]:
    header, rest, records = blob[:HEADER_BYTES], blob[HEADER_BYTES:], []
    while rest:
        (length,) = struct.unpack(">I", rest[:4])
        records.append(rest[: 4 + length])
        rest = rest[4 + length :]
    return header, records


@settings(deadline=None, max_examples=40)
@given(st.binary(max_size=CHUNK * 5 + 7))
def test_what_goes_in_comes_out(data: bytes) -> None:
    key = os.urandom(KEY_BYTES)
    blob = _encrypt(data, key)
    assert _decrypt(blob, key) == data
    # One chunk per started CHUNK (an empty stream: one empty final chunk).
    assert len(_records(blob)[1]) == max(1, -(-len(data) // CHUNK))
    if len(data) >= 16:
        assert data not in blob


def test_a_changed_stream_is_refused() -> None:
    key = os.urandom(KEY_BYTES)
    data = os.urandom(CHUNK * 4 + 10)  # four full chunks and a short final one
    blob = _encrypt(data, key)
    header, records = _records(blob)
    assert len(records) == 5
    flipped = bytearray(blob)
    flipped[HEADER_BYTES + 10] ^= 1
    cases = {
        "a flipped bit": bytes(flipped),
        "another key": blob,
        "cut at a chunk boundary": header + b"".join(records[:3]),
        "the final chunk dropped": header + b"".join(records[:4]),
        "two chunks swapped": header + records[1] + records[0] + b"".join(records[2:]),
        "a chunk repeated": header + records[0] + b"".join(records),
        "bytes after the end": blob + b"\x00",
        "cut inside a chunk": blob[:-5],
        "not a stream at all": b"PK\x03\x04" + blob[4:],
    }
    for name, bad in cases.items():
        with pytest.raises(StreamDamaged):
            _decrypt(bad, os.urandom(KEY_BYTES) if name == "another key" else key)


def test_pg_dump_must_be_the_servers_major_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pg_dump of another major version is passed over; none that fits: a message that
    names the version to install and the setting to point at it."""
    from pharmdesk.errors import PharmDeskError
    from pharmdesk.store.backup import pgtools

    def fake(folder: str, version: str) -> Path:
        tool = tmp_path / folder / "pg_dump"
        tool.parent.mkdir()
        tool.write_text(f"#!/bin/sh\necho 'pg_dump (PostgreSQL) {version}'\n")
        tool.chmod(0o755)
        return tool

    older, right = fake("old", "14.9"), fake("right", "15.8 (Debian 15.8-0+deb12u1)")
    monkeypatch.setattr(pgtools, "_candidates", lambda _tool, _major: iter([older, right]))
    assert pgtools.find_tool("pg_dump", 15) == right
    monkeypatch.setattr(pgtools, "_candidates", lambda _tool, _major: iter([older]))
    with pytest.raises(PharmDeskError) as missing:
        pgtools.find_tool("pg_dump", 15)
    assert "pg_dump for version 15" in missing.value.message
    assert (
        "postgresql-client-15" in missing.value.message and pgtools.BIN_ENV in missing.value.message
    )


def test_a_password_in_the_url_goes_to_the_tools_environment_not_their_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pharmdesk.store.backup import pgtools

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # no CA pinned for this server
    url = "postgresql://owner:s3cret%21@192.168.1.10:5432/pharmdesk_lekki?sslmode=require"
    for command in (
        pgtools.dump_command(Path("pg_dump"), url, "00000003-1"),
        pgtools.restore_command(Path("pg_restore"), url),
    ):
        assert not any("s3cret" in part for part in command)
        assert command[-1].startswith("--dbname=postgresql://owner@192.168.1.10:5432/")
        assert "sslmode=require" in command[-1]
    assert pgtools.tool_env(url)["PGPASSWORD"] == "s3cret!"
    assert pgtools.with_database(url, "scratch").startswith("postgresql://owner:")
    assert pgtools.database_of(pgtools.with_database(url, "scratch")) == "scratch"
