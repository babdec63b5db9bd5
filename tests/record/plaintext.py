"""The database file's pages as SQLCipher sees them after decryption, free pages and the
write-ahead log included: where an erased value would still be, if anywhere.

SQLCipher 4 with a raw key: each 4096-byte page is AES-256-CBC under the key itself, its
IV in the 80 reserved bytes at the end (16 IV + 64 HMAC-SHA512); page 1 starts with the
16-byte salt instead of the SQLite header. The WAL holds whole pages after a 32-byte
header, each behind a 24-byte frame header.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE = 4096
RESERVE = 80
SALT = 16


def decrypt_page(key: bytes, page: bytes, first: bool) -> bytes:
    start = SALT if first else 0
    end = PAGE - RESERVE
    iv = page[end : end + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start:end]) + decryptor.finalize()


def database_pages(key: bytes, path: Path) -> list[bytes]:
    data = path.read_bytes() if path.exists() else b""
    return [
        decrypt_page(key, data[offset : offset + PAGE], offset == 0)
        for offset in range(0, len(data) - PAGE + 1, PAGE)
    ]


def wal_pages(key: bytes, path: Path) -> list[bytes]:
    data = path.read_bytes() if path.exists() else b""
    pages = []
    offset = 32
    while offset + 24 + PAGE <= len(data):
        number = int.from_bytes(data[offset : offset + 4], "big")
        pages.append(decrypt_page(key, data[offset + 24 : offset + 24 + PAGE], number == 1))
        offset += 24 + PAGE
    return pages


def plaintext(key: bytes, db: Path) -> bytes:
    """Every page of the database and its WAL, decrypted, in one buffer."""
    wal = db.with_name(db.name + "-wal")
    return b"".join(database_pages(key, db) + wal_pages(key, wal))


def found(buffer: bytes, values: list[str]) -> list[str]:
    """The values (UTF-8, UTF-16, any case) present in the buffer."""
    lowered = buffer.lower()
    hits = []
    for value in values:
        for encoding in ("utf-8", "utf-16-le"):
            if value.lower().encode(encoding) in lowered:
                hits.append(value)
                break
    return hits
