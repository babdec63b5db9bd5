"""A stream encrypted in chunks with AES-256-GCM: how a server backup's dump is written,
so that not one byte of it reaches the disk in the clear.

Layout: ``MAGIC`` and a 4-byte random nonce prefix, then records of a 4-byte big-endian
length and one chunk's ciphertext (at most ``CHUNK`` plaintext bytes plus the 16-byte
tag). Chunk ``i``'s nonce is the prefix and ``i`` (8 bytes); its associated data binds
the header, ``i`` and whether it is the last chunk, so chunks cannot be reordered,
dropped, repeated or cut off at a chunk boundary without the reader noticing. The key
is a fresh random backup key used for one file only, so counter nonces never repeat.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"PDPGENC1"
PREFIX_BYTES = 4
HEADER_BYTES = len(MAGIC) + PREFIX_BYTES
CHUNK = 1 << 20
TAG = 16
KEY_BYTES = 32
_LENGTH = struct.Struct(">I")


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class StreamDamaged(Exception):
    """The encrypted stream is cut short, altered, or not under this key."""


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return b"pharmdesk-pgdump:" + header + struct.pack(">Q?", index, final)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">Q", index)


def encrypt_stream(
    source: Readable, key: bytes, write: Callable[[bytes], object], chunk: int = CHUNK
) -> int:
    """Read ``source`` to its end, write its encryption; returns plaintext bytes read.

    A chunk is sealed only once the next read shows whether it is the last, so the
    final flag is always right (an empty stream is one empty final chunk).
    """
    aead = AESGCM(key)
    prefix = os.urandom(PREFIX_BYTES)
    header = MAGIC + prefix
    write(header)
    index = 0
    total = 0
    pending = _read_full(source, chunk)
    while True:
        following = _read_full(source, chunk) if len(pending) == chunk else b""
        final = not following
        sealed = aead.encrypt(_nonce(prefix, index), pending, _aad(header, index, final))
        write(_LENGTH.pack(len(sealed)))
        write(sealed)
        total += len(pending)
        if final:
            return total
        pending = following
        index += 1


def _read_full(source: Readable, size: int) -> bytes:
    """``size`` bytes, or fewer only at the end (a pipe returns what it has)."""
    parts: list[bytes] = []
    missing = size
    while missing:
        block = source.read(missing)
        if not block:
            break
        parts.append(block)
        missing -= len(block)
    return b"".join(parts)


def decrypt_stream(source: Readable, key: bytes, chunk: int = CHUNK) -> Iterator[bytes]:
    """The plaintext chunks of an encrypted stream, each checked before it is yielded;
    raises ``StreamDamaged`` at the first chunk that fails (or a missing end)."""
    header = source.read(HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise StreamDamaged("not an encrypted PharmDesk dump")
    aead = AESGCM(key)
    prefix = header[len(MAGIC) :]
    index = 0
    while True:
        length_bytes = _read_full(source, _LENGTH.size)
        if len(length_bytes) != _LENGTH.size:
            raise StreamDamaged("the dump is cut short")
        (length,) = _LENGTH.unpack(length_bytes)
        if not TAG <= length <= chunk + TAG:
            raise StreamDamaged("a chunk of the dump has an impossible length")
        sealed = _read_full(source, length)
        if len(sealed) != length:
            raise StreamDamaged("the dump is cut short")
        plain = None
        final = False
        for final in (False, True):
            try:
                plain = aead.decrypt(_nonce(prefix, index), sealed, _aad(header, index, final))
                break
            except InvalidTag:
                continue
        if plain is None:
            raise StreamDamaged("a chunk of the dump does not decrypt with this key")
        yield plain
        if final:
            if source.read(1):
                raise StreamDamaged("there is data after the end of the dump")
            return
        index += 1
